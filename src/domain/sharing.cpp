#include "domain/sharing.hpp"

#include "util/duration.hpp"
#include "util/email.hpp"
#include "util/html.hpp"
#include "util/rfc3339.hpp"
#include "util/url.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace vestibule::domain {

namespace {

constexpr std::chrono::seconds kUseRecordingInterval{60};
constexpr std::size_t kMaxRecipients = 100;

bool looks_like_token(const std::string& token) {
  return !token.empty() && token.size() <= 128 &&
         std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

auto unknown_link() {
  return fail(Errc::kNotFound,
              "there is no such link; check that the whole address was copied, or ask the person "
              "who shared it");
}

// Letters, digits and hyphens in dot-separated labels (after IDNA conversion).
bool looks_like_domain(const std::string& domain) {
  return !domain.empty() && domain.size() <= 253 && domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string::npos &&
         std::all_of(domain.begin(), domain.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '.'; });
}

std::string keys_of(const nlohmann::json& patch) {
  std::string out;
  if (patch.is_object()) {
    for (const auto& [key, value] : patch.items()) {
      out += out.empty() ? key : "," + key;
    }
  }
  return out;
}

// {"changes": {key: {"old", "new"}}} for every setting whose value differs.
nlohmann::json changed_values(const nlohmann::json& before, const nlohmann::json& after) {
  nlohmann::json changes = nlohmann::json::object();
  for (const auto& [key, value] : after.items()) {
    const auto old = before.find(key);
    if (old == before.end() || *old != value) {
      changes[key] = {{"old", old == before.end() ? nlohmann::json() : *old}, {"new", value}};
    }
  }
  return {{"changes", std::move(changes)}};
}

}  // namespace

void LoggedSharingEvents::record(const SharingEvent& event) {
  spdlog::info(
      "sharing event {} by {} item={} link={} {}", event.type,
      event.actor.user_id != 0       ? "user " + std::to_string(event.actor.user_id)
      : event.actor.external_id != 0 ? "external " + std::to_string(event.actor.external_id)
                                     : std::string("anonymous"),
      event.item_id,
      event.link_id == 0 && !event.new_link_token_hash.empty() ? std::string("new")
                                                               : std::to_string(event.link_id),
      event.subject);
}

std::string_view to_string(RecipientStatus status) {
  switch (status) {
    case RecipientStatus::kMember:
      return "member";
    case RecipientStatus::kGuest:
      return "guest";
    case RecipientStatus::kVerified:
      return "verified";
    case RecipientStatus::kPending:
      return "pending";
    case RecipientStatus::kNew:
      return "new";
    case RecipientStatus::kBlocked:
      return "blocked";
    case RecipientStatus::kRefused:
      return "refused";
    case RecipientStatus::kInvalid:
      return "invalid";
  }
  return "invalid";
}

std::string_view link_status(const Link& link, const Policy& policy, TimePoint now) {
  if (link.revoked_at) {
    return "revoked";
  }
  if (const auto expiry = Authorizer::effective_expiry(link, policy); expiry && *expiry <= now) {
    return "expired";
  }
  if (link.kind == LinkKind::kAnyone &&
      (policy.external_sharing != ExternalSharing::kAnyone ||
       (link.password_hash.empty() && policy.anyone_link_require_password))) {
    return "off_by_policy";
  }
  return "active";
}

std::optional<TimePoint> reverify_at(const Grant& recipient, const Policy& policy) {
  if (recipient.grantee != Grantee::kExternal || !recipient.verified_at ||
      policy.reverify_after.count() == 0) {
    return std::nullopt;
  }
  return *recipient.verified_at + policy.reverify_after;
}

Sharing::Sharing(SharingRepository& sharing, ItemRepository& items, SpaceRepository& spaces,
                 UserRepository& users, PolicyRepository& policies, Authorizer& authz,
                 SharingEvents& events, SignInThrottle& password_throttle, Outbox& outbox,
                 const util::Clock& clock, SharingOptions options)
    : sharing_(sharing),
      items_(items),
      spaces_(spaces),
      users_(users),
      policies_(policies),
      authz_(authz),
      events_(events),
      password_throttle_(password_throttle),
      outbox_(outbox),
      clock_(clock),
      options_(std::move(options)) {}

Result<RecipientCheck> Sharing::classify_one(const std::string& typed, const Policy& policy,
                                             bool with_last_seen) {
  RecipientCheck out;
  out.address = typed;
  auto normalized = util::normalize_email(typed, "recipients");
  if (!normalized) {
    if (normalized.error().code != Errc::kInvalidArgument) {
      return fail(normalized.error());
    }
    out.status = RecipientStatus::kInvalid;
    out.refusal = Refused{typed, "invalid_address", normalized.error().message};
    return out;
  }
  const std::string address = normalized.value();
  out.normalized = address;
  const auto refuse = [&](RecipientStatus status, std::string rule, std::string message) {
    out.status = status;
    out.refusal = Refused{address, std::move(rule), std::move(message)};
    return out;
  };
  auto user = users_.find_by_email(address);
  if (!user && user.error().code == Errc::kNotFound) {
    // An alias of a member is that member (and so an internal address).
    VST_TRY(owner, sharing_.alias_owner(address));
    if (owner && owner->user_id) {
      user = users_.find_by_id(*owner->user_id);
      if (user) {
        out.normalized = user.value().email;
      }
    }
  }
  if (user) {
    if (user.value().disabled) {
      return refuse(RecipientStatus::kRefused, "account_disabled",
                    "this member's account is disabled");
    }
    out.status = RecipientStatus::kMember;
    out.user_id = user.value().id;
    out.display_name = user.value().display_name;
    return out;
  }
  if (user.error().code != Errc::kNotFound) {
    return fail(user.error());
  }
  const std::string domain = domain_of(address);
  if (domain_in(domain, policy.internal_domains)) {
    return refuse(RecipientStatus::kRefused, "internal_domains",
                  domain +
                      " is one of the organization's domains but no member has this address; "
                      "check the spelling, or add the member first");
  }
  std::optional<ExternalIdentity> known;
  auto identity = sharing_.find_identity_by_address(address);
  if (identity) {
    known = std::move(identity).value();
    out.normalized = known->address;  // an alias reaches its identity: one person, one record
    if (known->state == IdentityState::kBlocked) {
      return refuse(RecipientStatus::kBlocked, "identity_blocked",
                    "an admin has blocked this address");
    }
  } else if (identity.error().code != Errc::kNotFound) {
    return fail(identity.error());
  }
  const bool is_guest = known && known->state == IdentityState::kGuest;
  if (auto refusal = external_address_refusal(policy, address, is_guest)) {
    return refuse(RecipientStatus::kRefused, std::move(refusal->rule), std::move(refusal->message));
  }
  if (!known) {
    out.status = RecipientStatus::kNew;
    return out;
  }
  out.status = is_guest                                   ? RecipientStatus::kGuest
               : known->state == IdentityState::kVerified ? RecipientStatus::kVerified
                                                          : RecipientStatus::kPending;
  if (with_last_seen && out.status != RecipientStatus::kPending) {
    VST_TRY(seen, sharing_.identity_last_seen(known->id));
    out.last_seen_at = seen;
  }
  return out;
}

