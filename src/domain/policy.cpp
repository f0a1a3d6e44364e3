#include "domain/policy.hpp"

#include "util/duration.hpp"
#include "util/email.hpp"
#include "util/names.hpp"
#include "util/time_horizon.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>

namespace vestibule::domain {

namespace {

using Json = nlohmann::json;
using Seconds = Policy::Seconds;

constexpr std::array kLevels = {ExternalSharing::kInternalOnly, ExternalSharing::kExistingGuests,
                                ExternalSharing::kNewAndExistingGuests, ExternalSharing::kAnyone};

Error bad(const std::string& key, const std::string& what, const std::string& example) {
  return make_error(Errc::kInvalidArgument,
                    "setting '" + key + "': " + what + " (for example: " + example + ")", key);
}

Result<bool> read_bool(const std::string& key, const Json& v) {
  if (!v.is_boolean()) {
    return fail(bad(key, "must be true or false", "\"" + key + "\": true"));
  }
  return v.get<bool>();
}

Result<int> read_int(const std::string& key, const Json& v, int low, int high) {
  const std::string example = "\"" + key + "\": " + std::to_string(low);
  if (!v.is_number_integer()) {
    return fail(bad(key, "must be a whole number", example));
  }
  const auto n = v.get<std::int64_t>();
  if (n < low || n > high) {
    return fail(bad(key,
                    "must be between " + std::to_string(low) + " and " + std::to_string(high) +
                        ", not " + std::to_string(n),
                    example));
  }
  return static_cast<int>(n);
}

Result<Seconds> read_duration(const std::string& key, const Json& v, const std::string& example) {
  const std::string shown = "\"" + key + "\": \"" + example + "\"";
  if (!v.is_string()) {
    return fail(bad(key, "must be a duration string like 90s, 10m, 12h or 30d, or \"0\"", shown));
  }
  auto parsed = util::parse_duration(v.get<std::string>());
  if (!parsed) {
    return fail(bad(key, parsed.error().message, shown));
  }
  return parsed.value();
}

Result<std::vector<std::string>> read_domains(const std::string& key, const Json& v) {
  const std::string example = "\"" + key + R"(": ["example.org"])";
  if (!v.is_array()) {
    return fail(bad(key, "must be a list of domain names", example));
  }
  std::vector<std::string> out;
  for (const auto& entry : v) {
    if (!entry.is_string()) {
      return fail(bad(key, "every entry must be a domain name string", example));
    }
    std::string text = entry.get<std::string>();
    const auto first = text.find_first_not_of(" \t");
    const auto last = text.find_last_not_of(" \t");
    text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
    if (!text.empty() && text.front() == '@') {
      text.erase(0, 1);  // "@example.org" is a common way to write a domain
    }
    const bool shape_ok = !text.empty() && text.size() <= 253 &&
                          text.find('.') != std::string::npos && text.front() != '.' &&
                          text.back() != '.' && text.find("..") == std::string::npos &&
                          text.find_first_of(" @/\\,;") == std::string::npos;
    if (!shape_ok) {
      return fail(bad(key, "'" + text + "' is not a domain name", example));
    }
    auto ascii = util::domain_to_ascii(text, key);
    if (!ascii) {
      return fail(bad(key, ascii.error().message, example));
    }
    if (std::find(out.begin(), out.end(), ascii.value()) == out.end()) {
      out.push_back(ascii.value());
    }
  }
  return out;
}

// Free text shown to recipients: valid UTF-8, at most `max` characters, no control characters
// (C0, DEL, C1 and the line and paragraph separators), so it is one plain line wherever it is
// shown.
Result<std::string> read_text(const std::string& key, const Json& v, std::size_t max,
                              const std::string& example) {
  const std::string shown = "\"" + key + "\": \"" + example + "\"";
  if (!v.is_string()) {
    return fail(bad(key, "must be a string (\"\" for none)", shown));
  }
  const std::string text = v.get<std::string>();
  if (!util::is_valid_utf8(text)) {
    return fail(bad(key, "must be valid UTF-8 text", shown));
  }
  std::size_t characters = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    std::uint32_t cp = length == 1   ? lead
                       : length == 2 ? lead & 0x1Fu
                       : length == 3 ? lead & 0x0Fu
                                     : lead & 0x07u;
    for (std::size_t k = 1; k < length; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      return fail(
          bad(key, "must not contain control characters such as line breaks or tabs", shown));
    }
    ++characters;
    i += length;
  }
  if (characters > max) {
    return fail(bad(key,
                    "can have at most " + std::to_string(max) + " characters, not " +
                        std::to_string(characters),
                    shown));
  }
  return text;
}

