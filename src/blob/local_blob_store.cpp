#include "blob/local_blob_store.hpp"

#include "util/crypto.hpp"
#include "util/file_io.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <system_error>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace vestibule::blob {

namespace fs = std::filesystem;

namespace {

Error io_error(const std::string& what) {
  const int err = errno;
  return make_error(err == ENOSPC ? Errc::kUnavailable : Errc::kInternal,
                    err == ENOSPC ? "the server's disk is full; try again later"
                                  : what + ": " + std::strerror(err));
}

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<void> fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return fail(io_error("open " + dir.string()));
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    return fail(io_error("fsync " + dir.string()));
  }
  return outcome::success();
}

// Takes O_DIRECT off `fd`, so that writes of any size and offset go through the page cache.
Result<void> leave_direct(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ((flags & O_DIRECT) != 0 && ::fcntl(fd, F_SETFL, flags & ~O_DIRECT) != 0)) {
    return fail(io_error("write upload"));
  }
  return outcome::success();
}

// Writes all of `bytes` to `fd`, adding what went out to `written`. A short write on a file
// open for direct I/O leaves the rest unaligned, so the rest goes through the page cache.
Result<void> write_all(int fd, std::string_view bytes, std::int64_t& written) {
  while (!bytes.empty()) {
    const auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(io_error("write upload"));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    written += n;
    if (!bytes.empty()) {
      VST_TRYV(leave_direct(fd));
    }
  }
  return outcome::success();
}

// Uploads are written with O_DIRECT in whole staging buffers where the file system allows it:
// on the virtual disks this runs on, write-back of a large file from the page cache often reaches
// a fifth of the device's speed (buffered writes and fsync: 150-290 MB/s; direct writes of 1 MiB
// and more: 1.3 GB/s), and a file that is read rarely gains nothing from being cached. A full
// buffer is written on a thread of its own while the next one fills and is hashed. The tail that
// fills no whole buffer goes through the page cache, and fsync at commit makes it all durable as
// before.
class LocalBlobWriter final : public domain::BlobWriter {
 public:
  LocalBlobWriter(LocalBlobStore& store, fs::path temp, int fd, bool direct)
      : store_(store), temp_(std::move(temp)), fd_(fd), direct_(direct) {}
  ~LocalBlobWriter() override {
    if (pending_.valid()) {
      pending_.wait();  // it writes to fd_ from staging memory this object owns
    }
    if (fd_ >= 0) {
      ::close(fd_);
    }
    if (!committed_) {
      std::error_code ignored;
      fs::remove(temp_, ignored);
    }
  }
  LocalBlobWriter(const LocalBlobWriter&) = delete;
  LocalBlobWriter& operator=(const LocalBlobWriter&) = delete;

  Result<void> write(std::string_view chunk) override {
    hash_.update(chunk);
    accepted_ += static_cast<std::int64_t>(chunk.size());
    if (!direct_) {
      VST_TRYV(write_all(fd_, chunk, written_));
      // Start writing each completed 8 MiB to disk now, while the rest is still arriving, so
      // the fsync at commit finds little left to do. Advice only: a failure here is harmless.
      if (written_ - flushed_ >= kWriteBehindBytes) {
        ::sync_file_range(fd_, flushed_, written_ - flushed_, SYNC_FILE_RANGE_WRITE);
        flushed_ = written_;
      }
      return outcome::success();
    }
    while (!chunk.empty()) {
      VST_TRYV(allocate(staging_));
      const std::size_t n = std::min(chunk.size(), kStagingBytes - staged_);
      std::memcpy(staging_.get() + staged_, chunk.data(), n);
      staged_ += n;
      chunk.remove_prefix(n);
      if (staged_ == kStagingBytes) {
        VST_TRYV(finish_pending());
        VST_TRYV(allocate(spare_));
        std::swap(staging_, spare_);
        staged_ = 0;
        const std::string_view full(spare_.get(), kStagingBytes);
        try {
          pending_ = std::async(std::launch::async,
                                [this, full] { return write_all(fd_, full, written_); });
        } catch (const std::system_error&) {  // no thread to be had: write it here
          VST_TRYV(write_all(fd_, full, written_));
        }
      }
    }
    return outcome::success();
  }

  [[nodiscard]] std::int64_t bytes_written() const override { return accepted_; }

  Result<domain::BlobRef> commit() override {
    VST_TRYV(finish_pending());
    std::string hex = hash_.final_hex();
    if (staged_ > 0) {
      // Less than a whole buffer, so probably not a whole block: through the page cache.
      VST_TRYV(leave_direct(fd_));
      VST_TRYV(write_all(fd_, {staging_.get(), staged_}, written_));
      staged_ = 0;
    }
    if (::fsync(fd_) != 0) {
      return fail(io_error("fsync upload"));
    }
    ::close(fd_);
    fd_ = -1;
    VST_TRYV(store_.install(temp_, hex));
    committed_ = true;
    return domain::BlobRef{hex, written_};
  }