Result<Sharing::Classified> Sharing::classify(const std::vector<RecipientInput>& inputs,
                                              const Policy& policy) {
  Classified out;
  std::set<std::string> seen;
  const TimePoint now = clock_.now();
  for (const auto& input : inputs) {
    VST_TRY(checked, classify_one(input.address, policy, false));
    if (checked.status == RecipientStatus::kInvalid) {
      return fail(Errc::kInvalidArgument, checked.refusal->message, "recipients");
    }
    const std::string& address = *checked.normalized;
    if (!seen.insert(address).second) {
      continue;
    }
    if (input.expires_at && *input.expires_at <= now) {
      return fail(Errc::kInvalidArgument,
                  "the expiry of recipient " + address + " is in the past; give a future time",
                  "recipients");
    }
    if (checked.refusal) {
      out.refused.push_back(std::move(*checked.refusal));
    } else {
      out.recipients.push_back({address, checked.user_id, input.expires_at});
    }
  }
  return out;
}

Result<std::optional<TimePoint>> Sharing::checked_expiry(LinkKind kind,
                                                         std::optional<TimePoint> requested,
                                                         const Policy& policy, bool at_creation,
                                                         TimePoint created_at) {
  const TimePoint now = clock_.now();
  if (requested && *requested <= now) {
    return fail(Errc::kInvalidArgument, "expires_at is in the past; give a future time",
                "expires_at");
  }
  const Policy::Seconds maximum = max_link_lifetime(policy, kind);
  if (!requested && at_creation) {
    if (kind == LinkKind::kSpecific && policy.specific_link_default_lifetime.count() > 0) {
      requested = now + policy.specific_link_default_lifetime;
    }
    if (maximum.count() > 0) {
      const TimePoint cap = created_at + maximum;
      requested = requested ? std::min(*requested, cap) : cap;
    }
    return requested;
  }
  if (requested && maximum.count() > 0 && *requested > created_at + maximum) {
    const std::string key =
        kind == LinkKind::kAnyone ? "anyone_link_max_lifetime" : "specific_link_max_lifetime";
    Error error = make_error(Errc::kPolicyRefused,
                             "this link may last at most " + util::format_duration(maximum) +
                                 " from its creation (" + key + "); choose an earlier expires_at",
                             "expires_at");
    return fail(std::move(error));
  }
  if (!requested && maximum.count() > 0) {
    const std::string key =
        kind == LinkKind::kAnyone ? "anyone_link_max_lifetime" : "specific_link_max_lifetime";
    return fail(Errc::kPolicyRefused,
                "links of this kind must expire within " + util::format_duration(maximum) + " (" +
                    key + "); give an expires_at",
                "expires_at");
  }
  return requested;
}

Result<std::string> Sharing::hash_link_password(const std::string& password) {
  if (password.size() < options_.min_link_password_length) {
    return fail(Errc::kInvalidArgument,
                "a link password needs at least " +
                    std::to_string(options_.min_link_password_length) + " characters",
                "password");
  }
  if (password.size() > 1024) {
    return fail(Errc::kInvalidArgument, "a link password can have at most 1024 characters",
                "password");
  }
  return util::hash_password(password, options_.password_cost);
}

Result<CreatedLink> Sharing::create_link(const Principal& who, Id item_id,
                                         const LinkRequest& request) {
  VST_TRY(item, items_.find(item_id));
  VST_TRYV(authz_.authorize(who, Action::kShare, item));
  VST_TRY(policy, authz_.policy_in(item.space_id));
  const LinkKind kind = request.kind.value_or(policy.default_link_kind);
  const Role role =
      kind == LinkKind::kExisting ? Role::kView : request.role.value_or(policy.default_link_role);
  if (role == Role::kManage) {
    return fail(Errc::kInvalidArgument, "a link's role is view or edit; manage is for grants",
                "role");
  }
  if (kind != LinkKind::kSpecific && !request.recipients.empty()) {
    return fail(Errc::kInvalidArgument,
                R"(only specific links have recipients; use "kind": "specific")", "recipients");
  }
  if (kind != LinkKind::kAnyone && request.password) {
    return fail(Errc::kInvalidArgument, "only anyone links have a password", "password");
  }
  if (kind == LinkKind::kSpecific && request.recipients.empty()) {
    return fail(Errc::kInvalidArgument, "a specific link needs at least one recipient address",
                "recipients");
  }
  if (request.recipients.size() > kMaxRecipients) {
    return fail(Errc::kInvalidArgument,
                "at most " + std::to_string(kMaxRecipients) + " recipients per link", "recipients");
  }
  if (request.message.size() > 2000) {
    return fail(Errc::kInvalidArgument, "the message can have at most 2000 characters", "message");
  }
  if (auto refusal = link_kind_refusal(policy, kind)) {
    return fail(Errc::kPolicyRefused, std::move(refusal->message), "kind");
  }
  if (kind == LinkKind::kAnyone) {
    if (policy.anyone_link_require_password && !request.password) {
      return fail(Errc::kPolicyRefused,
                  "links that work for anyone need a password here "
                  "(anyone_link_require_password)",
                  "password");
    }
  }
  const TimePoint now = clock_.now();
  VST_TRY(expires_at, checked_expiry(kind, request.expires_at, policy, true, now));

  VST_TRY(classified, classify(request.recipients, policy));
  if (!classified.refused.empty()) {
    std::string names;
    for (const auto& r : classified.refused) {
      names += (names.empty() ? "" : ", ") + r.address + " (" + r.rule + ")";
    }
    Error error =
        make_error(Errc::kPolicyRefused,
                   "the sharing policy refuses " + names + "; nothing was shared", "recipients");
    error.refused = std::move(classified.refused);
    return fail(std::move(error));
  }

  NewLink link;
  link.item_id = item.id;
  link.kind = kind;
  link.role = role;
  if (request.password) {
    VST_TRY(hash, hash_link_password(*request.password));
    link.password_hash = std::move(hash);
  }
  const std::string token = util::random_token(32);
  link.token_hash = util::sha256_hex(token);
  link.expires_at = expires_at;
  link.block_download = request.block_download;
  link.message = request.message;
  link.created_by = who.user_id;
  link.created_at = now;
  // Announced before the write, so they land in the link's own transaction; the append reads
  // the new link's id by its token hash.
  std::vector<AuditChange> audited;
  SharingEvent created_event{"link.created", who, item.id, 0, std::string(to_string(kind))};
  created_event.details = {{"role", std::string(to_string(role))},
                           {"recipients", classified.recipients.size()}};
  created_event.new_link_token_hash = link.token_hash;
  audited.push_back(events_.before_change(created_event));
  for (const auto& recipient : classified.recipients) {
    SharingEvent added{"link.recipient_added", who, item.id, 0, recipient.address};
    added.new_link_token_hash = link.token_hash;
    audited.push_back(events_.before_change(added));
  }
  VST_TRY(created, sharing_.create_link(link, classified.recipients));
  invite(who, item, created.link, token, created.recipients);
  return CreatedLink{std::move(created), token};
}

