// The product's model types (SPEC §2) as plain values. Ids are the storage's integer keys.
#pragma once

#include "util/clock.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// How much a space stores, and the quota an admin set for it (absent: the server's default;
// 0: no quota).
struct SpaceStorage {
  std::int64_t used_bytes = 0;
  std::optional<std::int64_t> quota_bytes;
};

struct SpaceMember {
  Id space_id = 0;
  Id user_id = 0;
  SpaceRole role = SpaceRole::kVisitor;
  std::string email;
  std::string display_name;
};

// Roles of grants and links, ordered: a higher role can do everything a lower one can.
// `view` reads and downloads, `edit` also uploads, replaces, renames and deletes inside,
// `manage` also shares.
enum class Role { kView = 1, kEdit = 2, kManage = 3 };
std::string_view to_string(Role role);
std::optional<Role> role_from_string(std::string_view text);
// Space membership is a grant on the space root: visitor = view, member = edit, owner = manage.
Role role_of(SpaceRole role);

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
  Id modified_by = 0;            // the member who made the change; 0 for an external recipient
  std::string modified_by_name;  // their display name, or the recipient's address
  std::optional<TimePoint> trashed_at;
};

// The ids on a stored path ("/1/7/42/"), root first, the item itself last.
std::vector<Id> path_ids(std::string_view path);

// Calls `visit(id)` for the folders above the item on a stored path, the item's parent first and
// the root last, until it returns false; the path is read in place, nothing is allocated.
template <class Visit>
void for_each_ancestor_upward(std::string_view path, Visit&& visit) {
  // "/1/7/42/": drop the trailing '/' and the item's own id, then read ids from the end.
  if (path.size() < 2) {
    return;
  }
  path.remove_suffix(1);
  path = path.substr(0, path.rfind('/'));
  while (!path.empty()) {
    const auto slash = path.rfind('/');
    const auto digits = path.substr(slash + 1);
    Id id = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (!visit(id)) {
      return;
    }
    path = path.substr(0, slash == std::string_view::npos ? 0 : slash);
  }
}

// Who made a change: a member or guest account, or someone without one (an external recipient,
// anyone holding a link), recorded by a label.
struct Actor {
  Id user_id = 0;
  std::string label;
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

// Sharing (SPEC §2).
enum class LinkKind { kAnyone, kOrganization, kSpecific, kExisting };
std::string_view to_string(LinkKind kind);
std::optional<LinkKind> link_kind_from_string(std::string_view text);

// A secret URL for one item. Only the SHA-256 of its token is stored.
struct Link {
  Id id = 0;
  Id item_id = 0;
  LinkKind kind = LinkKind::kSpecific;
  Role role = Role::kView;
  std::string token_hash;
  std::string password_hash;  // Argon2id; empty when the link has no password
  std::optional<TimePoint> expires_at;
  bool block_download = false;
  std::string message;
  Id created_by = 0;
  std::string created_by_name;
  TimePoint created_at;
  std::optional<TimePoint> revoked_at;
  std::optional<TimePoint> first_used_at;  // anyone and organization links
  std::optional<TimePoint> last_used_at;
};

// The external directory's lifecycle of an address (SPEC §2).
enum class IdentityState { kPending, kVerified, kGuest, kBlocked };
std::string_view to_string(IdentityState state);
std::optional<IdentityState> identity_state_from_string(std::string_view text);

struct ExternalIdentity {
  Id id = 0;
  std::string address;  // normalized
  IdentityState state = IdentityState::kPending;
  TimePoint created_at;
  std::optional<TimePoint> verified_at;
  std::optional<TimePoint> last_verified_at;  // the last proof with a code: the last sign-in
  std::optional<TimePoint> guest_since;       // guests: when the identity became one
};

// When a guest last signed in, for guest_expiry: its last proof with a code, or when it became a
// guest if that is later (a guest promoted by an admin before signing in starts from there).
std::optional<TimePoint> last_sign_in(const ExternalIdentity& identity);

// Who owns an alias: a member or an external identity, never both.
struct AliasOwner {
  std::optional<Id> user_id;
  std::optional<Id> external_id;
};

// Who holds a grant: an account (member or guest) or an external identity.
enum class Grantee { kUser, kExternal };

// (principal, item, role). A grant with a link id is a recipient of that specific link: it lives
// as long as the link (revoked or expired links give nothing) and takes the link's role.
struct Grant {
  Id id = 0;
  Id item_id = 0;
  Grantee grantee = Grantee::kUser;
  Id principal_id = 0;
  Role role = Role::kView;
  std::optional<Id> link_id;
  std::optional<TimePoint> expires_at;
  Id created_by = 0;
  TimePoint created_at;
  std::optional<TimePoint> first_used_at;
  std::optional<TimePoint> last_used_at;
  // Of the principal, for listings.
  std::string address;
  std::string display_name;
  std::optional<IdentityState> identity_state;  // external identities only
  // External identities only: when the address last proved itself with a code (a link's or a
  // sign-in code); none when never.
  std::optional<TimePoint> verified_at;
};

// Someone holding a link that is not (or no longer) for them asks its owner for access.
struct AccessRequest {
  Id id = 0;
  Id link_id = 0;
  Id item_id = 0;
  std::string address;
  std::string message;
  std::string state;  // pending, approved, declined
  TimePoint created_at;
  std::optional<TimePoint> decided_at;
};

// An external directory record as admins see it.
struct DirectoryEntry {
  ExternalIdentity identity;
  int consecutive_failures = 0;
  int shares = 0;  // links that list the address
  std::vector<std::string> aliases;
};

// A guest as the expiry sweep reads it.
struct GuestRecord {
  ExternalIdentity identity;
  std::optional<TimePoint> expiry_warned_at;
};

// A guest's place in a team space (visitor or member, never owner).
struct SpaceGuest {
  Id space_id = 0;
  Id external_id = 0;
  std::string address;
  IdentityState state = IdentityState::kGuest;
  SpaceRole role = SpaceRole::kVisitor;
  std::string space_name;
};

// What removing an address from everything removed, in one transaction.
struct RevokedAccess {
  struct Removed {
    Id link_id = 0;
    Id item_id = 0;
    std::string item_name;
  };
  std::vector<Removed> links;  // one per specific link the address was a recipient of
  int direct_grants = 0;
  int spaces_left = 0;
  int sessions_ended = 0;
};

struct Session {
  Id id = 0;
  std::string token_hash;  // SHA-256 hex of the cookie's token; the token itself is never stored
  Id user_id = 0;
  std::string method;  // "password"
  TimePoint created_at;
  TimePoint proved_at;  // when the identity was last proved
  TimePoint last_seen_at;
  TimePoint expires_at;
  std::string client_address;
  std::string user_agent;
};

// What an API token may do (SPEC §5): `read` only safe methods, `write` everything but the
// organization's administration, `admin` everything its (admin) owner can do. Ordered.
enum class TokenScope { kRead = 1, kWrite = 2, kAdmin = 3 };
std::string_view to_string(TokenScope scope);
std::optional<TokenScope> token_scope_from_string(std::string_view text);

// A member's API token for automation (`Authorization: Bearer`). Only the SHA-256 of the secret
// is stored; the secret is shown once, when the token is created.
struct ApiToken {
  Id id = 0;
  Id user_id = 0;
  std::string user_email;  // the owner's, for listings
  std::string name;
  TokenScope scope = TokenScope::kRead;
  std::string token_hash;
  TimePoint created_at;
  TimePoint expires_at;
  std::optional<TimePoint> last_used_at;
};

}  // namespace vestibule::domain
