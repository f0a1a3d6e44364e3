#include "domain/model.hpp"

namespace vestibule::domain {

std::string_view to_string(UserRole role) { return role == UserRole::kAdmin ? "admin" : "user"; }

std::string_view to_string(SpaceKind kind) {
  return kind == SpaceKind::kPersonal ? "personal" : "team";
}

std::string_view to_string(SpaceRole role) {
  switch (role) {
    case SpaceRole::kOwner: return "owner";
    case SpaceRole::kMember: return "member";
    case SpaceRole::kVisitor: return "visitor";
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

std::string_view to_string(ItemKind kind) { return kind == ItemKind::kFile ? "file" : "folder"; }

}  // namespace vestibule::domain