void Sharing::invite(const Principal& who, const Item& item, const Link& link,
                     const std::string& token, const std::vector<Grant>& recipients) {
  const std::string link_url = options_.public_url + "/s/" + token;
  const std::string sharer = who.name.empty() ? std::string("Someone") : who.name;
  std::string sharer_address;
  if (auto user = users_.find_by_id(who.user_id)) {
    sharer_address = user.value().email;
  }
  for (const auto& r : recipients) {
    // The page prefills the address it was sent to (UX: "prefilled from ?email=").
    const std::string personal = link_url + "?email=" + util::percent_encode(r.address);
    NewMail mail = invitation_mail(sharer, sharer_address, item, link, r, personal, false);
    mail.secret = true;  // the link's token
    if (auto queued = outbox_.enqueue(mail); !queued) {
      spdlog::error("could not queue the invitation to {}: {}", r.address, queued.error().message);
    }
  }
}

NewMail Sharing::invitation_mail(const std::string& sharer, const std::string& sharer_address,
                                 const Item& item, const Link& link, const Grant& r,
                                 const std::string& url, bool resent) const {
  const std::string what = item.kind == ItemKind::kFolder ? "folder" : "file";
  const bool member = r.grantee == Grantee::kUser;
  NewMail mail;
  mail.kind = MailKind::kInvitation;
  mail.to = r.address;
  mail.subject = sharer + " shared \"" + item.name + "\" with you";
  mail.link_id = link.id;
  std::string text = sharer;
  if (!sharer_address.empty()) {
    text.append(" (").append(sharer_address).append(")");
  }
  text.append(" shared the ").append(what).append(" \"").append(item.name);
  text.append("\" with you (").append(to_string(link.role)).append(").\n\n");
  std::string html =
      "<p>" + util::html_escape(sharer) +
      (sharer_address.empty() ? "" : " (" + util::html_escape(sharer_address) + ")") +
      " shared the " + what + " <strong>" + util::html_escape(item.name) + "</strong> with you (" +
      std::string(to_string(link.role)) + ").</p>";
  if (!link.message.empty()) {
    text += "Their message:\n" + link.message + "\n\n";
    html += "<blockquote>" + util::html_escape(link.message) + "</blockquote>";
  }
  text += "Open it: " + url + "\n\n";
  html += "<p><a href=\"" + util::html_escape(url) + "\">Open " + util::html_escape(item.name) +
          "</a></p>";
  const std::string how =
      member ? "Sign in with your account to open it."
             : "When you open it you will be asked for this address and sent a code to prove "
               "it is yours; no account is needed.";
  text += "This invitation was sent to " + r.address + ". " + how + "\n";
  html += "<p>This invitation was sent to <strong>" + util::html_escape(r.address) + "</strong>. " +
          util::html_escape(how) + "</p>";
  if (link.expires_at || r.expires_at) {
    const TimePoint until = r.expires_at && link.expires_at
                                ? std::min(*r.expires_at, *link.expires_at)
                            : r.expires_at ? *r.expires_at
                                           : *link.expires_at;
    text += "Access ends " + util::format_rfc3339(until) + ".\n";
    html += "<p>Access ends " + util::format_rfc3339(until) + ".</p>";
  }
  if (resent) {
    const std::string again =
        "This is a new copy of an invitation sent to you earlier; the link in that email works "
        "too.";
    text += again + "\n";
    html += "<p>" + util::html_escape(again) + "</p>";
  }
  if (!sharer_address.empty()) {
    const std::string not_you =
        "If this was not meant for you, ignore it, or tell " + sharer_address + ".";
    text += not_you + "\n";
    html += "<p>" + util::html_escape(not_you) + "</p>";
  }
  mail.text = std::move(text);
  mail.html = std::move(html);
  return mail;
}

Delivery Sharing::delivery(Id link_id, const std::string& address) {
  auto latest = outbox_.repository().latest(link_id, address, MailKind::kInvitation);
  if (!latest || !latest.value()) {
    return {"none", {}};
  }
  const MailMessage& m = *latest.value();
  return {std::string(to_string(m.state)), m.state == MailState::kSent ? "" : m.last_error};
}

Result<std::vector<RecipientCheck>> Sharing::check_recipients(
    const Principal& who, Id item_id, const std::vector<std::string>& addresses,
    std::optional<LinkKind> kind) {
  VST_TRY(item, items_.find(item_id));
  VST_TRYV(authz_.authorize(who, Action::kShare, item));
  if (kind && *kind != LinkKind::kSpecific) {
    return fail(Errc::kInvalidArgument,
                R"(only specific links have recipients; use "kind": "specific")", "kind");
  }
  if (addresses.size() > kMaxCheckedAddresses) {
    return fail(Errc::kInvalidArgument,
                "check at most " + std::to_string(kMaxCheckedAddresses) + " addresses at once",
                "addresses");
  }
  VST_TRY(policy, authz_.policy_in(item.space_id));
  std::vector<RecipientCheck> out;
  out.reserve(addresses.size());
  for (const auto& address : addresses) {
    VST_TRY(checked, classify_one(address, policy, true));
    out.push_back(std::move(checked));
  }
  return out;
}

Result<LinkOptions> Sharing::link_options(const Principal& who, Id item_id) {
  VST_TRY(item, items_.find(item_id));
  VST_TRYV(authz_.authorize(who, Action::kShare, item));
  VST_TRY(policy, authz_.policy_in(item.space_id));
  LinkOptions out;
  for (const LinkKind kind :
       {LinkKind::kSpecific, LinkKind::kAnyone, LinkKind::kOrganization, LinkKind::kExisting}) {
    out.kinds.push_back({kind, link_kind_refusal(policy, kind)});
  }
  // A default the policy itself refuses (a space tightened below it) is not offered.
  out.default_kind = link_kind_refusal(policy, policy.default_link_kind) ? LinkKind::kSpecific
                                                                         : policy.default_link_kind;
  out.default_role = policy.default_link_role;
  const TimePoint now = clock_.now();
  const auto expiry = [&](LinkKind kind) -> Result<ExpiryOption> {
    ExpiryOption e;
    VST_TRY(default_at, checked_expiry(kind, std::nullopt, policy, true, now));
    e.default_at = default_at;
    e.max = max_link_lifetime(policy, kind);
    if (e.max.count() > 0) {
      e.max_at = now + e.max;
    }
    return e;
  };
  VST_TRY(anyone, expiry(LinkKind::kAnyone));
  VST_TRY(specific, expiry(LinkKind::kSpecific));
  VST_TRY(organization, expiry(LinkKind::kOrganization));
  out.anyone = anyone;
  out.specific = specific;
  out.organization = organization;
  out.anyone_requires_password = policy.anyone_link_require_password;
  out.min_password_length = options_.min_link_password_length;
  out.email_code_enabled = policy.email_code_enabled;
  return out;
}

