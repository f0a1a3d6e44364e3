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
};

// An open file version to send to a client.
struct FileContent {
  Item item;
  std::int64_t version = 0;
  std::string blob;
  std::int64_t size = 0;
  int fd = -1;  // owned by the caller; -1 when `bytes` holds a small file's content
  std::shared_ptr<const std::string> bytes;
  Access access;  // as decided for this request
};

// All of a file's bytes in memory (from `bytes`, or read from `fd`, which is then closed); for
// tools and tests, never for serving, which streams.
Result<std::string> read_whole(FileContent& content);

class Files;

// One upload in progress. Destroying it without commit() discards the bytes.
class Upload {
 public:
  Upload(Files& files, Principal who, Item folder, std::string name,
         std::unique_ptr<BlobWriter> writer);
  Result<void> write(std::string_view chunk);
  Result<CommittedFile> commit();

 private:
  Files& files_;
  Principal who_;
  Item folder_;
  std::string name_;
  std::unique_ptr<BlobWriter> writer_;
};

class Files {
 public:
  Files(ItemRepository& items, SpaceRepository& spaces, BlobStore& blobs, Authorizer& authz,
        const util::Clock& clock, FilesOptions options);

  Result<Item> get(const Principal& who, Id id);
  Result<std::vector<Item>> children(const Principal& who, Id folder_id);
  Result<Item> create_folder(const Principal& who, Id parent_id, const std::string& name);
  // Checks access and the name before any byte is read.
  Result<std::unique_ptr<Upload>> begin_upload(const Principal& who, Id folder_id,
                                               const std::string& name);
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
  Result<CommittedFile> commit_upload(const Principal& who, const Item& folder,
                                      const std::string& name, const BlobRef& blob);
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
