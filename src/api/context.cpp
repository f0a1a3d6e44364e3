#include "api/context.hpp"

#include "api/errors.hpp"
#include "domain/audit_events.hpp"
#include "util/crypto.hpp"
#include "util/duration.hpp"
#include "util/email.hpp"
#include "util/rfc3339.hpp"

#include <algorithm>
#include <ctime>

namespace vestibule::api {

namespace {

bool is_state_changing(http::bhttp::verb method) {
  using http::bhttp::verb;
  return method != verb::get && method != verb::head && method != verb::options;
}

// The origin ("scheme://host[:port]") of a URL, lower-cased.
std::string origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  const auto host_end = url.find('/', scheme_end + 3);
  std::string origin(url.substr(0, host_end));
  for (auto& c : origin) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return origin;
}

}  // namespace

namespace {

// The API token of a request with a bearer token, checked against the call.
Result<domain::Authenticated> authenticate_bearer(const Services& services,
                                                  const http::Request& req) {
  const auto header = bearer_token(req).value_or(std::string_view{});
  VST_TRY(who, services.tokens.authenticate(header));
  const auto scope = who.token->scope;
  if (scope == domain::TokenScope::kRead && is_state_changing(req.method)) {
    return fail(Errc::kForbidden,
                "this API token has the read scope, which allows only GET and HEAD; this call "
                "needs a token with the write scope");
  }
  if (req.path.starts_with("/api/v1/admin/")) {
    // Administration needs the admin scope; the authorization point decides, knowing the scope.
    VST_TRYV(services.authz.authorize_admin(principal_of(who)));
  }
  return who;
}

}  // namespace

std::optional<std::string_view> bearer_token(const http::Request& req) {
  return bearer_credentials(req.header("Authorization"));
}

Result<domain::Principal> caller(const Services& services, const http::Request& req) {
  if (bearer_token(req)) {
    VST_TRY(who, authenticate_bearer(services, req));
    return principal_of(who);
  }
  const auto token = cookie_value(req.header("Cookie"), session_cookie_name(services.options));
  if (!token.empty()) {
    if (auto who = services.members.authenticate(token)) {
      return principal_of(who.value());
    }
  }
  const auto recipient =
      cookie_value(req.header("Cookie"), recipient_cookie_name(services.options));
  if (!recipient.empty()) {
    if (auto who = services.verification.authenticate(recipient)) {
      return std::move(who).value();
    }
  }
  return domain::Principal{};
}

std::string_view recipient_cookie_name(const ApiOptions& options) {
  return options.secure_cookies ? "__Host-vestibule_recipient" : "vestibule_recipient";
}

std::string_view browser_cookie_name(const ApiOptions& options) {
  return options.secure_cookies ? "__Secure-vestibule_browser" : "vestibule_browser";
}

std::string_view link_cookie_name(const ApiOptions& options) {
  return options.secure_cookies ? "__Secure-vestibule_link" : "vestibule_link";
}

std::string cookie_header(const ApiOptions& options, std::string_view name, std::string_view value,
                          std::string_view path, std::optional<std::chrono::seconds> max_age) {
  std::string cookie;
  cookie.append(name).append("=").append(value).append("; Path=").append(path);
  cookie.append("; HttpOnly; SameSite=Lax");
  if (max_age) {
    cookie.append("; Max-Age=").append(std::to_string(max_age->count()));
  }
  if (options.secure_cookies) {
    cookie.append("; Secure");
  }
  return cookie;
}

BrowserBinding browser_binding(const Services& services, const http::Request& req) {
  BrowserBinding binding{cookie_value_of(req, browser_cookie_name(services.options)), false};
  if (binding.token.size() != 43) {  // 32 random bytes, base64url
    binding = {util::random_token(32), true};
  }
  return binding;
}

std::string browser_cookie(const ApiOptions& options, const BrowserBinding& binding) {
  return cookie_header(options, browser_cookie_name(options), binding.token, kBrowserCookiePath,
                       std::chrono::seconds{365 * 86400});
}

std::string mask_address(const std::string& typed) {
  auto address = util::normalize_email(typed, "email");
  const std::string a = address ? address.value() : typed;
  const auto at = a.rfind('@');
  if (at == std::string::npos || at == 0) {
    return "***";
  }
  return a.substr(0, 1) + std::string(std::min<std::size_t>(at - 1, 8), '*') + a.substr(at);
}

http::Response code_requested(const ApiOptions& options, const std::string& email,
                              const domain::CodeRequested& requested, std::string_view message,
                              const BrowserBinding& binding) {
  auto response =
      private_json(202, {{"status", "accepted"},
                         {"message", message},
                         {"sent_to", mask_address(email)},
                         {"code_lifetime", util::format_duration(requested.code_lifetime)},
                         {"expires_at", format_time(requested.expires_at)},
                         {"code_length", requested.code_length},
                         {"resend_after_seconds", requested.resend_after.count()},
                         {"remember_device_seconds", requested.remember_device.count()}});
  if (binding.fresh) {
    response.set("Set-Cookie", browser_cookie(options, binding));
  }
  return response;
}

http::Response recipient_signed_in(Services& services, const http::Request& req,
                                   const domain::VerifiedSession& verified,
                                   const nlohmann::json& body) {
  if (const auto old = cookie_value_of(req, recipient_cookie_name(services.options));
      !old.empty()) {
    std::ignore = services.verification.sign_out(old);  // gone already is fine
  }
  auto response = private_json(200, body);
  response.set("Set-Cookie",
               cookie_header(services.options, recipient_cookie_name(services.options),
                             verified.token, "/", verified.max_age));
  return response;
}

