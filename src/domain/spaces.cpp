#include "domain/spaces.hpp"

#include "util/email.hpp"
#include "util/names.hpp"

#include <algorithm>

namespace vestibule::domain {

Result<std::vector<SpaceWithRole>> Spaces::list(const Principal& who) {
  if (who.kind == PrincipalKind::kExternal) {
    if (who.identity_state != IdentityState::kGuest) {
      return std::vector<SpaceWithRole>{};
    }
    return spaces_.list_for_guest(who.external_id);
  }
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

Result<std::vector<SpaceGuest>> Spaces::guests(const Principal& who, Id space_id) {
  VST_TRYV(authz_.authorize_space(who, Action::kList, space_id));
  return spaces_.guests_of(space_id);
}

Result<SpaceGuest> Spaces::set_guest(const Principal& who, Id space_id, const std::string& address,
                                     SpaceRole role) {
  VST_TRYV(team_space_to_manage(who, space_id));
  if (role == SpaceRole::kOwner) {
    return fail(Errc::kInvalidArgument,
                "a guest can be a visitor or a member of a space, not an owner", "role");
  }
  VST_TRY(normalized, util::normalize_email(address, "address"));
  auto identity = sharing_.find_identity_by_address(normalized);
  if (!identity) {
    if (identity.error().code == Errc::kNotFound) {
      return fail(Errc::kNotFound,
                  normalized +
                      " is not in the external directory; share something with it, or promote it "
                      "once it has verified",
                  "address");
    }
    return fail(identity.error());
  }
  if (identity.value().state != IdentityState::kGuest) {
    return fail(Errc::kConflict,
                normalized + " is " + std::string(to_string(identity.value().state)) +
                    ", not a guest; promote it to guest in the external directory first",
                "address");
  }
  return spaces_.set_guest(space_id, identity.value().id, role, clock_.now());
}

Result<void> Spaces::remove_guest(const Principal& who, Id space_id, const std::string& address) {
  VST_TRYV(team_space_to_manage(who, space_id));
  VST_TRY(normalized, util::normalize_email(address, "address"));
  auto identity = sharing_.find_identity_by_address(normalized);
  if (!identity) {
    return fail(Errc::kNotFound, normalized + " is not a guest of this space", "address");
  }
  return spaces_.remove_guest(space_id, identity.value().id);
}

}  // namespace vestibule::domain