 private:
  struct FreeStaging {
    void operator()(char* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
  };
  using Staging = std::unique_ptr<char, FreeStaging>;

  static Result<void> allocate(Staging& buffer) {
    if (!buffer) {
      buffer.reset(static_cast<char*>(std::aligned_alloc(kDirectAlignment, kStagingBytes)));
      if (!buffer) {
        return fail(Errc::kUnavailable, "the server is out of memory; try again later");
      }
    }
    return outcome::success();
  }

  // The write of the previous full buffer, when one is under way: its outcome, once done.
  Result<void> finish_pending() {
    if (!pending_.valid()) {
      return outcome::success();
    }
    return pending_.get();
  }

  LocalBlobStore& store_;
  fs::path temp_;
  int fd_;
  const bool direct_;
  util::Sha256Stream hash_;
  std::int64_t accepted_ = 0;  // bytes given to write()
  // Bytes in the file; while a write is pending, only that write changes it.
  std::int64_t written_ = 0;
  std::int64_t flushed_ = 0;  // page cache path: bytes handed to the disk's write-back so far
  Staging staging_;           // direct path: the buffer filling
  Staging spare_;             // and the one last handed to the pending write
  std::future<Result<void>> pending_;
  std::size_t staged_ = 0;
  bool committed_ = false;
  static constexpr std::int64_t kWriteBehindBytes = 8 << 20;
  static constexpr std::size_t kDirectAlignment = 4096;
  static constexpr std::size_t kStagingBytes = LocalBlobStore::kDirectWriteBytes;
};

class LocalBlobReader final : public domain::BlobReader {
 public:
  LocalBlobReader(int fd, std::int64_t size, std::int64_t offset, std::int64_t end)
      : fd_(fd), size_(size), position_(offset), end_(end) {}
  ~LocalBlobReader() override { ::close(fd_); }
  LocalBlobReader(const LocalBlobReader&) = delete;
  LocalBlobReader& operator=(const LocalBlobReader&) = delete;

  Result<bool> next(std::string& chunk) override {
    chunk.clear();
    if (position_ >= end_) {
      return false;
    }
    const auto n = std::min<std::int64_t>(
        end_ - position_, static_cast<std::int64_t>(LocalBlobStore::kReadChunkBytes));
    chunk.resize(static_cast<std::size_t>(n));
    if (!util::pread_exact(fd_, chunk.data(), chunk.size(),
                           static_cast<std::uint64_t>(position_))) {
      chunk.clear();
      return fail(Errc::kInternal, "cannot read the file's content from the blob store");
    }
    position_ += n;
    return true;
  }

  [[nodiscard]] std::int64_t blob_size() const override { return size_; }

 private:
  int fd_;
  std::int64_t size_;
  std::int64_t position_;
  std::int64_t end_;
};

}  // namespace

LocalBlobStore::LocalBlobStore(const fs::path& root, std::chrono::seconds grace, bool direct_writes)
    : blob_dir_(root / "blobs"),
      temp_dir_(root / "tmp"),
      grace_(grace),
      direct_writes_(direct_writes) {}

Result<std::size_t> LocalBlobStore::prepare() {
  std::error_code ec;
  fs::create_directories(blob_dir_, ec);
  fs::create_directories(temp_dir_, ec);
  if (ec) {
    return fail(Errc::kUnavailable,
                "cannot create " + blob_dir_.parent_path().string() + ": " + ec.message());
  }
  std::size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(temp_dir_, ec)) {
    if (fs::remove(entry.path(), ec)) {
      ++removed;
    }
  }
  return removed;
}

Result<std::size_t> LocalBlobStore::sweep_temporaries(std::chrono::seconds older_than) {
  std::error_code ec;
  fs::directory_iterator it(temp_dir_, ec);
  if (ec) {
    return fail(Errc::kUnavailable, "cannot list " + temp_dir_.string() + ": " + ec.message());
  }
  const auto now = std::chrono::system_clock::now();
  std::size_t removed = 0;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;  // gone meanwhile (an upload finished), or not a file an upload writes
    }
    const auto written = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
    if (now - written >= older_than && ::unlink(it->path().c_str()) == 0) {
      ++removed;
    }
  }
  return removed;
}

fs::path LocalBlobStore::path_of(const std::string& sha256) const {
  return blob_dir_ / sha256.substr(0, 2) / sha256.substr(2, 2) / sha256;
}

Result<std::unique_ptr<domain::BlobWriter>> LocalBlobStore::begin_write() {
  auto temp = temp_dir_ / ("upload-" + util::random_token(12));
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  bool direct = direct_writes_;
  int fd = ::open(temp.c_str(), direct ? kFlags | O_DIRECT : kFlags, 0600);
  if (fd < 0 && direct && errno == EINVAL) {
    // A file system without direct I/O (tmpfs before Linux 6.6): through the page cache.
    direct = false;
    fd = ::open(temp.c_str(), kFlags, 0600);
  }
  if (fd < 0) {
    return fail(io_error("create " + temp.string()));
  }
  return std::unique_ptr<domain::BlobWriter>(
      std::make_unique<LocalBlobWriter>(*this, std::move(temp), fd, direct));
}

