#include "blob/s3/s3_blob_store.hpp"

#include "util/crypto.hpp"

#include <algorithm>
#include <charconv>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

namespace vestibule::blob::s3 {

namespace {

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

class S3BlobWriter final : public domain::BlobWriter {
 public:
  explicit S3BlobWriter(S3BlobStore& store) : store_(store) {
    buffer_.reserve(store_.options().part_bytes);
  }
  ~S3BlobWriter() override {
    if (committed_) {
      return;
    }
    // Dropped before commit: nothing may stay behind, and nothing ever reached a content key.
    auto& client = store_.client();
    if (!upload_id_.empty() && !completed_) {
      if (auto r = client.abort_multipart(temp_key_, upload_id_); !r) {
        spdlog::warn("blob store: aborting the upload {} failed: {}", temp_key_, r.error().message);
      }
    } else if (completed_) {
      if (auto r = client.delete_object(temp_key_); !r) {
        spdlog::warn("blob store: deleting {} failed: {}", temp_key_, r.error().message);
      }
    }
  }
  S3BlobWriter(const S3BlobWriter&) = delete;
  S3BlobWriter& operator=(const S3BlobWriter&) = delete;

  Result<void> write(std::string_view chunk) override {
    if (failed_) {
      return fail(*failed_);
    }
    hash_.update(chunk);
    written_ += static_cast<std::int64_t>(chunk.size());
    while (!chunk.empty()) {
      const auto part_bytes = store_.part_size(static_cast<int>(etags_.size()) + 1);
      const auto n = std::min(chunk.size(), part_bytes - buffer_.size());
      buffer_.append(chunk.substr(0, n));
      chunk.remove_prefix(n);
      // A full buffer goes up only when more bytes follow, so that the last part is never empty
      // and a blob of exactly one part stays a single PUT.
      if (buffer_.size() == part_bytes && !chunk.empty()) {
        if (auto r = send_part(); !r) {
          return r;
        }
      }
    }
    return outcome::success();
  }

  [[nodiscard]] std::int64_t bytes_written() const override { return written_; }

  Result<domain::BlobRef> commit() override {
    if (failed_) {
      return fail(*failed_);
    }
    std::string hex = hash_.final_hex();
    if (upload_id_.empty()) {
      VST_TRYV(keep(store_.install_small(buffer_, hex)));
    } else {
      if (!buffer_.empty()) {
        VST_TRYV(send_part());
      }
      VST_TRYV(keep(store_.client().complete_multipart(temp_key_, upload_id_, etags_)));
      completed_ = true;
      VST_TRYV(keep(store_.install(temp_key_, hex, written_)));
      if (auto r = store_.client().delete_object(temp_key_); !r) {
        // The blob is in place; a leftover temporary object only costs space.
        spdlog::warn("blob store: deleting {} failed: {}", temp_key_, r.error().message);
      }
    }
    committed_ = true;
    buffer_ = std::string();
    return domain::BlobRef{hex, written_};
  }

 private:
  Result<void> send_part() {
    if (upload_id_.empty()) {
      temp_key_ = std::string(S3BlobStore::kTempPrefix) + "upload-" + util::random_token(12);
      VST_TRY(id, keep(store_.client().create_multipart(temp_key_)));
      upload_id_ = std::move(id);
    }
    const int part = static_cast<int>(etags_.size()) + 1;
    VST_TRY(etag, keep(store_.client().upload_part(temp_key_, upload_id_, part, buffer_)));
    etags_.push_back(std::move(etag));
    buffer_.clear();  // keeps its capacity: the one buffer of this upload
    return outcome::success();
  }

  // Remembers a failure: the upload cannot go on after one (a part is missing).
  template <class T>
  Result<T> keep(Result<T> r) {
    if (!r) {
      failed_ = r.error();
    }
    return r;
  }

  S3BlobStore& store_;
  util::Sha256Stream hash_;
  std::string buffer_;
  std::int64_t written_ = 0;
  std::string temp_key_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  std::optional<Error> failed_;
  bool completed_ = false;  // the multipart upload is an object under temp_key_
  bool committed_ = false;
};

class S3BlobReader final : public domain::BlobReader {
 public:
  S3BlobReader(S3Client& client, std::string key, std::int64_t size, std::int64_t offset,
               std::int64_t end, std::int64_t window)
      : client_(client),
        key_(std::move(key)),
        size_(size),
        position_(offset),
        end_(end),
        window_(window) {}

