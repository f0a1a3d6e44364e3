#include "store/sql/repositories.hpp"

#include <algorithm>
#include <set>

namespace vestibule::store::sql {

using domain::Id;
using domain::Item;
using util::from_unix;
using util::to_unix;

namespace {

#define VST_ITEM_COLUMNS                                                               \
  "i.id, i.space_id, i.parent_id, i.name, i.kind, i.path, i.size, i.version, i.blob, " \
  "i.modified_at, i.modified_by, COALESCE(u.display_name, i.modified_by_label), i.trashed_at"
#define VST_ITEM_FROM " FROM items i LEFT JOIN users u ON u.id = i.modified_by "

Item read_item(const Statement& s) {
  Item r;
  r.id = s.int64(0);
  r.space_id = s.int64(1);
  r.parent_id = s.optional_int64(2);
  r.name = s.text(3);
  r.kind = s.text(4) == "file" ? domain::ItemKind::kFile : domain::ItemKind::kFolder;
  r.path = s.text(5);
  r.size = s.int64(6);
  r.version = s.int64(7);
  r.blob = s.text(8);
  r.modified_at = from_unix(s.int64(9));
  r.modified_by = s.optional_int64(10).value_or(0);
  r.modified_by_name = s.text(11);
  if (auto t = s.optional_int64(12)) {
    r.trashed_at = from_unix(*t);
  }
  return r;
}

Item item_by_id(Connection& c, Id id) {
  auto& s = c.prepare("SELECT " VST_ITEM_COLUMNS VST_ITEM_FROM "WHERE i.id = ?1");
  s.with(id);
  if (!s.step()) {
    refuse(Errc::kNotFound, "no such item, or you have no access to it");
  }
  return read_item(s);
}

// The upper bound of a path prefix range: "/1/7/" -> "/1/70" ('0' follows '/' in ASCII), so
// `path >= prefix AND path < bound` selects the prefix's subtree with the path index.
std::string subtree_bound(const std::string& prefix) {
  std::string bound = prefix;
  bound.back() = static_cast<char>('/' + 1);
  return bound;
}

std::vector<std::string> release_candidates(Connection& c, const std::vector<std::string>& blobs) {
  std::vector<std::string> released;
  std::set<std::string> seen;
  for (const auto& blob : blobs) {
    if (!seen.insert(blob).second) {
      continue;
    }
    auto& s = c.prepare("SELECT 1 FROM versions WHERE blob = ?1 LIMIT 1");
    s.with(blob);
    if (!s.step()) {
      released.push_back(blob);
    }
  }
  return released;
}

std::optional<Id> user_of(const domain::Actor& by) {
  return by.user_id != 0 ? std::optional<Id>(by.user_id) : std::nullopt;
}

// Records version `version` of file `id` (whose items row already says so) and drops the versions
// beyond the kept count; returns the dropped versions' blobs that nothing refers to any more.
std::vector<std::string> add_version(Connection& c, Id id, std::int64_t version,
                                     const std::string& blob, std::int64_t size,
                                     const domain::Actor& by, domain::TimePoint now,
                                     int keep_versions) {
  c.prepare(
       "INSERT INTO versions (item_id, number, blob, size, created_at, created_by, "
       "created_by_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      .with(id, version, blob, size, to_unix(now), user_of(by), by.label)
      .run();
  std::vector<std::string> dropped;
  auto& old = c.prepare("SELECT blob FROM versions WHERE item_id = ?1 AND number <= ?2");
  old.with(id, version - std::max(keep_versions, 1));
  while (old.step()) {
    dropped.push_back(old.text(0));
  }
  old.reset();
  c.prepare("DELETE FROM versions WHERE item_id = ?1 AND number <= ?2")
      .with(id, version - std::max(keep_versions, 1))
      .run();
  return release_candidates(c, dropped);
}

}  // namespace

Result<Item> ItemStore::find(Id id) {
  return db_.memoized_read<Item>("item:" + std::to_string(id),
                                 [&](Connection& c) { return item_by_id(c, id); });
}

Result<std::vector<Item>> ItemStore::ancestors(const Item& item) {
  return db_.memoized_read<std::vector<Item>>("ancestors:" + item.path, [&](Connection& c) {
    // The ids on the path, parsed from "/1/7/42/", minus the item itself, in one query.
    std::vector<Id> ids = domain::path_ids(item.path);
    if (!ids.empty()) {
      ids.pop_back();
    }
    std::vector<Item> out;
    if (ids.empty()) {
      return out;
    }
    auto& s = c.prepare("SELECT " VST_ITEM_COLUMNS VST_ITEM_FROM
                        "WHERE i.id IN (SELECT value FROM json_each(?1))");
    std::string list = "[";
    for (std::size_t k = 0; k < ids.size(); ++k) {
      list += (k == 0 ? "" : ",") + std::to_string(ids[k]);
    }
    list += "]";
    s.with(list);
    while (s.step()) {
      out.push_back(read_item(s));
    }
    std::sort(out.begin(), out.end(),
              [](const Item& a, const Item& b) { return a.path.size() < b.path.size(); });
    return out;
  });
}

Result<std::vector<Item>> ItemStore::children(Id folder_id) {
  return db_.read<std::vector<Item>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_ITEM_COLUMNS VST_ITEM_FROM
                        "WHERE i.parent_id = ?1 AND i.trashed_at IS NULL "
                        "ORDER BY i.kind = 'file', i.name");
    s.with(folder_id);
    std::vector<Item> out;
    while (s.step()) {
      out.push_back(read_item(s));
    }
    return out;
  });
}

