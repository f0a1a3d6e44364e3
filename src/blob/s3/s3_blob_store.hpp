// S3BlobStore: blobs as objects `blobs/<sha256>` of one bucket of an S3-compatible store (Ceph
// RADOS Gateway, MinIO, AWS). A write is hashed while streamed; nothing is ever visible under a
// content key before it is whole:
// - a blob smaller than one part is held in memory, hashed, and PUT under its content key (one
//   PUT is atomic);
// - a larger one goes up as a multipart upload under `tmp/<random>`, one part at a time from a
//   buffer of `part_bytes` (the only memory an upload holds), is completed there, copied server
//   side to its content key (a copy too is atomic; over 5 GiB, a multipart upload of part copies,
//   complete only when whole) and the temporary object deleted.
// A writer dropped before commit aborts its multipart upload. Reads are ranged GETs of at most
// `read_window_bytes` each, the next asked for while the caller sends the last: a download holds
// two windows in memory.
//
// S3 has no file descriptors (open() fails: use read()) and no free space to ask about.
#pragma once

#include "blob/s3/s3_client.hpp"
#include "domain/blob_store.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace vestibule::blob::s3 {

struct S3BlobStoreOptions {
  // Blobs written more recently than this are never deleted by release().
  std::chrono::seconds grace{0};
  // S3 refuses parts under 5 MiB (but the last); 8 MiB keeps an upload's memory under 16 MiB.
  std::size_t part_bytes = std::size_t{8} << 20;
  // S3 takes at most 10,000 parts per upload, which at 8 MiB would stop a blob at 78 GiB: parts
  // double in size after every `parts_per_doubling` of them (up to 5 GiB), so an upload holds
  // 8 MiB up to 7.8 GiB, 16 MiB up to 23 GiB, ..., and a blob may reach S3's 5 TiB.
  int parts_per_doubling = 1000;
  // S3 copies at most 5 GiB in one CopyObject. A larger blob is put together under its content
  // key by a multipart upload of server-side part copies of `copy_part_bytes` each (5 MiB to
  // 5 GiB; smaller parts keep each request short).
  std::int64_t copy_limit_bytes = std::int64_t{5} << 30;
  std::int64_t copy_part_bytes = std::int64_t{512} << 20;
  int list_page_size = 1000;  // keys per ListObjectsV2 request (1000 is S3's maximum)
  std::int64_t read_window_bytes = std::int64_t{2} << 20;
  // The hold every node sharing the bucket takes on a blob before putting it into place or
  // deleting it, so that one node's release() never deletes between another node's age check and
  // its copy (the application gives the database's holds, shared by the nodes). It answers
  // without waiting: a null pointer while another node holds it. Unset, only this process's
  // installs and releases are ordered.
  std::function<Result<std::shared_ptr<void>>(const std::string& sha256)> hold;
  // How long an install waits for a hold another node keeps (a release takes milliseconds).
  std::chrono::milliseconds hold_wait{10000};
};

class S3BlobStore final : public domain::BlobStore {
 public:
  S3BlobStore(const S3Config& config, S3BlobStoreOptions options);

  // Creates the bucket unless it exists; call at start-up. kUnavailable when the store cannot be
  // reached or refuses the credentials.
  Result<void> prepare();

  // Removes what uploads cut short by a crash left behind: multipart uploads begun, and
  // temporary objects written, more than `older_than` ago (on the store's clock), and part copies
  // into a content key begun as long ago (they are invisible until completed). Never touches a
  // content key's object. `older_than` must exceed the longest upload: other nodes may be
  // uploading. Answers how many were removed.
  Result<std::size_t> sweep_temporaries(std::chrono::seconds older_than);

  Result<std::unique_ptr<domain::BlobWriter>> begin_write() override;
  Result<int> open(const std::string& sha256) override;
  [[nodiscard]] bool has_file_descriptors() const override { return false; }
  Result<std::unique_ptr<domain::BlobReader>> read(const std::string& sha256, std::int64_t offset,
                                                   std::int64_t length) override;
  Result<std::shared_ptr<const std::string>> read_small(const std::string& sha256,
                                                        std::int64_t size) override;
  static constexpr std::size_t kSmallCacheBytes = std::size_t{32} << 20;
  Result<void> release(const std::string& sha256) override;
  Result<bool> exists(const std::string& sha256) override;
  // S3 has no notion of free space: a bucket grows until an operator's quota stops it, and a
  // quota refusal surfaces as an error of the write itself. So the free-space floor for uploads
  // is never what refuses them here: this answers kUnlimitedBytes.
  Result<std::int64_t> available_bytes() override;
  static constexpr std::int64_t kUnlimitedBytes = std::int64_t{1} << 60;
  Result<std::vector<std::string>> list() override;
  // A HEAD of the bucket, at most once per kReadyCheckEvery (the answer is cached in between),
  // with short time-outs of its own: a probe must not hang on a store that hangs.
  Result<void> ready() override;
  static constexpr std::chrono::seconds kReadyCheckEvery{1};

  // The size of part `part` (from 1) of a multipart upload.
  [[nodiscard]] std::size_t part_size(int part) const;
  static constexpr std::string_view kBlobPrefix = "blobs/";
  static std::string key_of(const std::string& sha256) { return std::string(kBlobPrefix) + sha256; }
  // The key of a blob's hold (options().hold): the first 60 bits of its hash. Two blobs sharing
  // it only wait for each other.
  static std::int64_t hold_key(const std::string& sha256);
  static constexpr std::string_view kTempPrefix = "tmp/";

  // Used by writers: the server-side copy of the `size` bytes of `temp_key` into place, ordered
  // against release() on every node.
  Result<void> install(const std::string& temp_key, const std::string& sha256, std::int64_t size);
  Result<void> install_small(std::string_view bytes, const std::string& sha256);

  [[nodiscard]] S3Client& client() { return client_; }
  [[nodiscard]] const S3BlobStoreOptions& options() const { return options_; }

 private:
  void forget_small(const std::string& sha256);
  // install() for a blob over copy_limit_bytes: part copies into a multipart upload under its
  // content key, aborted if any fails (nothing is visible under the key before completion).
  Result<void> copy_in_parts(const std::string& temp_key, const std::string& key,
                             std::int64_t size);
  // The hold on `sha256` for an install, waited for up to options_.hold_wait (kUnavailable
  // after that); an empty pointer when no hold is configured.
  Result<std::shared_ptr<void>> hold_for_install(const std::string& sha256);

  S3Client client_;
  S3Client probe_;  // for ready(): the same store, with time-outs of 2 s
  S3BlobStoreOptions options_;

  std::mutex ready_mutex_;  // guards the four members below
  bool ready_checking_ = false;
  bool ready_checked_ = false;
  std::chrono::steady_clock::time_point ready_checked_at_;
  std::optional<Error> ready_error_;
  std::mutex install_mutex_;

  std::mutex small_mutex_;  // guards the three members below
  std::unordered_map<std::string, std::shared_ptr<const std::string>> small_;
  std::deque<std::string> small_order_;  // oldest first, for eviction
  std::size_t small_bytes_ = 0;
};

}  // namespace vestibule::blob::s3