  ~S3BlobReader() override {
    if (ahead_.valid()) {
      ahead_.wait();  // it writes into spare_
    }
  }
  S3BlobReader(const S3BlobReader&) = delete;
  S3BlobReader& operator=(const S3BlobReader&) = delete;
  S3BlobReader(S3BlobReader&&) = delete;
  S3BlobReader& operator=(S3BlobReader&&) = delete;

  Result<bool> next(std::string& chunk) override {
    chunk.clear();
    if (position_ >= end_) {
      return false;
    }
    const auto n = std::min(end_ - position_, window_);
    if (ahead_.valid()) {
      // The window read ahead is this one; the caller's buffer, done with, takes its place.
      VST_TRYV(ahead_.get());
      chunk.swap(spare_);
    } else {
      VST_TRYV(client_.get_object_into(key_, position_, n, chunk));
    }
    if (static_cast<std::int64_t>(chunk.size()) != n) {
      const auto got = chunk.size();
      chunk.clear();
      return fail(Errc::kUnavailable, "the S3 store at " + client_.config().endpoint + " sent " +
                                          std::to_string(got) + " bytes of " + key_ + " where " +
                                          std::to_string(n) + " were asked for");
    }
    position_ += n;
    // The next window is asked for while the caller sends this one, so the store's latency
    // overlaps the sending: two windows in memory at most.
    if (position_ < end_) {
      ahead_ = std::async(std::launch::async,
                          [this, at = position_, length = std::min(end_ - position_, window_)] {
                            return client_.get_object_into(key_, at, length, spare_);
                          });
    }
    return true;
  }

  [[nodiscard]] std::int64_t blob_size() const override { return size_; }