std::optional<ExternalSharing> level_from_string(std::string_view text) {
  for (auto level : kLevels) {
    if (text == to_string(level)) {
      return level;
    }
  }
  return std::nullopt;
}

Result<ExternalSharing> read_level(const std::string& key, const Json& v) {
  if (v.is_string()) {
    if (auto level = level_from_string(v.get<std::string>())) {
      return *level;
    }
  }
  return fail(bad(key,
                  "must be one of anyone, new_and_existing_guests, existing_guests, "
                  "internal_only",
                  "\"" + key + R"(": "new_and_existing_guests")"));
}

// A maximum lifetime where 0 means "none": the stricter of two is the shorter non-zero one.
Seconds stricter_maximum(Seconds a, Seconds b) {
  if (a.count() == 0) {
    return b;
  }
  if (b.count() == 0) {
    return a;
  }
  return std::min(a, b);
}

using Setter = std::function<Result<void>(Policy&, const Json&)>;

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = [] {
    std::map<std::string, Setter> m;
    const auto duration = [&m](const char* key, Seconds Policy::*member, const char* example) {
      m[key] = [key, member, example](Policy& p, const Json& v) -> Result<void> {
        VST_TRY(d, read_duration(key, v, example));
        p.*member = d;
        return outcome::success();
      };
    };
    const auto boolean = [&m](const char* key, bool Policy::*member) {
      m[key] = [key, member](Policy& p, const Json& v) -> Result<void> {
        VST_TRY(b, read_bool(key, v));
        p.*member = b;
        return outcome::success();
      };
    };
    const auto count = [&m](const char* key, int Policy::*member, int low, int high) {
      m[key] = [key, member, low, high](Policy& p, const Json& v) -> Result<void> {
        VST_TRY(n, read_int(key, v, low, high));
        p.*member = n;
        return outcome::success();
      };
    };
    const auto domains = [&m](const char* key, std::vector<std::string> Policy::*member) {
      m[key] = [key, member](Policy& p, const Json& v) -> Result<void> {
        VST_TRY(list, read_domains(key, v));
        p.*member = std::move(list);
        return outcome::success();
      };
    };
    m["external_sharing"] = [](Policy& p, const Json& v) -> Result<void> {
      VST_TRY(level, read_level("external_sharing", v));
      p.external_sharing = level;
      return outcome::success();
    };
    domains("internal_domains", &Policy::internal_domains);
    domains("allowed_domains", &Policy::allowed_domains);
    domains("blocked_domains", &Policy::blocked_domains);
    boolean("email_code_enabled", &Policy::email_code_enabled);
    count("code_length", &Policy::code_length, 6, 10);
    duration("code_lifetime", &Policy::code_lifetime, "10m");
    count("code_max_tries", &Policy::code_max_tries, 1, 10);
    count("code_sends_per_address_per_hour", &Policy::code_sends_per_address_per_hour, 1, 100);
    count("code_sends_per_link_per_hour", &Policy::code_sends_per_link_per_hour, 1, 1000);
    duration("reverify_after", &Policy::reverify_after, "30d");
    duration("remember_device_for", &Policy::remember_device_for, "30d");
    boolean("promote_verified_to_guest", &Policy::promote_verified_to_guest);
    duration("guest_expiry", &Policy::guest_expiry, "90d");
    boolean("require_account_match", &Policy::require_account_match);
    m["default_link_kind"] = [](Policy& p, const Json& v) -> Result<void> {
      const auto kind = v.is_string() ? link_kind_from_string(v.get<std::string>()) : std::nullopt;
      if (!kind) {
        return fail(bad("default_link_kind",
                        "must be one of anyone, organization, specific, existing",
                        R"("default_link_kind": "specific")"));
      }
      p.default_link_kind = *kind;
      return outcome::success();
    };
    m["default_link_role"] = [](Policy& p, const Json& v) -> Result<void> {
      const auto role = v.is_string() ? role_from_string(v.get<std::string>()) : std::nullopt;
      if (!role || *role == Role::kManage) {
        return fail(
            bad("default_link_role", "must be view or edit", R"("default_link_role": "view")"));
      }
      p.default_link_role = *role;
      return outcome::success();
    };
    duration("anyone_link_max_lifetime", &Policy::anyone_link_max_lifetime, "30d");
    boolean("anyone_link_require_password", &Policy::anyone_link_require_password);
    duration("specific_link_default_lifetime", &Policy::specific_link_default_lifetime, "90d");
    duration("specific_link_max_lifetime", &Policy::specific_link_max_lifetime, "365d");
    m["organization_name"] = [](Policy& p, const Json& v) -> Result<void> {
      VST_TRY(text,
              read_text("organization_name", v, Policy::kMaxOrganizationName, "Example Corp"));
      p.organization_name = std::move(text);
      return outcome::success();
    };
    m["organization_contact"] = [](Policy& p, const Json& v) -> Result<void> {
      VST_TRY(text, read_text("organization_contact", v, Policy::kMaxOrganizationContact,
                              "IT help desk, it-help@example.org"));
      p.organization_contact = std::move(text);
      return outcome::success();
    };
    return m;
  }();
  return table;
}

