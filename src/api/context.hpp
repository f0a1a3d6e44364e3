// What every API handler needs: the domain services, and the request-level steps shared by all
// routes (who is calling, the same-origin check, JSON parsing, JSON views of model types).
// Handlers follow four steps: parse → authorize (inside the domain call) → domain call → map.
#pragma once

#include "api/input.hpp"
#include "domain/api_tokens.hpp"
#include "domain/audit.hpp"
#include "domain/authz.hpp"
#include "domain/directory.hpp"
#include "domain/files.hpp"
#include "domain/members.hpp"
#include "domain/sessions.hpp"
#include "domain/sharing.hpp"
#include "domain/spaces.hpp"
#include "domain/verification.hpp"
#include "http/message.hpp"
#include "util/clock.hpp"
#include "util/read_scope.hpp"

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

// Readiness probe: nullopt when the database and the blob store answer, else what does not (for
// the operator: it names the store and the cause).
using ReadinessCheck = std::function<std::optional<std::string>()>;
// The development mailbox's messages, newest first, as JSON objects {to, subject, text, html,
// kind, sent_at}; empty when an SMTP relay is configured.
using DevMailList = std::function<nlohmann::json()>;
// The stored state the current request reads (util::StateStamp), for answers that may be reused
// while it stays the same; empty or nullopt: nothing is reused.
using StateStampSource = std::function<std::optional<util::StateStamp>()>;

struct Services {
  domain::Members& members;
  domain::Files& files;
  domain::Spaces& spaces;
  domain::Sharing& sharing;
  domain::Authorizer& authz;
  domain::Verification& verification;
  domain::AuditLog& audit;
  domain::ExternalDirectory& directory;
  domain::ApiTokens& tokens;
  domain::Sessions& sessions;
  const util::Clock& clock;
  util::ManualClock* manual_clock;  // set only with --test-clock
  ReadinessCheck ready;
  ApiOptions options;
  DevMailList dev_mail;
  StateStampSource state_stamp;
};

// The cookie's name: `__Host-` prefixed under https, as SPEC §7 asks.
std::string_view session_cookie_name(const ApiOptions& options);
// The cookie of an external recipient's verified session (same prefix rule).
std::string_view recipient_cookie_name(const ApiOptions& options);
// The cookie that binds verification codes to the browser that asked for them.
std::string_view browser_cookie_name(const ApiOptions& options);
// Where the browser cookie is sent: every route that asks for or confirms a code, a link's
// (/api/v1/shares/{token}/verification…) and sign-in's (/api/v1/session/code…).
inline constexpr std::string_view kBrowserCookiePath = "/api/v1";
// The proof of an anyone link's password, scoped by its path to that link's API.
std::string_view link_cookie_name(const ApiOptions& options);
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
// Sec-Fetch-Site); requests without those headers come from non-browser clients and pass, and so
// do requests with a bearer token (no browser adds one to a request another site makes).
Result<void> check_same_origin(const Services& services, const http::Request& req);

// The value of `Authorization: Bearer <value>` (the scheme in any case), or nullopt when the
// request has no bearer header. A request with one is authenticated by it alone (an API token),
// never by its cookies; other schemes (a proxy's Basic credentials) are ignored.
std::optional<std::string_view> bearer_token(const http::Request& req);

// The signed-in member, or kUnauthenticated. This and caller() are the only places a request is
// authenticated: by `Authorization: Bearer <API token>` when the header is there (a malformed,
// unknown, revoked or expired token is kUnauthenticated; a call outside the token's scope
// kForbidden naming the scope it needs: `read` allows GET and HEAD, `write` everything outside
// /api/v1/admin), otherwise by the session cookie, refusing cross-origin browser requests for
// state-changing methods (kForbidden).
Result<domain::Authenticated> authenticate(const Services& services, const http::Request& req);
// The principal of a signed-in member: without admin rights when an API token without the admin
// scope is used, and with the token's scope and the session's id.
domain::Principal principal_of(const domain::Authenticated& who);
// A signed-in member, or a guest signed in with an email code (an external identity in state
// guest, within its guest_expiry), or kUnauthenticated; state-changing methods also pass the
// same-origin check. For the routes guests share with members: their spaces and the items in them.
Result<domain::Principal> member_or_guest(const Services& services, const http::Request& req);
// The caller for routes that also serve people without an account (the recipient side of
// links): a member by API token or session cookie, a recipient by their verified session's
// cookie, else anonymous. A bad bearer token is an error, as in authenticate().
Result<domain::Principal> caller(const Services& services, const http::Request& req);
// The body size the client declared in Content-Length; nullopt for a chunked body, whose size
// is known only once it has arrived.
std::optional<std::int64_t> declared_body_size(const http::Request& req);

std::string format_time(util::TimePoint t);

nlohmann::json to_json(const domain::User& user);
nlohmann::json to_json(const domain::Item& item);
nlohmann::json to_json(const domain::FileVersion& version);
nlohmann::json to_json(const domain::Space& space, domain::SpaceRole role);
nlohmann::json to_json(const domain::SpaceMember& member);

// An audit entry of `event` by `who` about `target` (e.g. "user:4"), with the address it concerns
// when there is one; client address and agent are the request's.
domain::AuditEntry audit_entry(std::string event, const domain::Principal& who,
                               std::string target = {}, std::string target_address = {});

// Cache-Control: no-store on everything that depends on who asks.
http::Response private_json(unsigned status, const nlohmann::json& body);

}  // namespace vestibule::api
