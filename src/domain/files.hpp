// Files: folders, uploads, downloads, versions, rename and move, trash. Every operation asks the
// Authorizer first. Uploads stream into the BlobStore and are committed in one metadata
// transaction, so a crash leaves either the previous version or the new one. Thread-safe.
#pragma once

#include "domain/authz.hpp"
#include "domain/blob_store.hpp"
#include "domain/repositories.hpp"
#include "util/clock.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::domain {

struct FilesOptions {
  int keep_versions = 10;
  // Bytes a space may store when an admin set no quota of its own; 0: no quota.
  std::int64_t space_quota = 0;
  // Uploads are refused while the blob store has less than this free; 0: no floor.
  std::int64_t min_free_bytes = 0;
};

// An open file version to send to a client, in one of three forms: a small file's `bytes`; an
// open `fd` of the local store's file; or neither, for a store without file descriptors (S3):
// then `store->read(blob, …)` streams the bytes (the range to send is known only later).
struct FileContent {
  Item item;
  std::int64_t version = 0;
  std::string blob;
  std::int64_t size = 0;
  int fd = -1;  // owned by the caller; -1 when `bytes` or `store` is to be used
  std::shared_ptr<const std::string> bytes;
  BlobStore* store = nullptr;  // set when neither `bytes` nor `fd` is
  Access access;               // as decided for this request
};

// All of a file's bytes in memory (from `bytes`, from `fd`, which is then closed, or read from
// `store`); for tools and tests, never for serving, which streams.
Result<std::string> read_whole(FileContent& content);

class Files;

// One upload in progress. Destroying it without commit() discards the bytes. write() refuses
// (kInsufficientStorage) as soon as the bytes received no longer fit the space's quota or the
// free-space floor, so a body of unknown length is stopped while it arrives.
class Upload {
 public:
  Upload(Files& files, Principal who, Item folder, std::string name,
         std::unique_ptr<BlobWriter> writer);
  Result<void> write(std::string_view chunk);
  Result<CommittedFile> commit();

 private:
  friend class Files;
  Files& files_;
  Principal who_;
  Item folder_;
  std::string name_;
  std::unique_ptr<BlobWriter> writer_;
  std::int64_t written_ = 0;
  std::optional<std::int64_t> quota_;  // the space's quota in force, if any
  std::int64_t used_at_start_ = 0;     // what the space stored when the upload began
  std::int64_t free_checked_at_ = 0;   // `written_` when free space was last measured
};

class Files {
 public:
  Files(ItemRepository& items, SpaceRepository& spaces, BlobStore& blobs, Authorizer& authz,
        const util::Clock& clock, FilesOptions options);

  Result<Item> get(const Principal& who, Id id);
  Result<std::vector<Item>> children(const Principal& who, Id folder_id);
  Result<Item> create_folder(const Principal& who, Id parent_id, const std::string& name);
  // Checks access, the name, and — when the client declared the body's size — that it fits the
  // space's quota and the free-space floor, before any byte is read.
  Result<std::unique_ptr<Upload>> begin_upload(const Principal& who, Id folder_id,
                                               const std::string& name,
                                               std::optional<std::int64_t> declared_size);
  // The space's storage and the quota in force in it (absent: none). Members of the space and
  // admins only.
  struct StorageUse {
    std::int64_t used_bytes = 0;
    std::optional<std::int64_t> quota_bytes;  // in force
    bool space_quota = false;                 // set for this space rather than the default
  };
  Result<StorageUse> storage(const Principal& who, Id space_id);
  // Admins only: the space's own quota (0: none), or nullopt for the server's default.
  Result<StorageUse> set_quota(const Principal& who, Id space_id,
                               std::optional<std::int64_t> quota_bytes);
  // The current version, or `version` when given (authorized as a download).
  Result<FileContent> open_content(const Principal& who, Id id,
                                   std::optional<std::int64_t> version = std::nullopt);
  // The current version, to be shown in the browser rather than downloaded: authorized as
  // Action::kRead, so a link that blocks downloads still lets its holder view the file.
  Result<FileContent> open_for_view(const Principal& who, Id id);
  Result<std::vector<FileVersion>> versions(const Principal& who, Id id);
  // Makes the bytes of kept version `number` the file's new current version (a new version, so
  // nothing is lost), recorded as modified by `who`; keep_versions applies. Needs the edit
  // role; kNotFound for a version that is not kept. Restoring the current version changes
  // nothing.
  Result<Item> restore_version(const Principal& who, Id id, std::int64_t number);
  Result<Item> update(const Principal& who, Id id, const std::optional<std::string>& name,
                      const std::optional<Id>& parent_id);
  Result<void> trash(const Principal& who, Id id);
  Result<Item> restore(const Principal& who, Id id, const std::optional<std::string>& name);
  Result<void> purge(const Principal& who, Id id);
  Result<std::vector<Item>> trashed(const Principal& who, Id space_id);

  // Deletes blobs that no version refers to any more (past the blob store's grace period).
  Result<std::size_t> collect_garbage();

 private:
  friend class Upload;
  [[nodiscard]] std::optional<std::int64_t> quota_in_force(const SpaceStorage& storage) const;
  Result<void> check_room(const Upload& upload, std::int64_t more) const;
  Result<void> check_free_space(std::int64_t more);
  Result<CommittedFile> commit_upload(const Principal& who, const Item& folder,
                                      const std::string& name, const BlobRef& blob,
                                      std::optional<std::int64_t> space_limit);
  void release(const std::vector<std::string>& blobs);
  Result<Item> live_folder(const Principal& who, Action action, Id id);
  Result<FileContent> open(const Principal& who, Id id, std::optional<std::int64_t> version,
                           Action action);

  ItemRepository& items_;
  SpaceRepository& spaces_;
  BlobStore& blobs_;
  Authorizer& authz_;
  const util::Clock& clock_;
  FilesOptions options_;
};

}  // namespace vestibule::domain