std::string known_keys() {
  std::string out;
  for (const auto& [key, setter] : setters()) {
    out += out.empty() ? key : ", " + key;
  }
  return out;
}

// Rules that tie several keys together, checked after a patch is applied.
Result<void> check_consistency(const Policy& p) {
  if (!p.allowed_domains.empty() && !p.blocked_domains.empty()) {
    return fail(bad("allowed_domains",
                    "use either allowed_domains or blocked_domains, not both; clear one with []",
                    "\"blocked_domains\": []"));
  }
  if (p.code_lifetime.count() < 60 || p.code_lifetime.count() > 86400) {
    return fail(bad("code_lifetime", "must be between 1m and 1d", R"("code_lifetime": "10m")"));
  }
  if (p.remember_device_for > p.reverify_after) {
    return fail(bad(
        "remember_device_for",
        "cannot be longer than reverify_after (" + util::format_duration(p.reverify_after) + ")",
        R"("remember_device_for": ")" + util::format_duration(p.reverify_after) + "\""));
  }
  if (p.specific_link_max_lifetime.count() > 0 &&
      (p.specific_link_default_lifetime.count() == 0 ||
       p.specific_link_default_lifetime > p.specific_link_max_lifetime)) {
    if (p.specific_link_default_lifetime.count() != 0) {
      return fail(bad("specific_link_default_lifetime",
                      "cannot be longer than specific_link_max_lifetime (" +
                          util::format_duration(p.specific_link_max_lifetime) + ")",
                      R"("specific_link_default_lifetime": ")" +
                          util::format_duration(p.specific_link_max_lifetime) + "\""));
    }
  }
  return outcome::success();
}

}  // namespace

std::string_view to_string(ExternalSharing level) {
  switch (level) {
    case ExternalSharing::kInternalOnly:
      return "internal_only";
    case ExternalSharing::kExistingGuests:
      return "existing_guests";
    case ExternalSharing::kNewAndExistingGuests:
      return "new_and_existing_guests";
    case ExternalSharing::kAnyone:
      return "anyone";
  }
  return "internal_only";
}

