// What every API handler needs: the domain services, and the request-level steps shared by all
// routes (who is calling, the same-origin check, JSON parsing, JSON views of model types).
// Handlers follow four steps: parse → authorize (inside the domain call) → domain call → map.
#pragma once

#include "api/input.hpp"
#include "domain/authz.hpp"
#include "domain/files.hpp"
#include "domain/members.hpp"
#include "domain/sharing.hpp"
#include "domain/spaces.hpp"
#include "domain/verification.hpp"
#include "http/message.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace vestibule::api {

// The [server]/[http]/[storage] settings the API reads.
struct ApiOptions {
  std::string public_url;       // e.g. http://127.0.0.1:8080
  bool secure_cookies = false;  // public URL is https
  std::size_t max_json_body = std::size_t{1024} * 1024;
  std::size_t max_upload_bytes = std::size_t{10} << 30;
  bool test_clock = false;  // POST /api/v1/dev/clock is available
  std::string web_dir;      // [http] web_dir: serve the web app from this folder, not the binary
};

// Readiness probe: true when storage answers.
using ReadinessCheck = std::function<bool()>;
// The development mailbox's messages, newest first, as JSON objects {to, subject, text, html,
// kind, sent_at}; empty when an SMTP relay is configured.
using DevMailList = std::function<nlohmann::json()>;

struct Services {
  domain::Members& members;
  domain::Files& files;
  domain::Spaces& spaces;
  domain::Sharing& sharing;
  domain::Authorizer& authz;
  domain::Verification& verification;
  const util::Clock& clock;
  util::ManualClock* manual_clock;  // set only with --test-clock
  ReadinessCheck ready;
  ApiOptions options;
  DevMailList dev_mail;
};

// The cookie's name: `__Host-` prefixed under https, as SPEC §7 asks.
std::string session_cookie_name(const ApiOptions& options);
// The cookie of an external recipient's verified session (same prefix rule).
std::string recipient_cookie_name(const ApiOptions& options);
// The cookie that binds verification codes to the browser that asked for them.
std::string browser_cookie_name(const ApiOptions& options);
// Where the browser cookie is sent: every route that asks for or confirms a code, a link's
// (/api/v1/shares/{token}/verification…) and sign-in's (/api/v1/session/code…).
inline constexpr std::string_view kBrowserCookiePath = "/api/v1";
// The proof of an anyone link's password, scoped by its path to that link's API.
std::string link_cookie_name(const ApiOptions& options);
// A Set-Cookie value: `name=value; Path=path; HttpOnly; SameSite=Lax`, with `Max-Age` when given
// (0 clears the cookie) and `Secure` whenever the public URL is https.
std::string cookie_header(const ApiOptions& options, std::string_view name, std::string_view value,
                          std::string_view path,
                          std::optional<std::chrono::seconds> max_age = std::nullopt);

// The token that binds codes to this browser: its browser cookie's, or a new random one that the
// answer must set (`fresh`, with browser_cookie()).
struct BrowserBinding {
  std::string token;
  bool fresh = false;
};
BrowserBinding browser_binding(const Services& services, const http::Request& req);
// The Set-Cookie value keeping `binding` in the browser for a year (Path=kBrowserCookiePath).
std::string browser_cookie(const ApiOptions& options, const BrowserBinding& binding);
// "ada@example.org" -> "a**@example.org": enough to recognize, not to read it off a screen.
std::string mask_address(const std::string& typed);
// The 202 of a code request, a link's or sign-in's: nothing in it depends on the address but its
// mask, so invited and other addresses get the same bytes; the browser cookie when it is new.
http::Response code_requested(const ApiOptions& options, const std::string& email,
                              const domain::CodeRequested& requested, std::string_view message,
                              const BrowserBinding& binding);

// The 200 of a confirmed code (a link's, sign-in's, a one-time link's): `body`, and the new
// recipient session's cookie; the recipient session the browser had before is ended, so every
// verification gives a new session id.
http::Response recipient_signed_in(Services& services, const http::Request& req,
                                   const domain::VerifiedSession& verified,
                                   const nlohmann::json& body);

// kForbidden when a browser sent a state-changing request from another site (Origin or
// Sec-Fetch-Site); requests without those headers come from non-browser clients and pass.
Result<void> check_same_origin(const Services& services, const http::Request& req);

// The signed-in caller, or kUnauthenticated. For state-changing methods also refuses
// cross-origin browser requests (kForbidden).
Result<domain::Authenticated> authenticate(const Services& services, const http::Request& req);
domain::Principal principal_of(const domain::Authenticated& who);
// The signed-in caller when the request carries a valid session, else an anonymous principal
// (for routes that also serve people without an account: the recipient side of links).
domain::Principal caller(const Services& services, const http::Request& req);

std::string format_time(util::TimePoint t);

nlohmann::json to_json(const domain::User& user);
nlohmann::json to_json(const domain::Item& item);
nlohmann::json to_json(const domain::FileVersion& version);
nlohmann::json to_json(const domain::Space& space, domain::SpaceRole role);
nlohmann::json to_json(const domain::SpaceMember& member);

// Cache-Control: no-store on everything that depends on who asks.
http::Response private_json(unsigned status, const nlohmann::json& body);

}  // namespace vestibule::api