namespace {

// A decision that only means "not for this caller": the item is skipped, not the listing failed.
bool skippable(const Error& error) {
  return error.code == Errc::kNotFound || error.code == Errc::kForbidden ||
         error.code == Errc::kGone || error.code == Errc::kUnauthenticated;
}

}  // namespace

Result<std::vector<SharedLink>> Sharing::shared_by(const Principal& who) {
  if (who.kind != PrincipalKind::kMember || who.user_id == 0) {
    return fail(Errc::kForbidden, "only members share; sign in with your account");
  }
  VST_TRY(links, sharing_.links_created_by(who.user_id));
  std::vector<SharedLink> out;
  for (auto& link : links) {
    auto item = items_.find(link.item_id);
    if (!item) {
      if (skippable(item.error())) {
        continue;
      }
      return fail(item.error());
    }
    // Only what the member may still share: every listed link can be changed or revoked.
    if (auto allowed = authz_.authorize(who, Action::kShare, item.value()); !allowed) {
      if (skippable(allowed.error())) {
        continue;
      }
      return fail(allowed.error());
    }
    VST_TRY(policy, authz_.policy_in(item.value().space_id));
    VST_TRY(recipients, sharing_.recipients(link.id));
    const auto expiry = Authorizer::effective_expiry(link, policy);
    out.push_back({{std::move(link), std::move(recipients)},
                   std::move(item).value(),
                   std::move(policy),
                   expiry});
  }
  // The store lists newest first; a stable sort keeps that order among equal expiries.
  std::stable_sort(out.begin(), out.end(), [](const SharedLink& a, const SharedLink& b) {
    if (a.effective_expiry.has_value() != b.effective_expiry.has_value()) {
      return a.effective_expiry.has_value();
    }
    return a.effective_expiry && *a.effective_expiry < *b.effective_expiry;
  });
  return out;
}

Result<std::vector<RequestOnItem>> Sharing::requests_to_decide(const Principal& who,
                                                               bool pending_only) {
  if (who.kind != PrincipalKind::kMember || who.user_id == 0) {
    return fail(Errc::kForbidden, "only members decide requests for access; sign in");
  }
  VST_TRY(candidates,
          sharing_.access_requests_for_manager(who.user_id, pending_only, kMaxListedRequests));
  std::map<Id, std::optional<Item>> decided;  // per item: shareable by `who`, or not
  std::vector<RequestOnItem> out;
  for (auto& request : candidates) {
    auto found = decided.find(request.item_id);
    if (found == decided.end()) {
      std::optional<Item> shareable;
      auto item = items_.find(request.item_id);
      if (item) {
        auto allowed = authz_.authorize(who, Action::kShare, item.value());
        if (allowed) {
          shareable = std::move(item).value();
        } else if (!skippable(allowed.error())) {
          return fail(allowed.error());
        }
      } else if (!skippable(item.error())) {
        return fail(item.error());
      }
      found = decided.emplace(request.item_id, std::move(shareable)).first;
    }
    if (found->second) {
      out.push_back({std::move(request), *found->second});
    }
  }
  return out;
}

Result<std::unordered_set<Id>> Sharing::shared_among(const std::vector<Item>& items) {
  std::unordered_set<Id> shared;
  if (items.empty()) {
    return shared;
  }
  std::vector<Id> ids;
  ids.reserve(items.size());
  std::unordered_map<Id, Id> space_of;
  for (const auto& item : items) {
    ids.push_back(item.id);
    space_of.emplace(item.id, item.space_id);
  }
  const TimePoint now = clock_.now();
  VST_TRY(marks, sharing_.share_marks(ids, now));
  shared.insert(marks.granted.begin(), marks.granted.end());
  std::unordered_map<Id, Policy> policies;  // by space; a listing is usually one space
  for (const auto& link : marks.links) {
    if (shared.contains(link.item_id)) {
      continue;
    }
    const Id space_id = space_of.at(link.item_id);
    auto policy = policies.find(space_id);
    if (policy == policies.end()) {
      VST_TRY(read, authz_.policy_in(space_id));
      policy = policies.emplace(space_id, std::move(read)).first;
    }
    if (link_status(link, policy->second, now) == "active") {
      shared.insert(link.item_id);
    }
  }
  return shared;
}

Result<Grant> Sharing::resend_invitation(const Principal& who, Id link_id,
                                         const std::string& address) {
  VST_TRY(normalized, util::normalize_email(address, "address"));
  VST_TRY(found, link_to_manage(who, link_id));
  auto& [link, item] = found;
  VST_TRY(recipients, sharing_.recipients(link.id));
  const auto recipient = std::find_if(recipients.begin(), recipients.end(),
                                      [&](const Grant& g) { return g.address == normalized; });
  if (recipient == recipients.end()) {
    return fail(Errc::kNotFound, normalized + " is not a recipient of this link", "address");
  }
  VST_TRY(policy, authz_.policy_in(item.space_id));
  const TimePoint now = clock_.now();
  if (const auto status = link_status(link, policy, now); status != "active") {
    return fail(Errc::kConflict, "this link is " + std::string(status) +
                                     "; an invitation would lead nowhere. Change the link or "
                                     "create a new one");
  }
  if (recipient->expires_at && *recipient->expires_at <= now) {
    return fail(Errc::kConflict, "the access of " + normalized +
                                     " has expired; give them a new expiry or a new link first");
  }
  // The same rules as when the link was created, under the policy of now.
  VST_TRY(checked, classify_one(normalized, policy, false));
  if (checked.refusal) {
    Error error = make_error(Errc::kPolicyRefused,
                             "the sharing policy now refuses " + normalized + " (" +
                                 checked.refusal->rule + "); nothing was sent",
                             "address");
    error.refused = {std::move(*checked.refusal)};
    return fail(std::move(error));
  }
  // Budget, counted in the outbox (so on every node alike): the first invitation to the
  // recipient is the one the link's creation sent; every later one is a resend.
  VST_TRY(sent, outbox_.repository().history(link.id, normalized, MailKind::kInvitation));
  const TimePoint window_start = now - std::chrono::hours(1);
  std::vector<TimePoint> recent;
  for (std::size_t i = 1; i < sent.size(); ++i) {
    if (sent[i].created_at > window_start) {
      recent.push_back(sent[i].created_at);
    }
  }
  if (recent.size() >= kResendsPerHour) {
    // Rounded up: after waiting that long the oldest resend has left the window.
    const auto oldest = *std::min_element(recent.begin(), recent.end());
    const long wait = std::max<long>(
        1,
        static_cast<long>(
            std::chrono::ceil<std::chrono::seconds>(oldest + std::chrono::hours(1) - now).count()));
    Error error =
        make_error(Errc::kTooManyRequests,
                   "the invitation to " + normalized + " was already resent " +
                       std::to_string(kResendsPerHour) + " times in the last hour; try again in " +
                       std::to_string(wait) + " seconds");
    error.retry_after_seconds = wait;
    return fail(std::move(error));
  }
  std::string sharer = link.created_by_name.empty() ? "Someone" : link.created_by_name;
  std::string sharer_address;
  if (auto creator = users_.find_by_id(link.created_by)) {
    sharer = creator.value().display_name.empty() ? sharer : creator.value().display_name;
    sharer_address = creator.value().email;
  }
  // The token is not stored: the email points at the token-free page of the link, where the
  // recipient proves the address (or signs in) and their grant lets them in.
  const std::string url = options_.public_url + "/shared/" + std::to_string(link.id) +
                          "?email=" + util::percent_encode(normalized);
  NewMail mail = invitation_mail(sharer, sharer_address, item, link, *recipient, url, true);
  const auto audited =
      events_.before_change({"link.invitation_resent", who, item.id, link.id, normalized});
  VST_TRYV(outbox_.enqueue(mail));
  return *recipient;
}