Json to_json(const Policy& p) {
  const auto d = [](Seconds s) { return util::format_duration(s); };
  return Json{
      {"external_sharing", to_string(p.external_sharing)},
      {"internal_domains", p.internal_domains},
      {"allowed_domains", p.allowed_domains},
      {"blocked_domains", p.blocked_domains},
      {"email_code_enabled", p.email_code_enabled},
      {"code_length", p.code_length},
      {"code_lifetime", d(p.code_lifetime)},
      {"code_max_tries", p.code_max_tries},
      {"code_sends_per_address_per_hour", p.code_sends_per_address_per_hour},
      {"code_sends_per_link_per_hour", p.code_sends_per_link_per_hour},
      {"reverify_after", d(p.reverify_after)},
      {"remember_device_for", d(p.remember_device_for)},
      {"promote_verified_to_guest", p.promote_verified_to_guest},
      {"guest_expiry", d(p.guest_expiry)},
      {"require_account_match", p.require_account_match},
      {"default_link_kind", to_string(p.default_link_kind)},
      {"default_link_role", to_string(p.default_link_role)},
      {"anyone_link_max_lifetime", d(p.anyone_link_max_lifetime)},
      {"anyone_link_require_password", p.anyone_link_require_password},
      {"specific_link_default_lifetime", d(p.specific_link_default_lifetime)},
      {"specific_link_max_lifetime", d(p.specific_link_max_lifetime)},
      {"organization_name", p.organization_name},
      {"organization_contact", p.organization_contact},
  };
}

Result<Policy> apply_patch(const Policy& base, const Json& patch) {
  if (!patch.is_object()) {
    return fail(Errc::kInvalidArgument,
                "settings must be a JSON object of keys to change, like {\"reverify_after\": "
                "\"7d\"}");
  }
  Policy p = base;
  for (const auto& [key, value] : patch.items()) {
    const auto found = setters().find(key);
    if (found == setters().end()) {
      return fail(Errc::kInvalidArgument,
                  "unknown setting '" + key + "'; the settings are: " + known_keys() +
                      R"( (for example: {"reverify_after": "30d"}))",
                  key);
    }
    VST_TRYV(found->second(p, value));
  }
  VST_TRYV(check_consistency(p));
  return p;
}

Json to_json(const SpacePolicy& s) {
  Json out = Json::object();
  if (s.external_sharing) {
    out["external_sharing"] = to_string(*s.external_sharing);
  }
  if (!s.blocked_domains.empty()) {
    out["blocked_domains"] = s.blocked_domains;
  }
  if (s.email_code_enabled) {
    out["email_code_enabled"] = *s.email_code_enabled;
  }
  const auto d = [&out](const char* key, const std::optional<Seconds>& v) {
    if (v) {
      out[key] = util::format_duration(*v);
    }
  };
  d("reverify_after", s.reverify_after);
  d("anyone_link_max_lifetime", s.anyone_link_max_lifetime);
  if (s.anyone_link_require_password) {
    out["anyone_link_require_password"] = *s.anyone_link_require_password;
  }
  d("specific_link_max_lifetime", s.specific_link_max_lifetime);
  return out;
}

