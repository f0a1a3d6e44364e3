#include "domain/directory.hpp"

#include "util/email.hpp"
#include "util/html.hpp"
#include "util/rfc3339.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

namespace vestibule::domain {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

Result<ExternalIdentity> ExternalDirectory::find(const std::string& address) {
  VST_TRY(normalized, util::normalize_email(address, "address"));
  auto found = sharing_.find_identity_by_address(normalized);
  if (!found && found.error().code == Errc::kNotFound) {
    return fail(Errc::kNotFound, normalized +
                                     " is not in the external directory (nor an alias of an "
                                     "address in it); GET /api/v1/admin/external-identities "
                                     "lists the addresses");
  }
  return found;
}

Result<std::vector<DirectoryEntry>> ExternalDirectory::list(const Principal& who,
                                                            const DirectoryFilter& filter) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(all, sharing_.directory());
  const std::string q = filter.q ? lower(*filter.q) : std::string();
  std::vector<DirectoryEntry> out;
  for (auto& entry : all) {
    if (filter.state && entry.identity.state != *filter.state) {
      continue;
    }
    if (!q.empty()) {
      const bool match =
          entry.identity.address.find(q) != std::string::npos ||
          std::any_of(entry.aliases.begin(), entry.aliases.end(),
                      [&](const std::string& a) { return a.find(q) != std::string::npos; });
      if (!match) {
        continue;
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

Result<std::vector<ReachEntry>> ExternalDirectory::reach_of(const ExternalIdentity& identity) {
  const TimePoint now = clock_.now();
  VST_TRY(grants, sharing_.grants_of(Grantee::kExternal, identity.id));
  std::vector<ReachEntry> out;
  for (auto& [grant, link] : grants) {
    auto item = items_.find(grant.item_id);
    if (!item) {
      continue;
    }
    ReachEntry entry;
    entry.item = std::move(item).value();
    entry.role = link ? link->role : grant.role;
    entry.expires_at = grant.expires_at;
    entry.last_used_at = grant.last_used_at;
    VST_TRY(policy, authz_.policy_in(entry.item.space_id));
    entry.state = "active";
    if (link) {
      const auto link_expiry = Authorizer::effective_expiry(*link, policy);
      if (link_expiry && (!entry.expires_at || *link_expiry < *entry.expires_at)) {
        entry.expires_at = link_expiry;
      }
      entry.state = std::string(link_status(*link, policy, now));
    }
    if (entry.state == "active" && grant.expires_at && *grant.expires_at <= now) {
      entry.state = "expired";
    }
    if (entry.item.trashed_at) {
      entry.state = "trashed";
    }
    entry.link = std::move(link);
    out.push_back(std::move(entry));
  }
  VST_TRY(spaces, spaces_.spaces_of_guest(identity.id));
  for (auto& place : spaces) {
    auto space = spaces_.find(place.space_id);
    if (!space) {
      continue;
    }
    auto root = items_.find(space.value().root_item_id);
    if (!root) {
      continue;
    }
    ReachEntry entry;
    entry.item = std::move(root).value();
    entry.item.name = space.value().name;
    entry.role = role_of(place.role);
    entry.state = identity.state == IdentityState::kGuest ? "active" : "inactive";
    entry.space = std::move(place);
    out.push_back(std::move(entry));
  }
  return out;
}

Result<IdentityRecord> ExternalDirectory::record(const Principal& who, const std::string& address) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(identity, find(address));
  VST_TRY(all, sharing_.directory());
  IdentityRecord out;
  for (auto& entry : all) {
    if (entry.identity.id == identity.id) {
      out.entry = std::move(entry);
    }
  }
  if (out.entry.identity.id == 0) {
    return fail(Errc::kNotFound, identity.address + " is no longer in the external directory");
  }
  VST_TRY(policy, authz_.org_policy());
  out.last_sign_in = last_sign_in(out.entry.identity);
  out.guest_expires_at = guest_expires_at(out.entry.identity, policy);
  VST_TRY(reach, reach_of(out.entry.identity));
  out.reach = std::move(reach);
  return out;
}

Result<RevokedAccess> ExternalDirectory::revoke_all(const Principal& who,
                                                    const std::string& address) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(identity, find(address));
  RevokedAccess revoked;
  {
    const auto audited =
        events_.before_change({"identity.revoked_all", who, 0, 0, identity.address});
    VST_TRY(done, sharing_.revoke_all(identity.id, clock_.now()));
    revoked = std::move(done);
  }
  // Which links lost the address is known only once the change is made.
  for (const auto& removed : revoked.links) {
    events_.record(
        {"link.recipient_removed", who, removed.item_id, removed.link_id, identity.address});
  }
  return revoked;
}

Result<std::vector<std::string>> ExternalDirectory::normalized_aliases(
    const std::vector<std::string>& aliases) {
  if (aliases.size() > kMaxAliases) {
    return fail(Errc::kInvalidArgument,
                "at most " + std::to_string(kMaxAliases) + " aliases per person", "aliases");
  }
  std::set<std::string> out;
  for (const auto& alias : aliases) {
    VST_TRY(normalized, util::normalize_email(alias, "aliases"));
    out.insert(std::move(normalized));
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<DirectoryEntry> ExternalDirectory::set_identity_aliases(
    const Principal& who, const std::string& address, const std::vector<std::string>& aliases) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(identity, find(address));
  VST_TRY(normalized, normalized_aliases(aliases));
  VST_TRY(policy, authz_.org_policy());
  for (const auto& alias : normalized) {
    if (alias == identity.address) {
      return fail(Errc::kInvalidArgument,
                  alias + " is the identity's own address; list only its other addresses",
                  "aliases");
    }
    if (domain_in(domain_of(alias), policy.internal_domains)) {
      return fail(Errc::kInvalidArgument,
                  domain_of(alias) +
                      " is one of the organization's domains: its addresses belong to members; "
                      "make it an alias of a member instead",
                  "aliases");
    }
    VST_TRY(member, [&]() -> Result<bool> {
      auto user = users_.find_by_email(alias);
      if (user) {
        return true;
      }
      if (user.error().code != Errc::kNotFound) {
        return fail(user.error());
      }
      return false;
    }());
    if (member) {
      return fail(Errc::kConflict,
                  alias +
                      " is the address of a member's account; an alias belongs to one person "
                      "only",
                  "aliases");
    }
  }
  {
    // The aliases themselves are personal data: the entry says how many there now are.
    const auto audited = events_.before_change(
        {"identity.changed", who, 0, 0, identity.address, {{"aliases", normalized.size()}}});
    VST_TRYV(sharing_.set_aliases({std::nullopt, identity.id}, normalized, clock_.now()));
  }
  VST_TRY(all, sharing_.directory());
  for (auto& entry : all) {
    if (entry.identity.id == identity.id) {
      return std::move(entry);
    }
  }
  return fail(Errc::kNotFound, identity.address + " is no longer in the external directory");
}

Result<std::vector<std::string>> ExternalDirectory::set_member_aliases(
    const Principal& who, Id user_id, const std::vector<std::string>& aliases) {
  VST_TRYV(authz_.authorize_admin(who));
  auto user = users_.find_by_id(user_id);
  if (!user) {
    return fail(Errc::kNotFound, "no member with id " + std::to_string(user_id));
  }
  VST_TRY(normalized, normalized_aliases(aliases));
  for (const auto& alias : normalized) {
    if (alias == user.value().email) {
      return fail(Errc::kInvalidArgument,
                  alias + " is the member's own address; list only their other addresses",
                  "aliases");
    }
  }
  const auto audited = events_.before_change(
      {"member.changed", who, 0, 0, {}, {{"user", user_id}, {"aliases", normalized.size()}}});
  return sharing_.set_aliases({user_id, std::nullopt}, normalized, clock_.now());
}

Result<std::vector<std::string>> ExternalDirectory::member_aliases(const Principal& who,
                                                                   Id user_id) {
  VST_TRYV(authz_.authorize_admin(who));
  return sharing_.aliases_of({user_id, std::nullopt});
}

void ExternalDirectory::warn_owners(const ExternalIdentity& guest, TimePoint expires_at) {
  // Who to tell: the creators of the links the guest is on, and the owners of its team spaces;
  // each once, with what of theirs the guest reaches.
  std::map<Id, std::vector<std::string>> what_by_owner;
  if (auto grants = sharing_.grants_of(Grantee::kExternal, guest.id)) {
    for (const auto& [grant, link] : grants.value()) {
      if (link && link->revoked_at) {
        continue;
      }
      auto item = items_.find(grant.item_id);
      if (!item || item.value().trashed_at) {
        continue;
      }
      what_by_owner[link ? link->created_by : grant.created_by].push_back("\"" + item.value().name +
                                                                          "\"");
    }
  }
  if (auto places = spaces_.spaces_of_guest(guest.id)) {
    for (const auto& place : places.value()) {
      auto members = spaces_.members(place.space_id);
      if (!members) {
        continue;
      }
      for (const auto& m : members.value()) {
        if (m.role == SpaceRole::kOwner) {
          what_by_owner[m.user_id].push_back("the team space \"" + place.space_name + "\"");
        }
      }
    }
  }
  const std::string until = util::format_rfc3339(expires_at);
  for (const auto& [owner_id, what] : what_by_owner) {
    auto owner = users_.find_by_id(owner_id);
    if (!owner || owner.value().disabled) {
      continue;
    }
    std::string list;
    std::string html_list;
    for (const auto& w : what) {
      list += "  - " + w + "\n";
      html_list += "<li>" + util::html_escape(w) + "</li>";
    }
    NewMail mail;
    mail.kind = MailKind::kNotification;
    mail.to = owner.value().email;
    mail.subject = "Guest access of " + guest.address + " ends on " + until.substr(0, 10);
    mail.text = "The guest " + guest.address +
                " has not signed in for a while, so their access "
                "ends on " +
                until +
                " (the organization's guest expiry). They can then no longer "
                "open what you gave them:\n\n" +
                list +
                "\nIf they still need it, ask them to sign in before then (a code sent to their "
                "address is enough); after that date, share with the address again.\n";
    mail.html = "<p>The guest <strong>" + util::html_escape(guest.address) +
                "</strong> has not signed in for a while, so their access ends on " + until +
                " (the organization's guest expiry). They can then no longer open what you gave "
                "them:</p><ul>" +
                html_list +
                "</ul><p>If they still need it, ask them to sign in before then (a code sent to "
                "their address is enough); after that date, share with the address again.</p>";
    if (auto queued = outbox_.enqueue(mail); !queued) {
      spdlog::error("guests: cannot queue an expiry warning: {}", queued.error().message);
    }
  }
}

ExternalDirectory::Swept ExternalDirectory::sweep_guests() {
  Swept swept;
  auto policy = authz_.org_policy();
  if (!policy || policy.value().guest_expiry.count() == 0) {
    return swept;
  }
  auto guests = sharing_.guests();
  if (!guests) {
    spdlog::error("guests: cannot read guests: {}", guests.error().message);
    return swept;
  }
  const TimePoint now = clock_.now();
  for (const auto& guest : guests.value()) {
    const auto until = guest_expires_at(guest.identity, policy.value());
    if (!until) {
      continue;
    }
    if (*until <= now) {
      const auto audited =
          events_.before_change({"identity.expired", Principal{}, 0, 0, guest.identity.address});
      if (auto deleted = sharing_.delete_identity(guest.identity.id); !deleted) {
        spdlog::error("guests: cannot delete an expired guest: {}", deleted.error().message);
        continue;
      }
      ++swept.deleted;
    } else if (*until - kWarnBefore <= now && !guest.expiry_warned_at) {
      // Marked first: a crash between the two loses a warning rather than sending it twice.
      // Only the sweep whose mark lands warns: every node sweeps.
      if (auto marked = sharing_.mark_expiry_warned(guest.identity.id, now);
          !marked || !marked.value()) {
        continue;
      }
      warn_owners(guest.identity, *until);
      ++swept.warned;
    }
  }
  return swept;
}

}  // namespace vestibule::domain
