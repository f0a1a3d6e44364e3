#include "domain/files.hpp"

#include "util/byte_size.hpp"
#include "util/file_io.hpp"
#include "util/names.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <unistd.h>

namespace vestibule::domain {

Upload::Upload(Files& files, Principal who, Item folder, std::string name,
               std::unique_ptr<BlobWriter> writer)
    : files_(files),
      who_(who),
      folder_(std::move(folder)),
      name_(std::move(name)),
      writer_(std::move(writer)) {}

namespace {

// How often a body of unknown length re-measures the free space while it arrives.
constexpr std::int64_t kFreeSpaceCheckEvery = std::int64_t{4} << 20;

bool outside_the_space(const Principal& who) {
  // Whoever reached the folder through a link cannot free space in it themselves.
  return who.via.has_value() || who.kind == PrincipalKind::kExternal ||
         who.kind == PrincipalKind::kAnonymous;
}

}  // namespace

Result<void> Upload::write(std::string_view chunk) {
  const auto size = static_cast<std::int64_t>(chunk.size());
  VST_TRYV(files_.check_room(*this, size));
  if (written_ + size - free_checked_at_ >= kFreeSpaceCheckEvery) {
    VST_TRYV(files_.check_free_space(size));
    free_checked_at_ = written_ + size;
  }
  written_ += size;
  return writer_->write(chunk);
}

Result<CommittedFile> Upload::commit() {
  // Checked again before the blob is made durable: another upload may have used the room
  // meanwhile, and a refusal here leaves nothing behind (the temporary file is discarded).
  VST_TRY(now_stored, files_.spaces_.storage(folder_.space_id));
  used_at_start_ = now_stored.used_bytes;
  quota_ = files_.quota_in_force(now_stored);
  VST_TRYV(files_.check_room(*this, 0));
  VST_TRY(blob, writer_->commit());
  return files_.commit_upload(who_, folder_, name_, blob, quota_);
}

Files::Files(ItemRepository& items, SpaceRepository& spaces, BlobStore& blobs, Authorizer& authz,
             const util::Clock& clock, FilesOptions options)
    : items_(items),
      spaces_(spaces),
      blobs_(blobs),
      authz_(authz),
      clock_(clock),
      options_(options) {}

Result<Item> Files::get(const Principal& who, Id id) {
  VST_TRY(item, items_.find(id));
  VST_TRYV(authz_.authorize(who, Action::kRead, item));
  return item;
}

Result<Item> Files::live_folder(const Principal& who, Action action, Id id) {
  VST_TRY(folder, items_.find(id));
  VST_TRYV(authz_.authorize(who, action, folder));
  if (folder.kind != ItemKind::kFolder) {
    return fail(Errc::kInvalidArgument, "item " + std::to_string(id) + " is a file, not a folder",
                "id");
  }
  return folder;
}

Result<std::vector<Item>> Files::children(const Principal& who, Id folder_id) {
  VST_TRY(folder, live_folder(who, Action::kList, folder_id));
  return items_.children(folder.id);
}

Result<Item> Files::create_folder(const Principal& who, Id parent_id,
                                  const std::string& given_name) {
  VST_TRY(name, util::normalized_item_name(given_name));
  VST_TRY(parent, live_folder(who, Action::kUpload, parent_id));
  auto created = items_.create_folder(parent, name, actor_of(who), clock_.now());
  if (!created && created.error().code == Errc::kConflict) {
    return fail(Errc::kConflict,
                "'" + name + "' already exists in this folder; choose another name", "name");
  }
  return created;
}

std::optional<std::int64_t> Files::quota_in_force(const SpaceStorage& storage) const {
  const std::int64_t quota = storage.quota_bytes.value_or(options_.space_quota);
  if (quota <= 0) {
    return std::nullopt;
  }
  return quota;
}

Result<void> Files::check_room(const Upload& upload, std::int64_t more) const {
  if (!upload.quota_) {
    return outcome::success();
  }
  const std::int64_t quota = *upload.quota_;
  const std::int64_t needed = upload.written_ + more;
  const std::int64_t left = std::max<std::int64_t>(0, quota - upload.used_at_start_);
  if (needed <= left) {
    return outcome::success();
  }
  const std::string what_to_do =
      outside_the_space(upload.who_)
          ? "Ask the person who shared this folder with you to free space in it or to have its "
            "quota raised."
          : "Free space by deleting files and emptying the trash, or ask an administrator to "
            "raise the space's quota.";
  return fail(Errc::kInsufficientStorage,
              "There is no room for '" + upload.name_ + "': the space it goes to has a quota of " +
                  util::format_byte_size(quota) + " and " + util::format_byte_size(left) +
                  " of it is left, but the upload needs " +
                  (more == 0 || upload.written_ == 0 ? "" : "more than ") +
                  util::format_byte_size(needed) + ". " + what_to_do);
}

Result<void> Files::check_free_space(std::int64_t more) {
  if (options_.min_free_bytes <= 0) {
    return outcome::success();
  }
  VST_TRY(available, blobs_.available_bytes());
  if (available - more >= options_.min_free_bytes) {
    return outcome::success();
  }
  spdlog::warn(
      "upload refused: {} free on the data folder's disk, {} kept in reserve "
      "(storage.min_free_bytes)",
      util::format_byte_size(available), util::format_byte_size(options_.min_free_bytes));
  return fail(Errc::kInsufficientStorage,
              "The server is nearly out of disk space: " + util::format_byte_size(available) +
                  " is free and it keeps " + util::format_byte_size(options_.min_free_bytes) +
                  " in reserve, so it takes no uploads until space is freed. Tell the server's "
                  "administrator; files already stored are safe.");
}

Result<Files::StorageUse> Files::storage(const Principal& who, Id space_id) {
  if (auto member = authz_.authorize_space(who, Action::kList, space_id); !member) {
    if (!(who.admin && who.kind == PrincipalKind::kMember)) {
      return fail(member.error());
    }
  }
  VST_TRY(stored, spaces_.storage(space_id));
  return StorageUse{stored.used_bytes, quota_in_force(stored), stored.quota_bytes.has_value()};
}

Result<Files::StorageUse> Files::set_quota(const Principal& who, Id space_id,
                                           std::optional<std::int64_t> quota_bytes) {
  VST_TRYV(authz_.authorize_admin(who));
  if (quota_bytes && *quota_bytes < 0) {
    return fail(Errc::kInvalidArgument,
                "a quota is a number of bytes, 0 for none, or null for the server's default",
                "quota_bytes");
  }
  VST_TRYV(spaces_.find(space_id));
  VST_TRY(stored, spaces_.set_quota(space_id, quota_bytes));
  return StorageUse{stored.used_bytes, quota_in_force(stored), stored.quota_bytes.has_value()};
}

Result<std::unique_ptr<Upload>> Files::begin_upload(const Principal& who, Id folder_id,
                                                    const std::string& given_name,
                                                    std::optional<std::int64_t> declared_size) {
  VST_TRY(name, util::normalized_item_name(given_name));
  VST_TRY(folder, live_folder(who, Action::kUpload, folder_id));
  auto existing = items_.child_by_name(folder.id, name);
  if (existing && existing.value().kind == ItemKind::kFolder) {
    return fail(Errc::kConflict,
                "'" + name + "' is a folder in this folder; upload under another name", "name");
  }
  if (!existing && existing.error().code != Errc::kNotFound) {
    return fail(existing.error());
  }
  VST_TRY(stored, spaces_.storage(folder.space_id));
  VST_TRYV(check_free_space(declared_size.value_or(0)));
  VST_TRY(writer, blobs_.begin_write());
  auto upload = std::make_unique<Upload>(*this, who, std::move(folder), name, std::move(writer));
  upload->quota_ = quota_in_force(stored);
  upload->used_at_start_ = stored.used_bytes;
  if (declared_size) {
    VST_TRYV(check_room(*upload, *declared_size));  // before any byte of the body is read
  }
  return upload;
}

Result<CommittedFile> Files::commit_upload(const Principal& who, const Item& folder,
                                           const std::string& name, const BlobRef& blob,
                                           std::optional<std::int64_t> space_limit) {
  // Access is checked again at commit: a long upload must not outlive a revoked membership.
  VST_TRY(current, items_.find(folder.id));
  VST_TRYV(authz_.authorize(who, Action::kUpload, current));
  auto committed = items_.commit_file(current, name, blob.sha256, blob.size, actor_of(who),
                                      clock_.now(), options_.keep_versions, space_limit);
  if (!committed) {
    release({blob.sha256});  // unreferenced after a refusal; the sweep removes it past the grace
    if (committed.error().code == Errc::kConflict) {
      return fail(Errc::kConflict,
                  "'" + name + "' is a folder in this folder; upload under another name", "name");
    }
    return committed;
  }
  release(committed.value().released_blobs);
  return committed;
}

void Files::release(const std::vector<std::string>& blobs) {
  for (const auto& blob : blobs) {
    auto referenced = items_.blob_referenced(blob);
    if (referenced && !referenced.value()) {
      if (auto r = blobs_.release(blob); !r) {
        spdlog::warn("could not release blob {}: {}", blob, r.error().message);
      }
    }
  }
}

Result<std::string> read_whole(FileContent& content) {
  if (content.bytes) {
    return *content.bytes;
  }
  if (content.fd < 0 && content.store != nullptr) {
    VST_TRY(reader, content.store->read(content.blob, 0, -1));
    std::string out;
    out.reserve(static_cast<std::size_t>(content.size));
    std::string chunk;
    for (;;) {
      VST_TRY(more, reader->next(chunk));
      if (!more) {
        return out;
      }
      out += chunk;
    }
  }
  std::string out(static_cast<std::size_t>(content.size), '\0');
  auto read = util::pread_exact(content.fd, out.data(), out.size(), 0);
  ::close(content.fd);
  content.fd = -1;
  VST_TRYV(read);
  return out;
}

Result<FileContent> Files::open_content(const Principal& who, Id id,
                                        std::optional<std::int64_t> version) {
  return open(who, id, version, Action::kDownload);
}

Result<FileContent> Files::open_for_view(const Principal& who, Id id) {
  return open(who, id, std::nullopt, Action::kRead);
}

Result<FileContent> Files::open(const Principal& who, Id id, std::optional<std::int64_t> version,
                                Action action) {
  VST_TRY(item, items_.find(id));
  VST_TRY(access, authz_.authorize(who, action, item));
  if (item.kind != ItemKind::kFile) {
    return fail(Errc::kInvalidArgument,
                "item " + std::to_string(id) +
                    " is a folder; folders "
                    "have no content to download",
                "id");
  }
  FileContent content{item, item.version, item.blob, item.size,
                      -1,   nullptr,      nullptr,   std::move(access)};
  if (version && *version != item.version) {
    VST_TRY(all, items_.versions(id));
    const auto found = std::find_if(all.begin(), all.end(),
                                    [&](const FileVersion& v) { return v.number == *version; });
    if (found == all.end()) {
      return fail(Errc::kNotFound, "this file has no version " + std::to_string(*version) +
                                       "; list its versions to see which are kept");
    }
    content.version = found->number;
    content.blob = found->blob;
    content.size = found->size;
  }
  if (content.size <= BlobStore::kSmallBlobBytes) {
    VST_TRY(bytes, blobs_.read_small(content.blob, content.size));
    content.bytes = std::move(bytes);
    return content;
  }
  if (!blobs_.has_file_descriptors()) {
    content.store = &blobs_;  // read when the range to send is known
    return content;
  }
  VST_TRY(fd, blobs_.open(content.blob));
  content.fd = fd;
  return content;
}

Result<std::vector<FileVersion>> Files::versions(const Principal& who, Id id) {
  VST_TRY(item, items_.find(id));
  VST_TRYV(authz_.authorize(who, Action::kRead, item));
  if (item.kind != ItemKind::kFile) {
    return fail(Errc::kInvalidArgument,
                "item " + std::to_string(id) + " is a folder; only files have versions", "id");
  }
  return items_.versions(id);
}

Result<Item> Files::restore_version(const Principal& who, Id id, std::int64_t number) {
  VST_TRY(item, items_.find(id));
  VST_TRYV(authz_.authorize(who, Action::kUpload, item));
  if (item.kind != ItemKind::kFile) {
    return fail(Errc::kInvalidArgument,
                "item " + std::to_string(id) + " is a folder; only files have versions", "id");
  }
  const auto no_such_version = [&] {
    return fail(Errc::kNotFound, "this file has no version " + std::to_string(number) +
                                     "; list its versions to see which are kept");
  };
  if (number == item.version) {
    return item;  // already the current version
  }
  auto restored =
      items_.restore_version(item, number, actor_of(who), clock_.now(), options_.keep_versions);
  if (!restored) {
    if (restored.error().code == Errc::kNotFound) {
      return no_such_version();
    }
    return fail(restored.error());
  }
  release(restored.value().released_blobs);
  return std::move(restored).value().item;
}

Result<Item> Files::update(const Principal& who, Id id, const std::optional<std::string>& name,
                           const std::optional<Id>& parent_id) {
  VST_TRY(item, items_.find(id));
  VST_TRYV(authz_.authorize(who, Action::kRename, item));
  if (!item.parent_id) {
    return fail(Errc::kInvalidArgument, "a space's root folder cannot be renamed or moved", "id");
  }
  VST_TRY(new_name, util::normalized_item_name(name.value_or(item.name)));
  Item parent;
  if (parent_id && *parent_id != *item.parent_id) {
    VST_TRY(target, live_folder(who, Action::kUpload, *parent_id));
    if (target.space_id != item.space_id) {
      return fail(Errc::kInvalidArgument,
                  "moving between spaces is not supported; download and upload the file instead",
                  "parent_id");
    }
    if (target.path.starts_with(item.path)) {
      return fail(Errc::kConflict, "a folder cannot be moved into itself or one of its subfolders",
                  "parent_id");
    }
    parent = std::move(target);
  } else {
    VST_TRY(current_parent, items_.find(*item.parent_id));
    parent = std::move(current_parent);
  }
  auto updated = items_.rename_move(item, new_name, parent, actor_of(who), clock_.now());
  if (!updated && updated.error().code == Errc::kConflict) {
    return fail(Errc::kConflict,
                "'" + new_name + "' already exists in the destination folder; choose another name",
                "name");
  }
  return updated;
}

Result<void> Files::trash(const Principal& who, Id id) {
  VST_TRY(item, items_.find(id));
  VST_TRYV(authz_.authorize(who, Action::kDelete, item));
  if (!item.parent_id) {
    return fail(Errc::kInvalidArgument, "a space's root folder cannot be deleted", "id");
  }
  return items_.trash(id, actor_of(who), clock_.now());
}

Result<Item> Files::restore(const Principal& who, Id id, const std::optional<std::string>& name) {
  VST_TRY(item, items_.find(id));
  VST_TRYV(authz_.authorize_trashed(who, Action::kDelete, item));
  if (!item.trashed_at) {
    return fail(Errc::kConflict, "this item is not in the trash", "id");
  }
  VST_TRY(new_name, util::normalized_item_name(name.value_or(item.name)));
  auto restored = items_.restore(item, new_name);
  if (!restored && restored.error().code == Errc::kConflict) {
    return fail(
        Errc::kConflict,
        "'" + new_name + "' is taken in the original folder; restore it with another \"name\"",
        "name");
  }
  return restored;
}

Result<void> Files::purge(const Principal& who, Id id) {
  VST_TRY(item, items_.find(id));
  VST_TRYV(authz_.authorize_trashed(who, Action::kDelete, item));
  if (!item.trashed_at) {
    return fail(Errc::kConflict,
                "only items in the trash can be deleted for ever; move it to the trash first",
                "id");
  }
  VST_TRY(released, items_.purge(item));
  release(released);
  return outcome::success();
}

Result<std::vector<Item>> Files::trashed(const Principal& who, Id space_id) {
  VST_TRY(space, spaces_.find(space_id));
  VST_TRY(root, items_.find(space.root_item_id));
  VST_TRYV(authz_.authorize(who, Action::kList, root));
  return items_.trashed(space_id);
}

Result<std::size_t> Files::collect_garbage() {
  VST_TRY(all, blobs_.list());
  std::size_t released = 0;
  for (const auto& blob : all) {
    VST_TRY(referenced, items_.blob_referenced(blob));
    if (!referenced) {
      VST_TRYV(blobs_.release(blob));
      ++released;
    }
  }
  return released;
}

}  // namespace vestibule::domain