 private:
  S3Client& client_;
  std::string key_;
  std::int64_t size_;
  std::int64_t position_;
  std::int64_t end_;
  std::int64_t window_;
  std::string spare_;                // the window read ahead
  std::future<Result<void>> ahead_;  // its GET, while one runs
};

}  // namespace

namespace {

S3Config probe_config(S3Config config) {
  config.connect_timeout_ms = std::min(config.connect_timeout_ms, 2000L);
  config.stall_timeout_s = std::min(config.stall_timeout_s, 2L);
  return config;
}

}  // namespace

S3BlobStore::S3BlobStore(const S3Config& config, S3BlobStoreOptions options)
    : client_(config), probe_(probe_config(config)), options_(std::move(options)) {
  options_.part_bytes = std::max(options_.part_bytes, std::size_t{5} << 20);
  options_.list_page_size = std::clamp(options_.list_page_size, 1, 1000);
  options_.read_window_bytes = std::max<std::int64_t>(options_.read_window_bytes, 64 << 10);
  constexpr std::int64_t kMinPart = std::int64_t{5} << 20;
  constexpr std::int64_t kMaxCopy = std::int64_t{5} << 30;
  options_.copy_limit_bytes = std::clamp(options_.copy_limit_bytes, kMinPart, kMaxCopy);
  options_.copy_part_bytes = std::clamp(options_.copy_part_bytes, kMinPart, kMaxCopy);
  options_.parts_per_doubling = std::max(options_.parts_per_doubling, 1);
}

std::size_t S3BlobStore::part_size(int part) const {
  constexpr std::size_t kMaxPart = std::size_t{5} << 30;
  std::size_t size = options_.part_bytes;
  for (int doublings = (part - 1) / options_.parts_per_doubling; doublings > 0 && size < kMaxPart;
       --doublings) {
    size *= 2;
  }
  return std::min(size, kMaxPart);
}

Result<void> S3BlobStore::prepare() { return client_.ensure_bucket(); }

Result<std::size_t> S3BlobStore::sweep_temporaries(std::chrono::seconds older_than) {
  VST_TRY(now, client_.store_time());
  const auto old_enough = [&](std::time_t t) {
    return std::chrono::seconds{now - t} >= older_than;
  };
  std::size_t removed = 0;
  const std::string prefix(kTempPrefix);
  // Multipart uploads under tmp/ are uploads cut short; under blobs/, installs of blobs over
  // copy_limit_bytes cut short (an upload under a content key is invisible until completed).
  for (const auto& uploads_prefix : {prefix, std::string(kBlobPrefix)}) {
    VST_TRY(uploads, client_.list_multipart_uploads(uploads_prefix, options_.list_page_size));
    for (const auto& upload : uploads) {
      if (old_enough(upload.initiated)) {
        VST_TRYV(client_.abort_multipart(upload.key, upload.upload_id));
        ++removed;
      }
    }
  }
  std::string token;
  do {
    VST_TRY(page, client_.list_page(prefix, token, options_.list_page_size));
    for (std::size_t i = 0; i < page.keys.size(); ++i) {
      if (old_enough(page.last_modified[i])) {
        VST_TRYV(client_.delete_object(page.keys[i]));
        ++removed;
      }
    }
    token = std::move(page.next_token);
  } while (!token.empty());
  return removed;
}

Result<std::unique_ptr<domain::BlobWriter>> S3BlobStore::begin_write() {
  return std::unique_ptr<domain::BlobWriter>(std::make_unique<S3BlobWriter>(*this));
}

std::int64_t S3BlobStore::hold_key(const std::string& sha256) {
  std::int64_t key = 0;
  std::from_chars(sha256.data(), sha256.data() + std::min<std::size_t>(sha256.size(), 15), key, 16);
  return key;
}

Result<std::shared_ptr<void>> S3BlobStore::hold_for_install(const std::string& sha256) {
  if (!options_.hold) {
    return std::shared_ptr<void>{};
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.hold_wait;
  auto pause = std::chrono::milliseconds{5};
  for (;;) {
    VST_TRY(hold, options_.hold(sha256));
    if (hold) {
      return hold;
    }
    if (std::chrono::steady_clock::now() + pause > deadline) {
      return fail(Errc::kUnavailable,
                  "another node kept the file's content locked in the S3 store for " +
                      std::to_string(options_.hold_wait.count()) + " ms; try the upload again");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds{200});
  }
}

Result<void> S3BlobStore::install(const std::string& temp_key, const std::string& sha256,
                                  std::int64_t size) {
  // Copying over an existing blob of the same content refreshes its age (Last-Modified), which
  // keeps it from being collected while the metadata that refers to it is committed.
  std::lock_guard lock(install_mutex_);
  const auto hold = hold_for_install(sha256);  // kept until the object is in place
  if (!hold) {
    return fail(hold.error());
  }
  if (size > options_.copy_limit_bytes) {
    return copy_in_parts(temp_key, key_of(sha256), size);
  }
  return client_.copy_object(temp_key, key_of(sha256));
}

Result<void> S3BlobStore::copy_in_parts(const std::string& temp_key, const std::string& key,
                                        std::int64_t size) {
  VST_TRY(upload_id, client_.create_multipart(key));
  std::vector<std::string> etags;
  auto copied = [&]() -> Result<void> {
    // S3 takes at most 10,000 parts: a blob near its 5 TiB limit needs parts above 512 MiB.
    const auto part = std::max(options_.copy_part_bytes, (size + 9999) / 10000);
    for (std::int64_t first = 0; first < size; first += part) {
      const auto last = std::min(size, first + part) - 1;
      VST_TRY(etag, client_.upload_part_copy(key, upload_id, static_cast<int>(etags.size()) + 1,
                                             temp_key, first, last));
      etags.push_back(std::move(etag));
    }
    return client_.complete_multipart(key, upload_id, etags);
  }();
  if (!copied) {
    if (auto r = client_.abort_multipart(key, upload_id); !r) {
      // The sweep aborts it later: it never shows under the key.
      spdlog::warn("blob store: aborting the part copies into {} failed: {}", key,
                   r.error().message);
    }
    return fail(copied.error());
  }
  return outcome::success();
}

Result<void> S3BlobStore::install_small(std::string_view bytes, const std::string& sha256) {
  std::lock_guard lock(install_mutex_);
  const auto hold = hold_for_install(sha256);  // kept until the object is in place
  if (!hold) {
    return fail(hold.error());
  }
  return client_.put_object(key_of(sha256), bytes);
}

Result<int> S3BlobStore::open(const std::string& /*sha256*/) {
  return fail(Errc::kInternal,
              "the S3 blob store has no file descriptors; the caller must use read()");
}

Result<std::unique_ptr<domain::BlobReader>> S3BlobStore::read(const std::string& sha256,
                                                              std::int64_t offset,
                                                              std::int64_t length) {
  if (!is_sha256_hex(sha256)) {
    return fail(Errc::kInternal, "malformed blob id");
  }
  VST_TRY(info, client_.head_object(key_of(sha256)));
  if (!info) {
    return fail(Errc::kNotFound, "the file's content is missing from the S3 store");
  }
  const std::int64_t size = info->size;
  const std::int64_t end = length < 0 ? size : offset + length;
  if (offset < 0 || offset > size || end > size) {
    return fail(Errc::kRangeNotSatisfiable, "the range " + std::to_string(offset) + "+" +
                                                std::to_string(length) + " lies outside the " +
                                                std::to_string(size) + " bytes of the file");
  }
  return std::unique_ptr<domain::BlobReader>(std::make_unique<S3BlobReader>(
      client_, key_of(sha256), size, offset, end, options_.read_window_bytes));
}

Result<std::shared_ptr<const std::string>> S3BlobStore::read_small(const std::string& sha256,
                                                                   std::int64_t size) {
  if (size < 0 || size > kSmallBlobBytes) {
    return fail(Errc::kInternal, "read_small is for blobs of at most 64 KiB");
  }
  if (!is_sha256_hex(sha256)) {
    return fail(Errc::kInternal, "malformed blob id");
  }
  {
    std::lock_guard lock(small_mutex_);
    if (const auto it = small_.find(sha256); it != small_.end()) {
      if (static_cast<std::int64_t>(it->second->size()) != size) {
        return fail(Errc::kInternal, "the file's content in the blob store has the wrong size");
      }
      return it->second;
    }
  }
  VST_TRY(bytes, client_.get_object(key_of(sha256)));
  if (static_cast<std::int64_t>(bytes.size()) != size) {
    return fail(Errc::kInternal, "the file's content in the blob store has the wrong size");
  }
  std::shared_ptr<const std::string> shared = std::make_shared<const std::string>(std::move(bytes));
  std::lock_guard lock(small_mutex_);
  if (small_.emplace(sha256, shared).second) {
    small_order_.push_back(sha256);
    small_bytes_ += shared->size();
    while (small_bytes_ > kSmallCacheBytes && !small_order_.empty()) {
      const auto oldest = small_.find(small_order_.front());
      if (oldest != small_.end()) {
        small_bytes_ -= oldest->second->size();
        small_.erase(oldest);
      }
      small_order_.pop_front();
    }
  }
  return shared;
}

void S3BlobStore::forget_small(const std::string& sha256) {
  std::lock_guard lock(small_mutex_);
  if (const auto it = small_.find(sha256); it != small_.end()) {
    small_bytes_ -= it->second->size();
    small_.erase(it);  // its key stays in small_order_ until evicted; erasing a gone key is a no-op
  }
}

Result<void> S3BlobStore::release(const std::string& sha256) {
  if (!is_sha256_hex(sha256)) {
    return fail(Errc::kInternal, "malformed blob id");
  }
  forget_small(sha256);
  // The age is measured on the store's clock (its Date against the object's Last-Modified), so
  // a node whose clock is off cannot delete a blob another node has just written.
  std::lock_guard lock(install_mutex_);
  std::shared_ptr<void> hold;
  if (options_.hold) {
    VST_TRY(held, options_.hold(sha256));
    if (!held) {
      return outcome::success();  // another node is putting it into place: it is wanted
    }
    hold = std::move(held);
  }
  VST_TRY(info, client_.head_object(key_of(sha256)));
  if (!info) {
    return outcome::success();
  }
  if (std::chrono::seconds{info->store_now - info->last_modified} < options_.grace) {
    return outcome::success();  // the periodic sweep collects it later if still unreferenced
  }
  return client_.delete_object(key_of(sha256));
}

Result<bool> S3BlobStore::exists(const std::string& sha256) {
  if (!is_sha256_hex(sha256)) {
    return false;
  }
  VST_TRY(info, client_.head_object(key_of(sha256)));
  return info.has_value();
}

Result<std::int64_t> S3BlobStore::available_bytes() { return kUnlimitedBytes; }

Result<void> S3BlobStore::ready() {
  {
    std::lock_guard lock(ready_mutex_);
    // While another probe asks the store, or within a second of the last answer, that answer
    // stands: probes never queue up behind a slow store, nor multiply its traffic.
    if (ready_checking_ || (ready_checked_ && std::chrono::steady_clock::now() - ready_checked_at_ <
                                                  kReadyCheckEvery)) {
      if (ready_error_) {
        return fail(*ready_error_);
      }
      return outcome::success();
    }
    ready_checking_ = true;
  }
  auto answer = probe_.store_time();
  std::lock_guard lock(ready_mutex_);
  ready_checking_ = false;
  ready_checked_ = true;
  ready_checked_at_ = std::chrono::steady_clock::now();
  if (!answer) {
    ready_error_ = answer.error();
    return fail(answer.error());
  }
  ready_error_.reset();
  return outcome::success();
}

Result<std::vector<std::string>> S3BlobStore::list() {
  std::vector<std::string> out;
  std::string token;
  do {
    VST_TRY(page, client_.list_page(std::string(kBlobPrefix), token, options_.list_page_size));
    for (auto& key : page.keys) {
      auto name = key.substr(kBlobPrefix.size());
      if (is_sha256_hex(name)) {
        out.push_back(std::move(name));
      }
    }
    token = std::move(page.next_token);
  } while (!token.empty());
  return out;
}

}  // namespace vestibule::blob::s3