Result<SpacePolicy> apply_space_patch(const SpacePolicy& base, const Json& patch,
                                      const Policy& org) {
  if (!patch.is_object()) {
    return fail(Errc::kInvalidArgument,
                "space settings must be a JSON object, like {\"external_sharing\": "
                "\"internal_only\"}");
  }
  SpacePolicy s = base;
  const auto looser = [](const std::string& key, const std::string& org_value,
                         const std::string& example) {
    return fail(bad(
        key, "a space can only tighten the organization's policy, which is " + org_value, example));
  };
  for (const auto& [key, v] : patch.items()) {
    if (key == "external_sharing") {
      if (v.is_null()) {
        s.external_sharing.reset();
        continue;
      }
      VST_TRY(level, read_level(key, v));
      if (level > org.external_sharing) {
        return looser(key, std::string(to_string(org.external_sharing)),
                      R"("external_sharing": "internal_only")");
      }
      s.external_sharing = level;
    } else if (key == "blocked_domains") {
      if (v.is_null()) {
        s.blocked_domains.clear();
        continue;
      }
      VST_TRY(list, read_domains(key, v));
      s.blocked_domains = std::move(list);
    } else if (key == "email_code_enabled") {
      if (v.is_null()) {
        s.email_code_enabled.reset();
        continue;
      }
      VST_TRY(on, read_bool(key, v));
      if (on && !org.email_code_enabled) {
        return looser(key, "off", "\"email_code_enabled\": false");
      }
      s.email_code_enabled = on;
    } else if (key == "anyone_link_require_password") {
      if (v.is_null()) {
        s.anyone_link_require_password.reset();
        continue;
      }
      VST_TRY(on, read_bool(key, v));
      if (!on && org.anyone_link_require_password) {
        return looser(key, "on", "\"anyone_link_require_password\": true");
      }
      s.anyone_link_require_password = on;
    } else if (key == "reverify_after" || key == "anyone_link_max_lifetime" ||
               key == "specific_link_max_lifetime") {
      auto& target = key == "reverify_after"             ? s.reverify_after
                     : key == "anyone_link_max_lifetime" ? s.anyone_link_max_lifetime
                                                         : s.specific_link_max_lifetime;
      if (v.is_null()) {
        target.reset();
        continue;
      }
      VST_TRY(d, read_duration(key, v, "7d"));
      const Seconds org_value = key == "reverify_after" ? org.reverify_after
                                : key == "anyone_link_max_lifetime"
                                    ? org.anyone_link_max_lifetime
                                    : org.specific_link_max_lifetime;
      // reverify_after 0 is the strictest (a code for every session); a maximum of 0 is none.
      const bool tighter = key == "reverify_after"
                               ? d <= org_value
                               : d.count() != 0 && (org_value.count() == 0 || d <= org_value);
      if (!tighter) {
        return looser(key, util::format_duration(org_value), "\"" + key + R"(": "7d")");
      }
      target = d;
    } else {
      return fail(Errc::kInvalidArgument,
                  "'" + key +
                      "' cannot be set for a space; a space may set external_sharing, "
                      "blocked_domains, email_code_enabled, reverify_after, "
                      "anyone_link_max_lifetime, anyone_link_require_password and "
                      "specific_link_max_lifetime",
                  key);
    }
  }
  return s;
}

Policy effective_policy(const Policy& org, const SpacePolicy& space) {
  Policy p = org;
  if (space.external_sharing) {
    p.external_sharing = std::min(p.external_sharing, *space.external_sharing);
  }
  for (const auto& d : space.blocked_domains) {
    if (std::find(p.blocked_domains.begin(), p.blocked_domains.end(), d) ==
        p.blocked_domains.end()) {
      p.blocked_domains.push_back(d);
    }
  }
  if (space.email_code_enabled) {
    p.email_code_enabled = p.email_code_enabled && *space.email_code_enabled;
  }
  if (space.reverify_after) {
    p.reverify_after = std::min(p.reverify_after, *space.reverify_after);
    p.remember_device_for = std::min(p.remember_device_for, p.reverify_after);
  }
  if (space.anyone_link_max_lifetime) {
    p.anyone_link_max_lifetime =
        stricter_maximum(p.anyone_link_max_lifetime, *space.anyone_link_max_lifetime);
  }
  if (space.anyone_link_require_password) {
    p.anyone_link_require_password =
        p.anyone_link_require_password || *space.anyone_link_require_password;
  }
  if (space.specific_link_max_lifetime) {
    p.specific_link_max_lifetime =
        stricter_maximum(p.specific_link_max_lifetime, *space.specific_link_max_lifetime);
  }
  return p;
}

Policy policy_from_stored(const std::string& text) {
  Policy p;
  const Json stored = Json::parse(text, nullptr, false);
  if (!stored.is_object()) {
    return p;
  }
  for (const auto& [key, value] : stored.items()) {
    const auto found = setters().find(key);
    if (found != setters().end()) {
      Policy candidate = p;
      if (found->second(candidate, value)) {
        p = std::move(candidate);
      }
    }
  }
  return p;
}