std::string_view session_cookie_name(const ApiOptions& options) {
  return options.secure_cookies ? "__Host-vestibule_session" : "vestibule_session";
}

Result<void> check_same_origin(const Services& services, const http::Request& req) {
  if (!is_state_changing(req.method) || bearer_token(req)) {
    // A browser never adds a bearer token to a request another site makes (not without a CORS
    // preflight, which this server does not answer), and such requests are authenticated by
    // the token alone.
    return outcome::success();
  }
  // Browsers send Origin (and Sec-Fetch-Site) on every state-changing request; a request from
  // another site riding on the cookie is refused. Clients without these headers are not
  // browsers and cannot be driven by another site.
  const auto site = req.header("Sec-Fetch-Site");
  const bool cross_site = site == "cross-site" || site == "same-site";
  bool foreign_origin = false;
  if (const auto origin = req.header("Origin"); !origin.empty()) {
    const auto given = origin_of(origin);
    const std::string host(req.header("Host"));
    foreign_origin = given != origin_of(services.options.public_url) &&
                     given != origin_of("http://" + host) && given != origin_of("https://" + host);
  }
  if (cross_site || foreign_origin) {
    return fail(Errc::kForbidden, "this request came from another site; make it from " +
                                      services.options.public_url + " or use an API client");
  }
  return outcome::success();
}

Result<domain::Authenticated> authenticate(const Services& services, const http::Request& req) {
  if (bearer_token(req)) {
    return authenticate_bearer(services, req);
  }
  const auto token = cookie_value(req.header("Cookie"), session_cookie_name(services.options));
  if (token.empty()) {
    return fail(Errc::kUnauthenticated, "you are not signed in; sign in with POST /api/v1/session");
  }
  VST_TRYV(check_same_origin(services, req));
  return services.members.authenticate(token);
}

domain::AuditEntry audit_entry(std::string event, const domain::Principal& who, std::string target,
                               std::string target_address) {
  domain::AuditEntry entry;
  entry.event = std::move(event);
  domain::set_actor(entry, who);
  entry.target = std::move(target);
  entry.personal.target_address = std::move(target_address);
  return entry;
}

Result<domain::Principal> member_or_guest(const Services& services, const http::Request& req) {
  if (bearer_token(req) ||
      !cookie_value(req.header("Cookie"), session_cookie_name(services.options)).empty()) {
    VST_TRY(who, authenticate(services, req));
    return principal_of(who);
  }
  const auto recipient =
      cookie_value(req.header("Cookie"), recipient_cookie_name(services.options));
  if (!recipient.empty()) {
    VST_TRYV(check_same_origin(services, req));
    VST_TRY(who, services.verification.authenticate(recipient));
    if (who.identity_state == domain::IdentityState::kGuest) {
      return who;
    }
  }
  return fail(Errc::kUnauthenticated,
              "you are not signed in; sign in with POST /api/v1/session (members) or with a code "
              "sent to your address, POST /api/v1/session/code (guests)");
}

domain::Principal principal_of(const domain::Authenticated& who) {
  const bool admin_rights = who.user.role == domain::UserRole::kAdmin &&
                            (!who.token || who.token->scope == domain::TokenScope::kAdmin);
  auto p =
      domain::Principal::member(who.user.id, admin_rights, who.user.display_name, who.user.email);
  p.session_id = who.session.id;
  if (who.token) {
    p.token_scope = who.token->scope;
  }
  return p;
}

std::optional<std::int64_t> declared_body_size(const http::Request& req) {
  if (req.header("Content-Length").empty() || !req.header("Transfer-Encoding").empty()) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(req.content_length);
}

std::string format_time(util::TimePoint t) { return util::format_rfc3339(t); }

nlohmann::json to_json(const domain::User& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"display_name", user.display_name},
          {"kind", "member"},
          {"role", to_string(user.role)}};
}

nlohmann::json to_json(const domain::Item& item) {
  nlohmann::json j = {
      {"id", item.id},
      {"name", item.name},
      {"kind", to_string(item.kind)},
      {"parent_id", item.parent_id ? nlohmann::json(*item.parent_id) : nullptr},
      {"space_id", item.space_id},
      {"size", item.size},
      {"version", item.version},
      {"modified_at", format_time(item.modified_at)},
      {"modified_by", {{"id", item.modified_by}, {"display_name", item.modified_by_name}}}};
  if (item.trashed_at) {
    j["trashed_at"] = format_time(*item.trashed_at);
  }
  return j;
}

nlohmann::json to_json(const domain::FileVersion& version) {
  return {{"version", version.number},
          {"size", version.size},
          {"created_at", format_time(version.created_at)},
          {"created_by", {{"id", version.created_by}, {"display_name", version.created_by_name}}}};
}

nlohmann::json to_json(const domain::Space& space, domain::SpaceRole role) {
  return {{"id", space.id},
          {"name", space.name},
          {"kind", to_string(space.kind)},
          {"root_item_id", space.root_item_id},
          {"role", to_string(role)}};
}

nlohmann::json to_json(const domain::SpaceMember& member) {
  return {{"user_id", member.user_id},
          {"email", member.email},
          {"display_name", member.display_name},
          {"role", to_string(member.role)}};
}

http::Response private_json(unsigned status, const nlohmann::json& body) {
  auto response = http::Response::json(status, body);
  response.set("Cache-Control", "no-store");
  return response;
}

}  // namespace vestibule::api