Result<std::pair<Link, Item>> Sharing::link_to_manage(const Principal& who, Id link_id) {
  auto link = sharing_.find_link(link_id);
  if (!link) {
    return fail(Errc::kNotFound, "no such link, or you cannot manage it");
  }
  VST_TRY(item, items_.find(link.value().item_id));
  auto allowed = authz_.authorize(who, Action::kShare, item);
  if (!allowed) {
    if (allowed.error().code == Errc::kNotFound) {
      return fail(Errc::kNotFound, "no such link, or you cannot manage it");
    }
    return fail(allowed.error());
  }
  return std::make_pair(std::move(link).value(), std::move(item));
}

Result<LinkWithRecipients> Sharing::link(const Principal& who, Id link_id) {
  VST_TRY(found, link_to_manage(who, link_id));
  VST_TRY(recipients, sharing_.recipients(link_id));
  return LinkWithRecipients{std::move(found.first), std::move(recipients)};
}

Result<Link> Sharing::update_link(const Principal& who, Id link_id, const LinkChange& change) {
  VST_TRY(found, link_to_manage(who, link_id));
  auto& [link, item] = found;
  if (link.revoked_at) {
    return fail(Errc::kConflict, "this link was revoked; create a new one");
  }
  VST_TRY(policy, authz_.policy_in(item.space_id));
  if (change.role) {
    if (*change.role == Role::kManage) {
      return fail(Errc::kInvalidArgument, "a link's role is view or edit", "role");
    }
    if (link.kind == LinkKind::kExisting) {
      return fail(Errc::kInvalidArgument, "an existing-access link has no role of its own", "role");
    }
    link.role = *change.role;
  }
  if (change.expires_at) {
    VST_TRY(expiry, checked_expiry(link.kind, *change.expires_at, policy, false, link.created_at));
    link.expires_at = expiry;
  }
  if (change.block_download) {
    link.block_download = *change.block_download;
  }
  if (change.password) {
    if (link.kind != LinkKind::kAnyone) {
      return fail(Errc::kInvalidArgument, "only anyone links have a password", "password");
    }
    if (*change.password) {
      VST_TRY(hash, hash_link_password(**change.password));
      link.password_hash = std::move(hash);
    } else {
      if (policy.anyone_link_require_password) {
        return fail(Errc::kPolicyRefused,
                    "links that work for anyone need a password here "
                    "(anyone_link_require_password)",
                    "password");
      }
      link.password_hash.clear();
    }
  }
  const auto audited = events_.before_change({"link.changed", who, item.id, link.id, {}});
  VST_TRY(updated, sharing_.update_link(link));
  return updated;
}

Result<void> Sharing::revoke_link(const Principal& who, Id link_id) {
  VST_TRY(found, link_to_manage(who, link_id));
  if (!found.first.revoked_at) {
    const auto audited = events_.before_change({"link.revoked", who, found.second.id, link_id, {}});
    VST_TRYV(sharing_.revoke_link(link_id, clock_.now()));
  }
  return outcome::success();
}

Result<void> Sharing::remove_recipient(const Principal& who, Id link_id,
                                       const std::string& address) {
  VST_TRY(typed, util::normalize_email(address, "address"));
  VST_TRY(found, link_to_manage(who, link_id));
  // An alias names its identity's place on the link.
  std::string normalized = typed;
  if (auto identity = sharing_.find_identity_by_address(typed)) {
    normalized = identity.value().address;
  }
  const auto audited =
      events_.before_change({"link.recipient_removed", who, found.second.id, link_id, normalized});
  VST_TRYV(sharing_.remove_recipient(link_id, normalized, clock_.now()));
  return outcome::success();
}

Result<Grant> Sharing::put_grant(const Principal& who, Id item_id, const std::string& email,
                                 Role role) {
  VST_TRY(item, items_.find(item_id));
  VST_TRYV(authz_.authorize(who, Action::kShare, item));
  VST_TRY(address, util::normalize_email(email, "email"));
  auto user = users_.find_by_email(address);
  if (!user) {
    if (user.error().code == Errc::kNotFound) {
      return fail(Errc::kInvalidArgument,
                  "no member has the address " + address +
                      "; to share with someone outside the organization, create a specific link",
                  "email");
    }
    return fail(user.error());
  }
  if (user.value().disabled) {
    return fail(Errc::kInvalidArgument, "the account of " + address + " is disabled", "email");
  }
  const auto audited = events_.before_change({"grant.put", who, item.id, 0, address});
  VST_TRY(grant, sharing_.put_grant(item.id, user.value().id, role, who.user_id, clock_.now()));
  return grant;
}

Result<void> Sharing::remove_grant(const Principal& who, Id grant_id) {
  auto grant = sharing_.find_grant(grant_id);
  if (!grant || grant.value().link_id) {
    return fail(Errc::kNotFound, "no such grant, or you cannot manage it");
  }
  VST_TRY(item, items_.find(grant.value().item_id));
  auto allowed = authz_.authorize(who, Action::kShare, item);
  if (!allowed) {
    if (allowed.error().code == Errc::kNotFound) {
      return fail(Errc::kNotFound, "no such grant, or you cannot manage it");
    }
    return fail(allowed.error());
  }
  const auto audited =
      events_.before_change({"grant.removed", who, item.id, 0, grant.value().address});
  VST_TRYV(sharing_.remove_grant(grant_id));
  return outcome::success();
}

