#include "domain/authz.hpp"

#include "util/time_horizon.hpp"

#include <algorithm>

namespace vestibule::domain {

namespace {

thread_local std::uint64_t t_checks = 0;

auto not_found() { return fail(Errc::kNotFound, "no such item, or you have no access to it"); }

std::string_view action_words(Action action) {
  switch (action) {
    case Action::kRead:
      return "see this item";
    case Action::kList:
      return "list this folder";
    case Action::kDownload:
      return "download this file";
    case Action::kUpload:
      return "add files here";
    case Action::kRename:
      return "rename or move this item";
    case Action::kDelete:
      return "delete this item";
    case Action::kShare:
      return "share this item";
    case Action::kManage:
      return "manage this space";
  }
  return "do this";
}

Error link_refusal(LinkState state) {
  switch (state) {
    case LinkState::kNeedsPassword:
      return make_error(Errc::kUnauthenticated,
                        "this link is protected by a password: send it to "
                        "POST /api/v1/shares/{token}/password first");
    case LinkState::kNeedsSignIn:
      return make_error(Errc::kUnauthenticated,
                        "this link works for members of the organization: sign in first");
    case LinkState::kRevoked:
      return make_error(Errc::kGone,
                        "this link was revoked by its owner; you can ask them for access");
    case LinkState::kExpired:
      return make_error(Errc::kGone, "this link has expired; you can ask its owner for access");
    case LinkState::kOffByPolicy:
      return make_error(Errc::kGone,
                        "the organization's sharing policy no longer allows this link; you can "
                        "ask its owner for access");
    case LinkState::kUsable:
      break;
  }
  return make_error(Errc::kInternal, "unexpected link state");
}

}  // namespace

std::uint64_t authorization_checks() { return t_checks; }

Role required_role(Action action) {
  switch (action) {
    case Action::kRead:
    case Action::kList:
    case Action::kDownload:
      return Role::kView;
    case Action::kUpload:
    case Action::kRename:
    case Action::kDelete:
      return Role::kEdit;
    case Action::kShare:
    case Action::kManage:
      return Role::kManage;
  }
  return Role::kManage;
}

Actor actor_of(const Principal& who) {
  if (who.user_id != 0) {
    return Actor{who.user_id, who.name};
  }
  if (who.kind == PrincipalKind::kExternal) {
    return Actor{0, who.name};
  }
  return Actor{0, "anyone with the link"};
}

Result<Policy> Authorizer::org_policy() {
  VST_TRY(text, policies_.load_org());
  return policy_from_stored(text);
}

Result<Policy> Authorizer::policy_in(Id space_id) {
  VST_TRY(stored, policies_.load_for_space(space_id));
  // The stored texts are read on every decision, so a change applies at once; parsing them is
  // what repeats, so each thread keeps the last result for the same texts.
  struct Parsed {
    std::string org;
    std::string space;
    Policy policy;
    bool valid = false;
  };
  thread_local Parsed last;
  if (!last.valid || last.org != stored.first || last.space != stored.second) {
    last.policy =
        effective_policy(policy_from_stored(stored.first), space_policy_from_stored(stored.second));
    last.org = std::move(stored.first);
    last.space = std::move(stored.second);
    last.valid = true;
  }
  return last.policy;
}

std::optional<TimePoint> Authorizer::effective_expiry(const Link& link, const Policy& policy) {
  std::optional<TimePoint> expiry = link.expires_at;
  const Policy::Seconds maximum = max_link_lifetime(policy, link.kind);
  if (maximum.count() > 0) {
    const TimePoint cap = link.created_at + maximum;
    expiry = expiry ? std::min(*expiry, cap) : cap;
  }
  return expiry;
}

LinkState Authorizer::state_under(const Principal& who, const Link& link,
                                  const Policy& policy) const {
  if (link.revoked_at) {
    return LinkState::kRevoked;
  }
  if (const auto expiry = effective_expiry(link, policy);
      expiry && util::has_come(*expiry, clock_.now())) {
    return LinkState::kExpired;
  }
  switch (link.kind) {
    case LinkKind::kAnyone:
      if (policy.external_sharing != ExternalSharing::kAnyone) {
        return LinkState::kOffByPolicy;
      }
      if (link.password_hash.empty() && policy.anyone_link_require_password) {
        return LinkState::kOffByPolicy;
      }
      if (!link.password_hash.empty() && !who.link_password_proved) {
        return LinkState::kNeedsPassword;
      }
      return LinkState::kUsable;
    case LinkKind::kOrganization:
      return who.kind == PrincipalKind::kMember ? LinkState::kUsable : LinkState::kNeedsSignIn;
    case LinkKind::kSpecific:
    case LinkKind::kExisting:
      return LinkState::kUsable;
  }
  return LinkState::kUsable;
}

bool Authorizer::verification_current(const Principal& who, const Policy& policy, TimePoint now) {
  if (!who.proved_at) {
    return false;
  }
  if (policy.reverify_after.count() == 0) {
    return !who.remembered;  // a code for every new session: no remembered device counts
  }
  return !util::has_come(*who.proved_at + policy.reverify_after, now);
}

Result<LinkState> Authorizer::link_state(const Principal& who, const Link& link) {
  ++t_checks;
  VST_TRY(item, items_.find(link.item_id));
  VST_TRY(policy, policy_in(item.space_id));
  return state_under(who, link, policy);
}

Result<Link> Authorizer::recipient_link(const Principal& who, Id link_id) {
  ++t_checks;
  const auto unknown = [] { return fail(Errc::kNotFound, "no such link"); };
  std::optional<Grantee> grantee;
  Id principal_id = 0;
  if (who.kind == PrincipalKind::kMember && who.user_id != 0) {
    grantee = Grantee::kUser;
    principal_id = who.user_id;
  } else if (who.kind == PrincipalKind::kExternal && who.external_id != 0) {
    grantee = Grantee::kExternal;
    principal_id = who.external_id;
  }
  if (!grantee) {
    return unknown();
  }
  auto link = sharing_.find_link(link_id);
  if (!link) {
    return link.error().code == Errc::kNotFound ? unknown() : fail(link.error());
  }
  if (link.value().kind != LinkKind::kSpecific) {
    return unknown();
  }
  VST_TRY(recipients, sharing_.recipients(link_id));
  const bool listed = std::any_of(recipients.begin(), recipients.end(), [&](const Grant& g) {
    return g.grantee == *grantee && g.principal_id == principal_id;
  });
  if (!listed) {
    std::optional<TimePoint> removed;
    if (!who.email.empty()) {
      VST_TRY(at, sharing_.removed_at(link_id, who.email));
      removed = at;
    }
    if (!removed) {
      return unknown();
    }
  }
  return std::move(link).value();
}

Result<std::optional<SpaceRole>> Authorizer::membership(const Principal& who, Id space_id) {
  if (who.kind == PrincipalKind::kExternal && who.external_id != 0 &&
      who.identity_state == IdentityState::kGuest) {
    // A guest's session (read with its directory state on this request) may hold a place in a
    // team space; whether its proof is current is checked by the caller of this.
    return spaces_.guest_role(space_id, who.external_id);
  }
  if (who.user_id == 0) {
    return std::optional<SpaceRole>{};
  }
  return spaces_.member_role(space_id, who.user_id);
}

Result<Access> Authorizer::decide(const Principal& who, Action action, const Item& item,
                                  bool allow_trashed) {
  ++t_checks;
  if (item.trashed_at && !allow_trashed) {
    return not_found();
  }
  VST_TRY(ancestors, items_.ancestors(item));
  std::vector<Id> ids;
  ids.reserve(ancestors.size() + 1);
  for (const auto& ancestor : ancestors) {
    if (ancestor.trashed_at) {
      return not_found();
    }
    ids.push_back(ancestor.id);
  }
  ids.push_back(item.id);
  if (who.via && std::find(ids.begin(), ids.end(), who.via->item_id) == ids.end()) {
    return not_found();  // outside what the link shares
  }
  VST_TRY(policy, policy_in(item.space_id));
  const TimePoint now = clock_.now();

  std::optional<Role> best;
  bool download_allowed = false;
  std::optional<Id> recipient_grant;
  std::optional<TimePoint> recipient_grant_last_used;
  // `edit` works inside what was given: a grant or link on this very item does not let its
  // holder rename, move or delete the item itself (`manage` does).
  std::optional<Role> best_structural;
  const auto consider = [&](Role role, bool blocks_download, bool on_item_itself) {
    best = best ? std::max(*best, role) : role;
    download_allowed = download_allowed || !blocks_download;
    if (!on_item_itself || role == Role::kManage) {
      best_structural = best_structural ? std::max(*best_structural, role) : role;
    }
  };

  VST_TRY(space_role, membership(who, item.space_id));
  if (space_role && who.kind == PrincipalKind::kExternal &&
      (!verification_current(who, policy, now) ||
       external_address_refusal(policy, who.email, true))) {
    space_role.reset();  // a guest past reverification, or refused by the space's policy
  }
  if (space_role) {
    consider(role_of(*space_role), false, false);
  }

  // Grants of the principal on the item or above it: direct grants and specific-link recipients.
  std::optional<Grantee> grantee;
  Id principal_id = 0;
  bool needs_reverification = false;
  if (who.user_id != 0) {
    grantee = Grantee::kUser;
    principal_id = who.user_id;
  } else if (who.kind == PrincipalKind::kExternal && who.external_id != 0) {
    if (!verification_current(who, policy, now)) {
      needs_reverification = true;  // past the reverification period: only a new code helps
    } else {
      IdentityState state = IdentityState::kPending;
      std::string address = who.email;
      if (who.identity_state && !address.empty()) {
        state = *who.identity_state;
      } else {
        VST_TRY(identity, sharing_.find_identity(who.external_id));
        state = identity.state;
        address = identity.address;
      }
      const bool allowed =
          state != IdentityState::kBlocked &&
          !external_address_refusal(policy, address, state == IdentityState::kGuest);
      if (allowed) {
        grantee = Grantee::kExternal;
        principal_id = who.external_id;
      }
    }
  }
  if (grantee) {
    VST_TRY(grants, sharing_.applicable_grants(*grantee, principal_id, ids));
    for (const auto& [grant, link] : grants) {
      if (grant.expires_at && util::has_come(*grant.expires_at, now)) {
        continue;
      }
      if (link) {
        if (state_under(who, *link, policy) != LinkState::kUsable) {
          continue;
        }
        consider(link->role, link->block_download, grant.item_id == item.id);
        if (!recipient_grant || (who.via && link->id == who.via->id)) {
          recipient_grant = grant.id;
          recipient_grant_last_used = grant.last_used_at;
        }
      } else {
        consider(grant.role, false, grant.item_id == item.id);
      }
    }
  }

  if (who.via) {
    const LinkState state = state_under(who, *who.via, policy);
    if (state != LinkState::kUsable && state != LinkState::kNeedsPassword &&
        state != LinkState::kNeedsSignIn) {
      return fail(link_refusal(state));  // revoked, expired, off: the link is dead for everyone
    }
    if (state == LinkState::kUsable &&
        (who.via->kind == LinkKind::kAnyone || who.via->kind == LinkKind::kOrganization)) {
      consider(who.via->role, who.via->block_download, who.via->item_id == item.id);
    }
    if (!best) {
      if (state != LinkState::kUsable) {
        return fail(link_refusal(state));
      }
      if (who.kind == PrincipalKind::kAnonymous || needs_reverification) {
        return fail(Errc::kUnauthenticated,
                    who.via->kind == LinkKind::kSpecific
                        ? "this link works for the people it was shared with: verify your "
                          "address first"
                        : "this link is for people who already have access: sign in first");
      }
      return fail(Errc::kForbidden,
                  who.via->kind == LinkKind::kExisting
                      ? "this link only points to the item for people who already have access, "
                        "and you do not; you can ask its owner for access"
                      : "this link was shared with someone else; you can ask its owner for "
                        "access");
    }
  }

  if (!best) {
    if (needs_reverification) {
      return fail(Errc::kUnauthenticated,
                  "it is time to prove your address again: open the link you were sent and ask "
                  "for a new code");
    }
    return not_found();
  }
  if (*best < required_role(action)) {
    return fail(Errc::kForbidden,
                "your access (" + std::string(to_string(*best)) + ") does not allow you to " +
                    std::string(action_words(action)) + "; ask its owner for more access");
  }
  if (action == Action::kRename || action == Action::kDelete) {
    if (who.via && item.id == who.via->item_id) {
      return fail(Errc::kForbidden,
                  "the shared item itself cannot be renamed, moved or deleted through its link");
    }
    if (!best_structural || *best_structural < required_role(action)) {
      return fail(Errc::kForbidden,
                  "what was shared with you can be changed inside, but only its owner can "
                  "rename, move or delete the shared item itself");
    }
  }
  if (action == Action::kDownload && !download_allowed) {
    return fail(Errc::kForbidden,
                "the owner has blocked downloads of this share; it can only be viewed");
  }
  return Access{*best, download_allowed, std::move(ancestors), recipient_grant,
                recipient_grant_last_used};
}

Result<Access> Authorizer::authorize(const Principal& who, Action action, const Item& item) {
  return decide(who, action, item, false);
}

Result<Access> Authorizer::authorize_trashed(const Principal& who, Action action,
                                             const Item& item) {
  return decide(who, action, item, true);
}

Result<SpaceRole> Authorizer::authorize_space(const Principal& who, Action action, Id space_id) {
  ++t_checks;
  VST_TRY(role, membership(who, space_id));
  if (!role && who.admin && who.kind == PrincipalKind::kMember) {
    VST_TRY(space, spaces_.find(space_id));
    if (space.kind == SpaceKind::kTeam) {
      return SpaceRole::kOwner;  // admins administer every team space, never personal ones
    }
  }
  if (!role) {
    return fail(Errc::kNotFound, "no such space, or you are not a member of it");
  }
  if (role_of(*role) < required_role(action) &&
      !(who.admin && who.kind == PrincipalKind::kMember)) {
    return fail(Errc::kForbidden, "only a space owner or an admin can do this");
  }
  return *role;
}

Result<void> Authorizer::authorize_admin(const Principal& who) {
  ++t_checks;
  if (who.kind == PrincipalKind::kMember && who.token_scope) {
    const TokenScope scope = *who.token_scope;
    if (scope != TokenScope::kAdmin) {
      return fail(Errc::kForbidden, "this API token has the " + std::string(to_string(scope)) +
                                        " scope; this call needs a token with the admin scope");
    }
  }
  if (who.kind != PrincipalKind::kMember || !who.admin) {
    return fail(Errc::kForbidden, "only an administrator can do this");
  }
  return outcome::success();
}

}  // namespace vestibule::domain
