#include "domain/authz.hpp"

namespace vestibule::domain {

SpaceRole required_role(Action action) {
  switch (action) {
    case Action::kRead:
    case Action::kList:
    case Action::kDownload: return SpaceRole::kVisitor;
    case Action::kUpload:
    case Action::kRename:
    case Action::kDelete: return SpaceRole::kMember;
    case Action::kManage: return SpaceRole::kOwner;
  }
  return SpaceRole::kOwner;
}

Result<SpaceRole> Authorizer::role_in(const Principal& who, Id space_id) {
  VST_TRY(role, spaces_.member_role(space_id, who.user_id));
  if (!role) {
    return fail(Errc::kNotFound, "no such item, or you have no access to it");
  }
  return *role;
}

Result<Access> Authorizer::decide(const Principal& who, Action action, const Item& item,
                                  bool allow_trashed) {
  const auto not_found = [] {
    return fail(Errc::kNotFound, "no such item, or you have no access to it");
  };
  if (item.trashed_at && !allow_trashed) {
    return not_found();
  }
  VST_TRY(role, role_in(who, item.space_id));
  VST_TRY(ancestors, items_.ancestors(item));
  for (const auto& ancestor : ancestors) {
    if (ancestor.trashed_at) {
      return not_found();
    }
  }
  if (role < required_role(action)) {
    return fail(Errc::kForbidden, std::string("your role in this space (") +
                                      std::string(to_string(role)) +
                                      ") does not allow this; ask a space owner for more access");
  }
  return Access{role, std::move(ancestors)};
}

Result<Access> Authorizer::authorize(const Principal& who, Action action, const Item& item) {
  return decide(who, action, item, false);
}

Result<Access> Authorizer::authorize_trashed(const Principal& who, Action action,
                                             const Item& item) {
  return decide(who, action, item, true);
}

Result<SpaceRole> Authorizer::authorize_space(const Principal& who, Action action, Id space_id) {
  auto role = role_in(who, space_id);
  if (!role && who.admin) {
    VST_TRY(space, spaces_.find(space_id));
    if (space.kind == SpaceKind::kTeam) {
      return SpaceRole::kOwner;  // admins administer every team space, never personal ones
    }
  }
  VST_TRY(r, std::move(role));
  if (r < required_role(action) && !who.admin) {
    return fail(Errc::kForbidden, "only a space owner or an admin can do this");
  }
  return r;
}

}  // namespace vestibule::domain