Result<Item> ItemStore::child_by_name(Id folder_id, const std::string& name) {
  return db_.read<Item>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_ITEM_COLUMNS VST_ITEM_FROM
                        "WHERE i.parent_id = ?1 AND i.name = ?2 AND i.trashed_at IS NULL");
    s.with(folder_id, name);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no item named '" + name + "' in this folder");
    }
    return read_item(s);
  });
}

Result<Item> ItemStore::create_folder(const Item& parent, const std::string& name,
                                      const domain::Actor& by, domain::TimePoint now) {
  return db_.write<Item>([&](Connection& c) {
    c.prepare(
         "INSERT INTO items (space_id, parent_id, name, kind, path, modified_at, modified_by, "
         "modified_by_label) VALUES (?1, ?2, ?3, 'folder', '', ?4, ?5, ?6)")
        .with(parent.space_id, parent.id, name, to_unix(now), user_of(by), by.label)
        .run();
    const Id id = c.last_insert_id();
    c.prepare("UPDATE items SET path = ?1 || id || '/' WHERE id = ?2").with(parent.path, id).run();
    return item_by_id(c, id);
  });
}

Result<domain::CommittedFile> ItemStore::commit_file(const Item& parent, const std::string& name,
                                                     const std::string& blob, std::int64_t size,
                                                     const domain::Actor& by, domain::TimePoint now,
                                                     int keep_versions,
                                                     std::optional<std::int64_t> space_limit) {
  return db_.write<domain::CommittedFile>([&](Connection& c) {
    domain::CommittedFile result;
    auto& find = c.prepare(
        "SELECT id, kind, version FROM items WHERE parent_id = ?1 AND name = ?2 "
        "AND trashed_at IS NULL");
    find.with(parent.id, name);
    Id id = 0;
    std::int64_t version = 1;
    if (find.step()) {
      if (find.text(1) != "file") {
        refuse(Errc::kConflict, "a folder has that name");
      }
      id = find.int64(0);
      version = find.int64(2) + 1;
      find.reset();
      c.prepare(
           "UPDATE items SET size = ?1, version = ?2, blob = ?3, modified_at = ?4, "
           "modified_by = ?5, modified_by_label = ?6 WHERE id = ?7")
          .with(size, version, blob, to_unix(now), user_of(by), by.label, id)
          .run();
    } else {
      find.reset();
      c.prepare(
           "INSERT INTO items (space_id, parent_id, name, kind, path, size, version, blob, "
           "modified_at, modified_by, modified_by_label) "
           "VALUES (?1, ?2, ?3, 'file', '', ?4, 1, ?5, ?6, ?7, ?8)")
          .with(parent.space_id, parent.id, name, size, blob, to_unix(now), user_of(by), by.label)
          .run();
      id = c.last_insert_id();
      c.prepare("UPDATE items SET path = ?1 || id || '/' WHERE id = ?2")
          .with(parent.path, id)
          .run();
      result.created = true;
    }
    result.released_blobs = add_version(c, id, version, blob, size, by, now, keep_versions);
    if (space_limit) {
      // Decided inside the write transaction, so concurrent uploads cannot together overrun it.
      auto& used = c.prepare("SELECT used_bytes FROM spaces WHERE id = ?1");
      used.with(parent.space_id);
      const std::int64_t stored = used.step() ? used.int64(0) : 0;
      used.reset();
      if (stored > *space_limit) {
        refuse(Errc::kInsufficientStorage,
               "There is no room for '" + name + "': the space's quota was used up by other " +
                   "uploads meanwhile. Free space by deleting files and emptying the trash, or " +
                   "ask an administrator to raise the space's quota.");
      }
    }
    result.item = item_by_id(c, id);
    return result;
  });
}

Result<domain::CommittedFile> ItemStore::restore_version(const Item& item, std::int64_t number,
                                                         const domain::Actor& by,
                                                         domain::TimePoint now, int keep_versions) {
  return db_.write<domain::CommittedFile>([&](Connection& c) {
    // Re-read inside the transaction: the version must still be kept, the file still live.
    const Item current = item_by_id(c, item.id);
    if (current.kind != domain::ItemKind::kFile || current.trashed_at) {
      refuse(Errc::kNotFound, "no such file, or it is in the trash");
    }
    auto& kept = c.prepare("SELECT blob, size FROM versions WHERE item_id = ?1 AND number = ?2");
    kept.with(current.id, number);
    if (!kept.step()) {
      refuse(Errc::kNotFound, "version " + std::to_string(number) + " is not kept");
    }
    const std::string blob = kept.text(0);
    const std::int64_t size = kept.int64(1);
    kept.reset();
    const std::int64_t version = current.version + 1;
    c.prepare(
         "UPDATE items SET size = ?1, version = ?2, blob = ?3, modified_at = ?4, "
         "modified_by = ?5, modified_by_label = ?6 WHERE id = ?7")
        .with(size, version, blob, to_unix(now), user_of(by), by.label, current.id)
        .run();
    domain::CommittedFile result;
    result.released_blobs = add_version(c, current.id, version, blob, size, by, now, keep_versions);
    result.item = item_by_id(c, current.id);
    return result;
  });
}

