#include "domain/model.hpp"

#include <algorithm>
#include <charconv>

namespace vestibule::domain {

std::string_view to_string(UserRole role) { return role == UserRole::kAdmin ? "admin" : "user"; }

std::string_view to_string(TokenScope scope) {
  switch (scope) {
    case TokenScope::kRead:
      return "read";
    case TokenScope::kWrite:
      return "write";
    case TokenScope::kAdmin:
      return "admin";
  }
  return "read";
}

std::optional<TokenScope> token_scope_from_string(std::string_view text) {
  if (text == "read") {
    return TokenScope::kRead;
  }
  if (text == "write") {
    return TokenScope::kWrite;
  }
  if (text == "admin") {
    return TokenScope::kAdmin;
  }
  return std::nullopt;
}

std::vector<Id> path_ids(std::string_view path) {
  std::vector<Id> ids;
  std::size_t start = 1;
  while (start < path.size()) {
    const auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      break;
    }
    Id id = 0;
    std::from_chars(path.data() + start, path.data() + end, id);
    ids.push_back(id);
    start = end + 1;
  }
  return ids;
}

std::string_view to_string(SpaceKind kind) {
  return kind == SpaceKind::kPersonal ? "personal" : "team";
}

std::string_view to_string(SpaceRole role) {
  switch (role) {
    case SpaceRole::kOwner:
      return "owner";
    case SpaceRole::kMember:
      return "member";
    case SpaceRole::kVisitor:
      return "visitor";
  }
  return "visitor";
}

std::optional<SpaceRole> space_role_from_string(std::string_view text) {
  if (text == "owner") {
    return SpaceRole::kOwner;
  }
  if (text == "member") {
    return SpaceRole::kMember;
  }
  if (text == "visitor") {
    return SpaceRole::kVisitor;
  }
  return std::nullopt;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kView:
      return "view";
    case Role::kEdit:
      return "edit";
    case Role::kManage:
      return "manage";
  }
  return "view";
}

std::optional<Role> role_from_string(std::string_view text) {
  if (text == "view") {
    return Role::kView;
  }
  if (text == "edit") {
    return Role::kEdit;
  }
  if (text == "manage") {
    return Role::kManage;
  }
  return std::nullopt;
}

Role role_of(SpaceRole role) {
  switch (role) {
    case SpaceRole::kVisitor:
      return Role::kView;
    case SpaceRole::kMember:
      return Role::kEdit;
    case SpaceRole::kOwner:
      return Role::kManage;
  }
  return Role::kView;
}

std::string_view to_string(LinkKind kind) {
  switch (kind) {
    case LinkKind::kAnyone:
      return "anyone";
    case LinkKind::kOrganization:
      return "organization";
    case LinkKind::kSpecific:
      return "specific";
    case LinkKind::kExisting:
      return "existing";
  }
  return "specific";
}

std::optional<LinkKind> link_kind_from_string(std::string_view text) {
  for (auto kind :
       {LinkKind::kAnyone, LinkKind::kOrganization, LinkKind::kSpecific, LinkKind::kExisting}) {
    if (text == to_string(kind)) {
      return kind;
    }
  }
  return std::nullopt;
}

std::string_view to_string(IdentityState state) {
  switch (state) {
    case IdentityState::kPending:
      return "pending";
    case IdentityState::kVerified:
      return "verified";
    case IdentityState::kGuest:
      return "guest";
    case IdentityState::kBlocked:
      return "blocked";
  }
  return "pending";
}

std::optional<IdentityState> identity_state_from_string(std::string_view text) {
  for (auto state : {IdentityState::kPending, IdentityState::kVerified, IdentityState::kGuest,
                     IdentityState::kBlocked}) {
    if (text == to_string(state)) {
      return state;
    }
  }
  return std::nullopt;
}

std::string_view to_string(ItemKind kind) { return kind == ItemKind::kFile ? "file" : "folder"; }

std::optional<TimePoint> last_sign_in(const ExternalIdentity& identity) {
  if (identity.last_verified_at && identity.guest_since) {
    return std::max(*identity.last_verified_at, *identity.guest_since);
  }
  return identity.last_verified_at ? identity.last_verified_at : identity.guest_since;
}

}  // namespace vestibule::domain
