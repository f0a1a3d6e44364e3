// LocalBlobStore: blobs as files under <data>/blobs/ab/cd/<sha256>, written through
// <data>/tmp/. A write is hashed while streamed (written with O_DIRECT in whole buffers where the
// file system allows it), fsynced, renamed into place and the folder fsynced, so a blob either
// exists whole or not at all. Reading opens the file; small blobs are kept in memory after their
// first read (at most kSmallCacheBytes in all). Thread-safe: a mutex orders "rename into place"
// against "check age and delete", so a blob that an upload has just (re)written is never
// collected under it.
#pragma once

#include "domain/blob_store.hpp"

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vestibule::blob {

class LocalBlobStore final : public domain::BlobStore {
 public:
  // `grace`: blobs written more recently than this are never deleted by release().
  // `direct_writes` false writes every upload through the page cache, as on a file system that
  // refuses O_DIRECT.
  LocalBlobStore(const std::filesystem::path& root, std::chrono::seconds grace,
                 bool direct_writes = true);

  // Creates the folders and removes temporary files left by a crash; call at start-up.
  Result<std::size_t> prepare();
  // While running: removes the temporary files not written to for more than `older_than` (by
  // their mtime on the system clock). A running upload writes its file as the body arrives, so
  // only what a lost upload left behind is that old. Answers how many were removed.
  Result<std::size_t> sweep_temporaries(std::chrono::seconds older_than);

  Result<std::unique_ptr<domain::BlobWriter>> begin_write() override;
  Result<int> open(const std::string& sha256) override;
  [[nodiscard]] bool has_file_descriptors() const override { return true; }
  Result<std::unique_ptr<domain::BlobReader>> read(const std::string& sha256, std::int64_t offset,
                                                   std::int64_t length) override;
  static constexpr std::size_t kReadChunkBytes = std::size_t{256} << 10;
  Result<std::shared_ptr<const std::string>> read_small(const std::string& sha256,
                                                        std::int64_t size) override;
  static constexpr std::size_t kSmallCacheBytes = std::size_t{32} << 20;
  // An upload is written to disk in direct writes of this size (see the writer).
  static constexpr std::size_t kDirectWriteBytes = std::size_t{1} << 20;
  Result<void> release(const std::string& sha256) override;
  Result<bool> exists(const std::string& sha256) override;
  Result<std::int64_t> available_bytes() override;
  Result<std::vector<std::string>> list() override;

  // Used by writers.
  Result<void> install(const std::filesystem::path& temp, const std::string& sha256);
  [[nodiscard]] const std::filesystem::path& temp_dir() const { return temp_dir_; }

 private:
  [[nodiscard]] std::filesystem::path path_of(const std::string& sha256) const;

  std::filesystem::path blob_dir_;
  std::filesystem::path temp_dir_;
  std::chrono::seconds grace_;
  bool direct_writes_;
  std::mutex install_mutex_;

  std::mutex small_mutex_;  // guards the three members below
  std::unordered_map<std::string, std::shared_ptr<const std::string>> small_;
  std::deque<std::string> small_order_;  // oldest first, for eviction
  std::size_t small_bytes_ = 0;
};

}  // namespace vestibule::blob