Result<Item> ItemStore::rename_move(const Item& item, const std::string& name,
                                    const Item& new_parent, const domain::Actor& by,
                                    domain::TimePoint now) {
  return db_.write<Item>([&](Connection& c) {
    // Re-read inside the transaction: the subtree's paths must be rewritten from current state.
    const Item current = item_by_id(c, item.id);
    c.prepare(
         "UPDATE items SET name = ?1, parent_id = ?2, modified_at = ?3, modified_by = ?4, "
         "modified_by_label = ?5 WHERE id = ?6")
        .with(name, new_parent.id, to_unix(now), user_of(by), by.label, item.id)
        .run();
    const std::string new_path = new_parent.path + std::to_string(item.id) + "/";
    if (new_path != current.path) {
      c.prepare(
           "UPDATE items SET path = ?1 || substr(path, length(?2) + 1) "
           "WHERE path >= ?2 AND path < ?3")
          .with(new_path, current.path, subtree_bound(current.path))
          .run();
    }
    return item_by_id(c, item.id);
  });
}

Result<void> ItemStore::trash(Id id, const domain::Actor& by, domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "UPDATE items SET trashed_at = ?1, trashed_by = ?2 WHERE id = ?3 AND trashed_at IS NULL")
        .with(to_unix(now), user_of(by), id)
        .run();
  });
}

Result<Item> ItemStore::restore(const Item& item, const std::string& name) {
  return db_.write<Item>([&](Connection& c) {
    c.prepare("UPDATE items SET trashed_at = NULL, trashed_by = NULL, name = ?1 WHERE id = ?2")
        .with(name, item.id)
        .run();
    return item_by_id(c, item.id);
  });
}

Result<std::vector<std::string>> ItemStore::purge(const Item& item) {
  return db_.write<std::vector<std::string>>([&](Connection& c) {
    const Item current = item_by_id(c, item.id);
    const auto bound = subtree_bound(current.path);
    std::vector<std::string> blobs;
    auto& s = c.prepare(
        "SELECT v.blob FROM versions v JOIN items i ON i.id = v.item_id "
        "WHERE i.path >= ?1 AND i.path < ?2");
    s.with(current.path, bound);
    while (s.step()) {
      blobs.push_back(s.text(0));
    }
    s.reset();
    c.prepare(
         "DELETE FROM versions WHERE item_id IN (SELECT id FROM items WHERE path >= ?1 AND "
         "path < ?2)")
        .with(current.path, bound)
        .run();
    // One statement: the engine checks the parent_id references at its end, when the whole
    // subtree is gone.
    c.prepare("DELETE FROM items WHERE path >= ?1 AND path < ?2").with(current.path, bound).run();
    return release_candidates(c, blobs);
  });
}

Result<std::vector<domain::FileVersion>> ItemStore::versions(Id item_id) {
  return db_.read<std::vector<domain::FileVersion>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT v.item_id, v.number, v.blob, v.size, v.created_at, v.created_by, "
        "COALESCE(u.display_name, v.created_by_label) "
        "FROM versions v LEFT JOIN users u ON u.id = v.created_by WHERE v.item_id = ?1 "
        "ORDER BY v.number DESC");
    s.with(item_id);
    std::vector<domain::FileVersion> out;
    while (s.step()) {
      out.push_back({s.int64(0), s.int64(1), s.text(2), s.int64(3), from_unix(s.int64(4)),
                     s.optional_int64(5).value_or(0), s.text(6)});
    }
    return out;
  });
}

Result<std::vector<Item>> ItemStore::trashed(Id space_id) {
  return db_.read<std::vector<Item>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_ITEM_COLUMNS VST_ITEM_FROM
                        "WHERE i.space_id = ?1 AND i.trashed_at IS NOT NULL "
                        "ORDER BY i.trashed_at DESC, i.id");
    s.with(space_id);
    std::vector<Item> out;
    while (s.step()) {
      out.push_back(read_item(s));
    }
    return out;
  });
}

Result<bool> ItemStore::blob_referenced(const std::string& blob) {
  return db_.read<bool>([&](Connection& c) {
    auto& s = c.prepare("SELECT 1 FROM versions WHERE blob = ?1 LIMIT 1");
    s.with(blob);
    return s.step();
  });
}

}  // namespace vestibule::store::sql
