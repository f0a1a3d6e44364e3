// The product's model types (SPEC §2) as plain values. Ids are the storage's integer keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/clock.hpp"

namespace vestibule::domain {

using Id = std::int64_t;
using util::TimePoint;

enum class UserRole { kUser, kAdmin };
std::string_view to_string(UserRole role);

struct User {
  Id id = 0;
  std::string email;
  std::string display_name;
  std::string password_hash;  // Argon2id, libsodium string form
  UserRole role = UserRole::kUser;
  bool disabled = false;
  TimePoint created_at;
};

enum class SpaceKind { kPersonal, kTeam };
std::string_view to_string(SpaceKind kind);

// Ordered: a higher role can do everything a lower one can.
enum class SpaceRole { kVisitor = 1, kMember = 2, kOwner = 3 };
std::string_view to_string(SpaceRole role);
std::optional<SpaceRole> space_role_from_string(std::string_view text);

struct Space {
  Id id = 0;
  std::string name;
  SpaceKind kind = SpaceKind::kTeam;
  Id root_item_id = 0;
  std::optional<Id> owner_user_id;  // personal spaces only
  TimePoint created_at;
};

struct SpaceMember {
  Id space_id = 0;
  Id user_id = 0;
  SpaceRole role = SpaceRole::kVisitor;
  std::string email;
  std::string display_name;
};

enum class ItemKind { kFile, kFolder };
std::string_view to_string(ItemKind kind);

struct Item {
  Id id = 0;
  Id space_id = 0;
  std::optional<Id> parent_id;  // none for a space's root folder
  std::string name;
  ItemKind kind = ItemKind::kFolder;
  // Ids from the space root down to this item, as "/1/7/42/": one indexed query finds all
  // ancestors or all descendants.
  std::string path;
  std::int64_t size = 0;
  std::int64_t version = 0;  // current version number of a file; 0 for folders
  std::string blob;          // SHA-256 hex of the current version's bytes (files)
  TimePoint modified_at;
  Id modified_by = 0;
  std::string modified_by_name;
  std::optional<TimePoint> trashed_at;
};

struct FileVersion {
  Id item_id = 0;
  std::int64_t number = 0;
  std::string blob;
  std::int64_t size = 0;
  TimePoint created_at;
  Id created_by = 0;
  std::string created_by_name;
};

struct Session {
  Id id = 0;
  std::string token_hash;  // SHA-256 hex of the cookie's token; the token itself is never stored
  Id user_id = 0;
  std::string method;      // "password"
  TimePoint created_at;
  TimePoint proved_at;     // when the identity was last proved
  TimePoint last_seen_at;
  TimePoint expires_at;
  std::string client_address;
  std::string user_agent;
};

}  // namespace vestibule::domain
