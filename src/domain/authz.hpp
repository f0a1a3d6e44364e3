// The authorization point: "may this principal do this action on this item now?". Every route
// asks here and nowhere else. It reads the current state on every call (memberships, the item's
// ancestors, account state), so a change applies to the very next request.
// Thread-safe (holds only references to thread-safe repositories).
#pragma once

#include "domain/model.hpp"
#include "domain/repositories.hpp"
#include "util/result.hpp"

namespace vestibule::domain {

enum class Action {
  kRead,      // see the item's metadata
  kList,      // list a folder's children
  kDownload,  // read a file's bytes
  kUpload,    // add files or versions, create folders
  kRename,    // rename or move
  kDelete,    // move to the trash, restore, purge
  kManage,    // manage the space's members
};

// Who is asking: a signed-in account.
struct Principal {
  Id user_id = 0;
  bool admin = false;
};

// The role a principal holds on an item and the item's ancestors (root first), as decided.
struct Access {
  SpaceRole role = SpaceRole::kVisitor;
  std::vector<Item> ancestors;
};

class Authorizer {
 public:
  Authorizer(SpaceRepository& spaces, ItemRepository& items) : spaces_(spaces), items_(items) {}

  // kNotFound when the item is not live (it or an ancestor is in the trash) or the principal has
  // no access to it at all (so existence never leaks); kForbidden when the access is too weak.
  Result<Access> authorize(const Principal& who, Action action, const Item& item);
  // Like authorize(), for items in the trash (restore, purge): the item itself may be trashed.
  Result<Access> authorize_trashed(const Principal& who, Action action, const Item& item);
  // Space-level: may `who` do `action` on the space (kManage: change members).
  Result<SpaceRole> authorize_space(const Principal& who, Action action, Id space_id);

 private:
  Result<Access> decide(const Principal& who, Action action, const Item& item, bool allow_trashed);
  Result<SpaceRole> role_in(const Principal& who, Id space_id);

  SpaceRepository& spaces_;
  ItemRepository& items_;
};

// The weakest space role allowed to do `action`.
SpaceRole required_role(Action action);

}  // namespace vestibule::domain