Result<void> LocalBlobStore::install(const fs::path& temp, const std::string& sha256) {
  const auto target = path_of(sha256);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return fail(Errc::kInternal, "cannot create " + target.parent_path().string());
  }
  {
    // Renaming over an existing blob of the same content refreshes its age, which keeps it from
    // being collected while the metadata that refers to it is committed.
    std::lock_guard lock(install_mutex_);
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      return fail(io_error("install blob"));
    }
  }
  return fsync_dir(target.parent_path());
}

Result<int> LocalBlobStore::open(const std::string& sha256) {
  if (!is_sha256_hex(sha256)) {
    return fail(Errc::kInternal, "malformed blob id");
  }
  const int fd = ::open(path_of(sha256).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::kInternal, "the file's content is missing from the blob store");
  }
  return fd;
}

Result<std::unique_ptr<domain::BlobReader>> LocalBlobStore::read(const std::string& sha256,
                                                                 std::int64_t offset,
                                                                 std::int64_t length) {
  if (!is_sha256_hex(sha256)) {
    return fail(Errc::kInternal, "malformed blob id");
  }
  const int fd = ::open(path_of(sha256).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::kNotFound, "the file's content is missing from the blob store");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(io_error("stat blob"));
  }
  const std::int64_t size = st.st_size;
  const std::int64_t end = length < 0 ? size : offset + length;
  if (offset < 0 || offset > size || end > size) {
    ::close(fd);
    return fail(Errc::kRangeNotSatisfiable, "the range " + std::to_string(offset) + "+" +
                                                std::to_string(length) + " lies outside the " +
                                                std::to_string(size) + " bytes of the file");
  }
  return std::unique_ptr<domain::BlobReader>(
      std::make_unique<LocalBlobReader>(fd, size, offset, end));
}

Result<std::shared_ptr<const std::string>> LocalBlobStore::read_small(const std::string& sha256,
                                                                      std::int64_t size) {
  if (size < 0 || size > kSmallBlobBytes) {
    return fail(Errc::kInternal, "read_small is for blobs of at most 64 KiB");
  }
  {
    std::lock_guard lock(small_mutex_);
    if (const auto it = small_.find(sha256); it != small_.end()) {
      return it->second;
    }
  }
  VST_TRY(fd, open(sha256));
  auto bytes = std::make_shared<std::string>(static_cast<std::size_t>(size), '\0');
  struct stat st {};
  const bool right_size = ::fstat(fd, &st) == 0 && st.st_size == size;
  const auto read = right_size ? util::pread_exact(fd, bytes->data(), bytes->size(), 0)
                               : Result<void>(outcome::success());
  ::close(fd);
  if (!right_size || !read) {
    return fail(Errc::kInternal, "the file's content in the blob store has the wrong size");
  }
  std::shared_ptr<const std::string> shared = std::move(bytes);
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

Result<void> LocalBlobStore::release(const std::string& sha256) {
  if (!is_sha256_hex(sha256)) {
    return fail(Errc::kInternal, "malformed blob id");
  }
  {
    std::lock_guard lock(small_mutex_);
    if (const auto it = small_.find(sha256); it != small_.end()) {
      small_bytes_ -= it->second->size();
      small_.erase(
          it);  // its key stays in small_order_ until evicted; erasing a gone key is a no-op
    }
  }
  const auto path = path_of(sha256);
  std::lock_guard lock(install_mutex_);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return outcome::success();
  }
  const auto written = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
  if (std::chrono::system_clock::now() - written < grace_) {
    return outcome::success();  // the periodic sweep collects it later if still unreferenced
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail(io_error("delete blob"));
  }
  return outcome::success();
}

Result<bool> LocalBlobStore::exists(const std::string& sha256) {
  std::error_code ec;
  return is_sha256_hex(sha256) && fs::exists(path_of(sha256), ec);
}

Result<std::int64_t> LocalBlobStore::available_bytes() {
  struct statvfs fs_info {};
  if (::statvfs(blob_dir_.c_str(), &fs_info) != 0) {
    return fail(Errc::kUnavailable, std::string("cannot read the free space of the data folder: ") +
                                        std::strerror(errno));
  }
  // f_bavail: what an unprivileged writer may still use, the root reserve left out.
  return static_cast<std::int64_t>(fs_info.f_bavail) * static_cast<std::int64_t>(fs_info.f_frsize);
}

Result<std::vector<std::string>> LocalBlobStore::list() {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(blob_dir_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      auto name = it->path().filename().string();
      if (is_sha256_hex(name)) {
        out.push_back(std::move(name));
      }
    }
  }
  if (ec) {
    return fail(Errc::kInternal, "cannot list the blob store: " + ec.message());
  }
  return out;
}

}  // namespace vestibule::blob
