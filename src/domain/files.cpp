#include "domain/files.hpp"

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

Result<void> Upload::write(std::string_view chunk) { return writer_->write(chunk); }

Result<CommittedFile> Upload::commit() {
  VST_TRY(blob, writer_->commit());
  return files_.commit_upload(who_, folder_, name_, blob);
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

Result<std::unique_ptr<Upload>> Files::begin_upload(const Principal& who, Id folder_id,
                                                    const std::string& given_name) {
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
  VST_TRY(writer, blobs_.begin_write());
  return std::make_unique<Upload>(*this, who, std::move(folder), name, std::move(writer));
}

Result<CommittedFile> Files::commit_upload(const Principal& who, const Item& folder,
                                           const std::string& name, const BlobRef& blob) {
  // Access is checked again at commit: a long upload must not outlive a revoked membership.
  VST_TRY(current, items_.find(folder.id));
  VST_TRYV(authz_.authorize(who, Action::kUpload, current));
  auto committed = items_.commit_file(current, name, blob.sha256, blob.size, actor_of(who),
                                      clock_.now(), options_.keep_versions);
  if (!committed) {
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
  FileContent content{item, item.version, item.blob, item.size, -1, nullptr, std::move(access)};
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
