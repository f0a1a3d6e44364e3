// The organization's sharing policy (SPEC §3) as a typed value, its JSON form for
// `GET`/`PATCH /api/v1/admin/settings`, and a space's stricter overrides. A policy is a plain
// value: it is read from storage on every authorization, so a change applies on the next request.
#pragma once

#include "domain/model.hpp"
#include "util/result.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vestibule::domain {

// Ordered from the strictest to the loosest.
enum class ExternalSharing {
  kInternalOnly = 0,
  kExistingGuests = 1,
  kNewAndExistingGuests = 2,
  kAnyone = 3,
};
std::string_view to_string(ExternalSharing level);

struct Policy {
  using Seconds = std::chrono::seconds;
  static constexpr std::size_t kMaxOrganizationName = 100;     // characters (code points)
  static constexpr std::size_t kMaxOrganizationContact = 200;  // characters (code points)

  // Grouped by type (not in SPEC order) so the struct has no padding.
  std::vector<std::string> internal_domains;  // lower-case ASCII
  std::vector<std::string> allowed_domains;
  std::vector<std::string> blocked_domains;
  // Shown to recipients (e.g. on a blocked address's page): who runs this server and how to
  // reach them. Organization-wide only; a space cannot set them.
  std::string organization_name;     // at most kMaxOrganizationName characters
  std::string organization_contact;  // at most kMaxOrganizationContact characters
  Seconds code_lifetime{10 * 60};
  Seconds reverify_after{30 * 86400};
  Seconds remember_device_for{30 * 86400};
  Seconds guest_expiry{90 * 86400};
  Seconds anyone_link_max_lifetime{30 * 86400};  // 0 = no maximum
  Seconds specific_link_default_lifetime{0};     // 0 = no expiry unless one is given
  Seconds specific_link_max_lifetime{0};         // 0 = no maximum
  ExternalSharing external_sharing = ExternalSharing::kNewAndExistingGuests;
  LinkKind default_link_kind = LinkKind::kSpecific;
  Role default_link_role = Role::kView;
  int code_length = 8;
  int code_max_tries = 5;
  int code_sends_per_address_per_hour = 5;
  int code_sends_per_link_per_hour = 20;
  bool email_code_enabled = true;
  bool promote_verified_to_guest = false;
  bool require_account_match = true;
  bool anyone_link_require_password = false;
};

// Every key of SPEC §3, and organization_name and organization_contact.
nlohmann::json to_json(const Policy& policy);
// `base` with the keys of `patch` applied, all or nothing. An unknown key, a wrong type or a bad
// value is kInvalidArgument naming the key (as the error's field) with an example of a valid
// value.
Result<Policy> apply_patch(const Policy& base, const nlohmann::json& patch);

// The keys a space may set, each only to something stricter than the organization's value:
// external_sharing (a stricter level), blocked_domains (added to the organization's),
// email_code_enabled (off), reverify_after, anyone_link_max_lifetime and
// specific_link_max_lifetime (shorter), anyone_link_require_password (on).
struct SpacePolicy {
  std::optional<ExternalSharing> external_sharing;
  std::vector<std::string> blocked_domains;
  std::optional<bool> email_code_enabled;
  std::optional<Policy::Seconds> reverify_after;
  std::optional<Policy::Seconds> anyone_link_max_lifetime;
  std::optional<bool> anyone_link_require_password;
  std::optional<Policy::Seconds> specific_link_max_lifetime;
};

nlohmann::json to_json(const SpacePolicy& policy);
// `base` with `patch` applied (a key set to null removes the space's override). A key that is
// not one a space may set, or a value looser than the organization's `org`, is kInvalidArgument.
Result<SpacePolicy> apply_space_patch(const SpacePolicy& base, const nlohmann::json& patch,
                                      const Policy& org);
// The policy in force inside a space: for each key the stricter of the two.
Policy effective_policy(const Policy& org, const SpacePolicy& space);

// Parsing of stored forms (written by to_json); an unreadable stored value falls back to the
// defaults for the keys it cannot read.
Policy policy_from_stored(const std::string& text);
SpacePolicy space_policy_from_stored(const std::string& text);

// Whether `domain` is `listed` or a subdomain of it.
bool domain_matches(const std::string& domain, const std::string& listed);
bool domain_in(const std::string& domain, const std::vector<std::string>& list);

// The domain part of a normalized address.
std::string domain_of(const std::string& address);

// Where the policy lets an external address (not a member's) be shared with or reach what was
// shared: nullopt when allowed, else the rule that refuses it and a message.
struct PolicyRefusal {
  std::string rule;
  std::string message;
};
std::optional<PolicyRefusal> external_address_refusal(const Policy& policy,
                                                      const std::string& address, bool is_guest);
// The longest a link of `kind` may last from its creation under `policy` (0: no maximum).
Policy::Seconds max_link_lifetime(const Policy& policy, LinkKind kind);

// Whether the policy lets a new link of `kind` be created: nullopt when allowed, else the rule
// that refuses it (only anyone links can be refused: external_sharing below anyone) and a message.
std::optional<PolicyRefusal> link_kind_refusal(const Policy& policy, LinkKind kind);

// When a guest's access ends under `policy`: its last sign-in (last_sign_in()) plus
// guest_expiry; none when guest_expiry is 0 (never) or the identity is not a guest.
std::optional<TimePoint> guest_expires_at(const ExternalIdentity& identity, const Policy& policy);
// Whether a guest's access has ended at `now` (so it is refused, and the sweep deletes it).
bool guest_expired(const ExternalIdentity& identity, const Policy& policy, TimePoint now);

}  // namespace vestibule::domain
