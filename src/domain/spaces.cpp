#include "domain/spaces.hpp"

#include "util/names.hpp"

#include <algorithm>

namespace vestibule::domain {

Result<std::vector<SpaceWithRole>> Spaces::list(const Principal& who) {
  return spaces_.list_for_user(who.user_id);
}

Result<Space> Spaces::create_team(const Principal& who, const std::string& given_name) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(name, util::normalized_item_name(given_name));
  return spaces_.create_team(name, who.user_id, clock_.now());
}

Result<std::vector<SpaceMember>> Spaces::members(const Principal& who, Id space_id) {
  auto role = authz_.authorize_space(who, Action::kList, space_id);
  if (!role) {
    return fail(role.error());
  }
  return spaces_.members(space_id);
}

Result<Space> Spaces::team_space_to_manage(const Principal& who, Id space_id) {
  VST_TRYV(authz_.authorize_space(who, Action::kManage, space_id));
  VST_TRY(space, spaces_.find(space_id));
  if (space.kind == SpaceKind::kPersonal) {
    return fail(Errc::kInvalidArgument,
                "a personal space has no other members; share its items instead", "space_id");
  }
  return space;
}

Result<void> Spaces::keep_an_owner(Id space_id, Id user_id, std::optional<SpaceRole> new_role) {
  if (new_role == SpaceRole::kOwner) {
    return outcome::success();
  }
  VST_TRY(all, spaces_.members(space_id));
  const auto owners = std::count_if(
      all.begin(), all.end(), [](const SpaceMember& m) { return m.role == SpaceRole::kOwner; });
  const bool is_owner = std::any_of(all.begin(), all.end(), [&](const SpaceMember& m) {
    return m.user_id == user_id && m.role == SpaceRole::kOwner;
  });
  if (is_owner && owners == 1) {
    return fail(Errc::kConflict,
                "a team space needs at least one owner; make someone else owner first", "role");
  }
  return outcome::success();
}

Result<SpaceMember> Spaces::set_member(const Principal& who, Id space_id, Id user_id,
                                       SpaceRole role) {
  VST_TRYV(team_space_to_manage(who, space_id));
  auto user = users_.find_by_id(user_id);
  if (!user) {
    return fail(Errc::kNotFound, "no member with id " + std::to_string(user_id), "user_id");
  }
  VST_TRYV(keep_an_owner(space_id, user_id, role));
  return spaces_.set_member(space_id, user_id, role);
}

Result<void> Spaces::remove_member(const Principal& who, Id space_id, Id user_id) {
  VST_TRYV(team_space_to_manage(who, space_id));
  VST_TRYV(keep_an_owner(space_id, user_id, std::nullopt));
  return spaces_.remove_member(space_id, user_id);
}

}  // namespace vestibule::domain