SpacePolicy space_policy_from_stored(const std::string& text) {
  const Json stored = Json::parse(text, nullptr, false);
  if (!stored.is_object()) {
    return {};
  }
  // Stored overrides were validated when written; read them against the loosest organization
  // policy so that a later stricter organization setting does not make them unreadable.
  Policy loosest;
  loosest.external_sharing = ExternalSharing::kAnyone;
  loosest.reverify_after = Seconds{10LL * 365 * 86400};
  loosest.anyone_link_max_lifetime = Seconds{0};
  loosest.specific_link_max_lifetime = Seconds{0};
  auto parsed = apply_space_patch(SpacePolicy{}, stored, loosest);
  return parsed ? parsed.value() : SpacePolicy{};
}

bool domain_matches(const std::string& domain, const std::string& listed) {
  if (domain == listed) {
    return true;
  }
  return domain.size() > listed.size() &&
         domain.compare(domain.size() - listed.size(), listed.size(), listed) == 0 &&
         domain[domain.size() - listed.size() - 1] == '.';
}

bool domain_in(const std::string& domain, const std::vector<std::string>& list) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& listed) { return domain_matches(domain, listed); });
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : address.substr(at + 1);
}

std::optional<PolicyRefusal> external_address_refusal(const Policy& policy,
                                                      const std::string& address, bool is_guest) {
  const std::string domain = domain_of(address);
  if (policy.external_sharing == ExternalSharing::kInternalOnly) {
    return PolicyRefusal{"external_sharing",
                         "the organization does not allow sharing outside (external_sharing is "
                         "internal_only)"};
  }
  if (!is_guest && policy.external_sharing == ExternalSharing::kExistingGuests) {
    return PolicyRefusal{"external_sharing",
                         "only existing guests can receive shares (external_sharing is "
                         "existing_guests); ask an admin to add this person as a guest"};
  }
  if (!is_guest && !policy.email_code_enabled) {
    return PolicyRefusal{"email_code_enabled",
                         "the email-code method is off, so only members and guests can receive "
                         "shares"};
  }
  if (domain_in(domain, policy.blocked_domains)) {
    return PolicyRefusal{"blocked_domains", "the domain " + domain + " is blocked for sharing"};
  }
  if (!policy.allowed_domains.empty() && !domain_in(domain, policy.allowed_domains)) {
    return PolicyRefusal{"allowed_domains",
                         "the domain " + domain + " is not among the domains allowed for sharing"};
  }
  return std::nullopt;
}

Policy::Seconds max_link_lifetime(const Policy& policy, LinkKind kind) {
  switch (kind) {
    case LinkKind::kAnyone:
      return policy.anyone_link_max_lifetime;
    case LinkKind::kSpecific:
      return policy.specific_link_max_lifetime;
    case LinkKind::kOrganization:
    case LinkKind::kExisting:
      break;
  }
  return Policy::Seconds{0};
}

std::optional<PolicyRefusal> link_kind_refusal(const Policy& policy, LinkKind kind) {
  if (kind == LinkKind::kAnyone && policy.external_sharing != ExternalSharing::kAnyone) {
    return PolicyRefusal{"external_sharing",
                         "the organization does not allow links that work for anyone "
                         "(external_sharing is " +
                             std::string(to_string(policy.external_sharing)) + ")"};
  }
  return std::nullopt;
}

std::optional<TimePoint> guest_expires_at(const ExternalIdentity& identity, const Policy& policy) {
  if (identity.state != IdentityState::kGuest || policy.guest_expiry.count() == 0) {
    return std::nullopt;
  }
  const auto since = last_sign_in(identity).value_or(identity.created_at);
  return since + policy.guest_expiry;
}

bool guest_expired(const ExternalIdentity& identity, const Policy& policy, TimePoint now) {
  const auto until = guest_expires_at(identity, policy);
  return until && util::has_come(*until, now);
}

}  // namespace vestibule::domain