Result<AccessReport> Sharing::access(const Principal& who, Id item_id) {
  VST_TRY(item, items_.find(item_id));
  VST_TRY(decided, authz_.authorize(who, Action::kShare, item));
  AccessReport report;
  std::vector<Id> ids;
  for (const auto& ancestor : decided.ancestors) {
    ids.push_back(ancestor.id);
  }
  ids.push_back(item.id);
  VST_TRY(space, spaces_.find(item.space_id));
  VST_TRY(members, spaces_.members(space.id));
  VST_TRY(grants, sharing_.grants_on(ids));
  VST_TRY(links, sharing_.links_on(ids));
  for (auto& link : links) {
    VST_TRY(recipients, sharing_.recipients(link.id));
    report.links.push_back({std::move(link), std::move(recipients)});
  }
  VST_TRY(policy, authz_.policy_in(space.id));
  report.item = std::move(item);
  report.ancestors = std::move(decided.ancestors);
  report.space = std::move(space);
  report.space_members = std::move(members);
  report.grants = std::move(grants);
  report.policy = std::move(policy);
  return report;
}

Result<Link> Sharing::find_by_token(const std::string& token) {
  if (!looks_like_token(token)) {
    return unknown_link();
  }
  auto link = sharing_.find_link_by_token_hash(util::sha256_hex(token));
  if (!link) {
    if (link.error().code == Errc::kNotFound) {
      return unknown_link();
    }
    return fail(link.error());
  }
  return link;
}

Result<Principal> Sharing::through_link(Principal who, const std::string& token,
                                        const std::optional<std::string>& proof_token) {
  VST_TRY(link, find_by_token(token));
  if (proof_token && looks_like_token(*proof_token)) {
    auto proved = sharing_.find_link_session(util::sha256_hex(*proof_token), clock_.now());
    who.link_password_proved = proved && proved.value() == link.id;
  }
  who.via = std::move(link);
  return who;
}

Result<Principal> Sharing::through_link_id(Principal who, Id link_id) {
  auto link = authz_.recipient_link(who, link_id);
  if (!link) {
    if (link.error().code == Errc::kNotFound) {
      return unknown_link();  // the same answer as an unknown token
    }
    return fail(link.error());
  }
  who.via = std::move(link).value();
  return who;
}

Result<ShareSummary> Sharing::summary(const Principal& through) {
  const Link& link = *through.via;
  auto item = items_.find(link.item_id);
  if (!item) {
    return fail(Errc::kGone, "the shared item no longer exists");
  }
  ShareSummary out;
  out.link = link;
  out.item = item.value();
  out.needs = "none";
  if (auto by = users_.find_by_id(link.created_by)) {
    out.shared_by = by.value().display_name;
  }
  VST_TRY(policy, authz_.policy_in(item.value().space_id));
  out.expires_at = Authorizer::effective_expiry(link, policy);
  out.policy = std::move(policy);
  // The caller's own grant as a recipient of this link, if any.
  std::optional<Grant> own;
  if (through.kind != PrincipalKind::kAnonymous && link.kind == LinkKind::kSpecific) {
    VST_TRY(recipients, sharing_.recipients(link.id));
    for (auto& r : recipients) {
      if ((r.grantee == Grantee::kUser && through.user_id != 0 &&
           r.principal_id == through.user_id) ||
          (r.grantee == Grantee::kExternal && through.external_id != 0 &&
           r.principal_id == through.external_id)) {
        own = std::move(r);
        break;
      }
    }
  }
  if (own && own->expires_at && (!out.expires_at || *own->expires_at < *out.expires_at)) {
    out.recipient_expires_at = own->expires_at;
  }
  auto decided = authz_.authorize(through, Action::kRead, item.value());
  if (decided) {
    record_use(through, decided.value());
    return out;
  }
  const Error& error = decided.error();
  if (error.code == Errc::kNotFound) {
    return fail(Errc::kGone, "the shared item was deleted; you can ask its owner for access");
  }
  if (error.code != Errc::kUnauthenticated && error.code != Errc::kForbidden) {
    return fail(error);
  }
  VST_TRY(state, authz_.link_state(through, link));
  if (state == LinkState::kNeedsPassword) {
    out.needs = "password";
  } else if (state == LinkState::kNeedsSignIn ||
             (link.kind != LinkKind::kSpecific && through.kind == PrincipalKind::kAnonymous)) {
    out.needs = "sign_in";
  } else if (link.kind == LinkKind::kSpecific) {
    out.needs = "verification";
  } else {
    return fail(error);
  }
  if (through.kind == PrincipalKind::kAnonymous) {
    return out;  // no reason for anonymous callers: nothing to enumerate recipients with
  }
  const TimePoint now = clock_.now();
  const bool current_recipient = own && (!own->expires_at || *own->expires_at > now);
  if (through.kind == PrincipalKind::kExternal &&
      through.identity_state == IdentityState::kBlocked) {
    out.reason = "blocked";
  } else if (through.kind == PrincipalKind::kExternal && current_recipient &&
             !Authorizer::verification_current(through, out.policy, now)) {
    out.reason = "reverification_due";
    out.proved_at = through.proved_at;
  } else {
    std::optional<TimePoint> removed;
    if (!through.email.empty()) {
      VST_TRY(at, sharing_.removed_at(link.id, through.email));
      removed = at;
    }
    out.reason = removed && !current_recipient ? "removed" : "not_invited";
  }
  return out;
}

Result<EndedLink> Sharing::ended(const Link& link) {
  EndedLink out;
  out.shared_by = link.created_by_name;
  auto item = items_.find(link.item_id);
  Policy policy;
  if (item) {
    VST_TRY(in_space, authz_.policy_in(item.value().space_id));
    policy = std::move(in_space);
  } else {
    VST_TRY(org, authz_.org_policy());
    policy = std::move(org);
  }
  const std::string_view status = link_status(link, policy, clock_.now());
  if (status == "active") {
    out.state = "deleted";  // the link still works: what ended is the item it shares
  } else {
    out.state = std::string(status);
    if (status == "expired") {
      out.expired_at = Authorizer::effective_expiry(link, policy);
    }
  }
  return out;
}

Result<std::vector<SharedWithMe>> Sharing::shared_with_me(const Principal& who) {
  std::optional<Grantee> grantee;
  Id principal_id = 0;
  if (who.kind == PrincipalKind::kMember && who.user_id != 0) {
    grantee = Grantee::kUser;
    principal_id = who.user_id;
  } else if (who.kind == PrincipalKind::kExternal && who.external_id != 0) {
    VST_TRY(org, authz_.org_policy());
    if (!Authorizer::verification_current(who, org, clock_.now())) {
      return fail(Errc::kUnauthenticated,
                  "it is time to prove your address again: ask for a new code with POST "
                  "/api/v1/session/code, or open a link you were sent");
    }
    grantee = Grantee::kExternal;
    principal_id = who.external_id;
  }
  if (!grantee) {
    return fail(Errc::kUnauthenticated,
                "sign in, with your password or with a code sent to your address (POST "
                "/api/v1/session/code), to see what was shared with you");
  }
  VST_TRY(grants, sharing_.grants_of(*grantee, principal_id));
  const TimePoint now = clock_.now();
  std::vector<SharedWithMe> out;
  for (auto& [grant, link] : grants) {
    if (grant.expires_at && *grant.expires_at <= now) {
      continue;
    }
    if (link && link->kind != LinkKind::kSpecific) {
      continue;
    }
    if (!link && *grantee != Grantee::kUser) {
      continue;
    }
    auto item = items_.find(grant.item_id);
    if (!item || item.value().trashed_at) {
      continue;
    }
    // The same decision as a request through the link (or, for a direct grant, as the member's
    // own request): revoked, expired, refused by policy, blocked or trashed give nothing.
    Principal asking = who;
    if (link) {
      asking.via = *link;
    }
    if (!authz_.authorize(asking, Action::kRead, item.value())) {
      continue;
    }
    SharedWithMe entry;
    entry.item = std::move(item).value();
    entry.shared_at = grant.created_at;
    entry.expires_at = grant.expires_at;
    if (link) {
      VST_TRY(policy, authz_.policy_in(entry.item.space_id));
      const auto link_expiry = Authorizer::effective_expiry(*link, policy);
      if (link_expiry && (!entry.expires_at || *link_expiry < *entry.expires_at)) {
        entry.expires_at = link_expiry;
      }
      entry.link_id = link->id;
      entry.role = link->role;
      entry.block_download = link->block_download;
      entry.shared_by = link->created_by_name;
    } else {
      entry.role = grant.role;
      if (auto by = users_.find_by_id(grant.created_by)) {
        entry.shared_by = by.value().display_name;
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

Result<std::string> Sharing::prove_password(const std::string& token, const std::string& password,
                                            const std::string& client_address) {
  VST_TRY(link, find_by_token(token));
  Principal nobody;
  VST_TRY(state, authz_.link_state(nobody, link));
  if (link.kind != LinkKind::kAnyone || link.password_hash.empty()) {
    return fail(Errc::kInvalidArgument, "this link has no password; open it directly");
  }
  if (state != LinkState::kNeedsPassword) {
    Principal proved;
    proved.link_password_proved = true;
    proved.via = link;
    VST_TRY(item, items_.find(link.item_id));
    VST_TRYV(authz_.authorize(proved, Action::kRead, item));  // says why the link is dead
  }
  const std::string account = "link:" + std::to_string(link.id);
  VST_TRY(wait, password_throttle_.wait_seconds(account, client_address));
  if (wait > 0) {
    Error error = make_error(Errc::kTooManyRequests, "too many wrong passwords; try again in " +
                                                         std::to_string(wait) + " seconds");
    error.retry_after_seconds = wait;
    return fail(std::move(error));
  }
  if (!util::verify_password(link.password_hash, password)) {
    VST_TRYV(password_throttle_.record_failure(account, client_address));
    events_.record({"link.password_failed", nobody, link.item_id, link.id, client_address});
    return fail(Errc::kUnauthenticated, "that is not the link's password", "password");
  }
  VST_TRYV(password_throttle_.record_success(account, client_address));
  const std::string proof = util::random_token(32);
  const TimePoint now = clock_.now();
  VST_TRYV(sharing_.create_link_session(util::sha256_hex(proof), link.id, now,
                                        now + options_.link_session_lifetime));
  return proof;
}

void Sharing::record_use(const Principal& through, const Access& access) {
  const TimePoint now = clock_.now();
  const auto due = [&](const std::optional<TimePoint>& last) {
    return !last || now - *last >= kUseRecordingInterval;
  };
  if (access.recipient_grant && due(access.recipient_grant_last_used)) {
    if (auto r = sharing_.record_grant_use(*access.recipient_grant, now); !r) {
      spdlog::warn("could not record a link recipient's use: {}", r.error().message);
    }
  }
  if (through.via &&
      (through.via->kind == LinkKind::kAnyone || through.via->kind == LinkKind::kOrganization) &&
      due(through.via->last_used_at)) {
    if (auto r = sharing_.record_link_use(through.via->id, now); !r) {
      spdlog::warn("could not record a link's use: {}", r.error().message);
    }
  }
}

Result<void> Sharing::request_access(const Principal& through, const std::string& email,
                                     const std::string& message) {
  const Link& link = *through.via;
  VST_TRY(address, util::normalize_email(email, "email"));
  // Asked for the record only: expired and revoked links are exactly where requests come from.
  VST_TRYV(authz_.link_state(through, link));
  if (message.size() > 2000) {
    return fail(Errc::kInvalidArgument, "the message can have at most 2000 characters", "message");
  }
  VST_TRY(pending, sharing_.count_pending_requests(link.id));
  if (pending >= 50) {
    return outcome::success();  // enough is waiting for the owner; more would only be noise
  }
  auto item = items_.find(link.item_id);
  if (!item) {
    return outcome::success();
  }
  const auto audited =
      events_.before_change({"access.requested", through, link.item_id, link.id, address});
  VST_TRYV(sharing_.add_access_request(
      {0, link.id, link.item_id, address, message, "pending", clock_.now(), std::nullopt}));
  if (auto owner = users_.find_by_id(link.created_by)) {
    NewMail mail;
    mail.kind = MailKind::kNotification;
    mail.to = owner.value().email;
    mail.subject = address + " asks for access to \"" + item.value().name + "\"";
    mail.text = address + " asks for access to \"" + item.value().name + "\"" +
                (message.empty() ? std::string(".\n") : ":\n\n" + message + "\n") +
                "\nApprove or decline it in manage access: " + options_.public_url +
                "/api/v1/items/" + std::to_string(link.item_id) + "/access-requests\n";
    mail.html =
        "<p>" + util::html_escape(address) + " asks for access to <strong>" +
        util::html_escape(item.value().name) + "</strong>.</p>" +
        (message.empty() ? "" : "<blockquote>" + util::html_escape(message) + "</blockquote>") +
        "<p>Approve or decline it in manage access.</p>";
    if (auto queued = outbox_.enqueue(mail); !queued) {
      spdlog::error("could not queue an access request notice: {}", queued.error().message);
    }
  }
  return outcome::success();
}

Result<std::vector<AccessRequest>> Sharing::access_requests(const Principal& who, Id item_id) {
  VST_TRY(item, items_.find(item_id));
  VST_TRYV(authz_.authorize(who, Action::kShare, item));
  return sharing_.access_requests(item.id);
}

Result<std::optional<CreatedLink>> Sharing::decide(const Principal& who, Id request_id,
                                                   bool approve) {
  auto request = sharing_.find_access_request(request_id);
  if (!request) {
    return fail(Errc::kNotFound, "no such access request, or you cannot decide it");
  }
  VST_TRY(item, items_.find(request.value().item_id));
  auto allowed = authz_.authorize(who, Action::kShare, item);
  if (!allowed) {
    if (allowed.error().code == Errc::kNotFound) {
      return fail(Errc::kNotFound, "no such access request, or you cannot decide it");
    }
    return fail(allowed.error());
  }
  if (request.value().state != "pending") {
    return fail(Errc::kConflict, "this request was already " + request.value().state);
  }
  std::optional<CreatedLink> created;
  if (approve) {
    LinkRequest share;
    share.kind = LinkKind::kSpecific;
    if (auto link = sharing_.find_link(request.value().link_id)) {
      share.role = link.value().role;
      share.block_download = link.value().block_download;
    }
    share.recipients = {{request.value().address, std::nullopt}};
    VST_TRY(link, create_link(who, item.id, share));
    created = std::move(link);
  }
  const auto audited =
      events_.before_change({approve ? "access.approved" : "access.declined", who, item.id,
                             request.value().link_id, request.value().address});
  VST_TRYV(sharing_.decide_access_request(request_id, approve ? "approved" : "declined",
                                          who.user_id, clock_.now()));
  return created;
}

Result<std::vector<MailMessage>> Sharing::recent_mail(const Principal& who, std::size_t limit) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(messages, outbox_.repository().recent(limit));
  for (auto& m : messages) {
    m.text.clear();
    m.html.clear();
  }
  return messages;
}

Result<std::vector<DirectoryEntry>> Sharing::directory(const Principal& who) {
  VST_TRYV(authz_.authorize_admin(who));
  return sharing_.directory();
}

Result<ExternalIdentity> Sharing::directory_entry(const std::string& address) {
  auto found = sharing_.find_identity_by_address(address);
  if (!found && found.error().code == Errc::kNotFound) {
    return fail(Errc::kNotFound, address +
                                     " is not in the external directory; GET "
                                     "/api/v1/admin/external-identities lists the addresses");
  }
  return found;
}

Result<ExternalIdentity> Sharing::change_identity(const Principal& who, const std::string& address,
                                                  std::optional<IdentityState> state,
                                                  bool lift_block) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(normalized, util::normalize_email(address, "address"));
  VST_TRY(identity, directory_entry(normalized));
  nlohmann::json details = {{"from", to_string(identity.state)}};
  if (state) {
    details["to"] = to_string(*state);
  }
  if (lift_block) {
    details["failures_reset"] = true;
  }
  const auto audited =
      events_.before_change({"identity.changed", who, 0, 0, normalized, std::move(details)});
  if (lift_block) {
    VST_TRYV(sharing_.reset_failures(identity.id));
  }
  if (state) {
    VST_TRY(changed, sharing_.set_identity_state(identity.id, *state, clock_.now()));
    identity = std::move(changed);
  }
  return identity;
}

Result<void> Sharing::delete_identity(const Principal& who, const std::string& address) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(normalized, util::normalize_email(address, "address"));
  VST_TRY(identity, directory_entry(normalized));
  const auto audited = events_.before_change({"identity.deleted", who, 0, 0, normalized});
  VST_TRYV(sharing_.delete_identity(identity.id));
  return outcome::success();
}

Result<ExternalSharingReport> Sharing::external_sharing(const Principal& who,
                                                        const ExternalShareFilter& filter) {
  VST_TRYV(authz_.authorize_admin(who));
  return external_sharing_for_operator(filter);
}

Result<ExternalSharingReport> Sharing::external_sharing_for_operator(
    const ExternalShareFilter& filter) {
  ExternalShareQuery query;
  if (filter.owner) {
    VST_TRY(address, util::normalize_email(*filter.owner, "owner"));
    auto owner = users_.find_by_email(address);
    if (!owner) {
      if (owner.error().code == Errc::kNotFound) {
        return fail(Errc::kInvalidArgument,
                    "no member has the address " + address +
                        "; owner is the email of the member who shared, like ada@example.org",
                    "owner");
      }
      return fail(owner.error());
    }
    query.created_by = owner.value().id;
  }
  if (filter.domain) {
    VST_TRY(domain, util::domain_to_ascii(*filter.domain, "domain"));
    if (!looks_like_domain(domain)) {
      return fail(Errc::kInvalidArgument,
                  "domain must be a domain name, like partner.example (subdomains included)",
                  "domain");
    }
    query.domain = std::move(domain);
  }
  if (filter.kind) {
    if (*filter.kind != LinkKind::kAnyone && *filter.kind != LinkKind::kSpecific) {
      return fail(Errc::kInvalidArgument,
                  "kind must be anyone or specific; organization and existing links do not "
                  "reach outside the organization",
                  "kind");
    }
    query.kind = filter.kind;
  }
  return ExternalSharingReport(sharing_, policies_, clock_, std::move(query),
                               filter.expires_before);
}

Result<Policy> Sharing::org_settings(const Principal& who) {
  VST_TRYV(authz_.authorize_admin(who));
  return authz_.org_policy();
}

Result<Policy> Sharing::change_org_settings(const Principal& who, const nlohmann::json& patch) {
  VST_TRYV(authz_.authorize_admin(who));
  VST_TRY(current, authz_.org_policy());
  VST_TRY(changed, apply_patch(current, patch));
  const auto audited = events_.before_change({"settings.changed", who, 0, 0, keys_of(patch),
                                              changed_values(to_json(current), to_json(changed))});
  VST_TRYV(policies_.save_org(to_json(changed).dump()));
  return changed;
}

Result<SpacePolicy> Sharing::space_settings(const Principal& who, Id space_id) {
  VST_TRYV(authz_.authorize_space(who, Action::kManage, space_id));
  VST_TRY(text, policies_.load_space(space_id));
  return space_policy_from_stored(text);
}

Result<SpacePolicy> Sharing::change_space_settings(const Principal& who, Id space_id,
                                                   const nlohmann::json& patch) {
  VST_TRYV(authz_.authorize_space(who, Action::kManage, space_id));
  VST_TRY(org, authz_.org_policy());
  VST_TRY(text, policies_.load_space(space_id));
  const SpacePolicy before = space_policy_from_stored(text);
  VST_TRY(changed, apply_space_patch(before, patch, org));
  nlohmann::json details = changed_values(to_json(before), to_json(changed));
  details["space"] = space_id;
  const auto audited = events_.before_change(
      {"space_settings.changed", who, 0, 0, keys_of(patch), std::move(details)});
  VST_TRYV(policies_.save_space(space_id, to_json(changed).dump()));
  return changed;
}

}  // namespace vestibule::domain
