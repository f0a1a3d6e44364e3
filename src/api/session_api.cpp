// POST/DELETE /api/v1/session, sign-in by email code (POST /api/v1/session/code and …/confirm),
// GET /api/v1/me, POST /api/v1/me/password.
#include "api/routes.hpp"

namespace vestibule::api {

namespace {

std::string session_cookie(const Services& s, const std::string& token) {
  return cookie_header(s.options, session_cookie_name(s.options), token, "/");
}

std::string cleared_cookie(const Services& s, std::string_view name) {
  return cookie_header(s.options, name, "", "/", std::chrono::seconds{0});
}

// GET /api/v1/me's answer for a session signed in with a code: a guest (an identity promoted
// into the directory) or an external recipient.
nlohmann::json external_me(domain::Id external_id, const std::string& email,
                           domain::IdentityState state) {
  return {{"id", external_id},
          {"email", email},
          {"display_name", email},
          {"kind", state == domain::IdentityState::kGuest ? "guest" : "external"},
          {"role", nullptr}};
}

}  // namespace

void add_session_routes(http::Router& router, Services& s) {
  router.post("/api/v1/session", open_to_all([&s](http::Request& req) -> Result<http::Response> {
                VST_TRYV(check_same_origin(s, req));  // no signing a victim in from another site
                VST_TRY(body, parse_object(req));
                VST_TRY(email, required_string(body, "email"));
                VST_TRY(password, required_string(body, "password"));
                auto signed_in = s.members.sign_in(
                    email, password, {req.client_address, std::string(req.header("User-Agent"))});
                if (!signed_in) {
                  if (signed_in.error().code == Errc::kUnauthenticated) {
                    auto failed = audit_entry("member.sign_in_failed", domain::Principal{});
                    failed.personal.actor_address = email;
                    s.audit.record(std::move(failed));
                  }
                  return fail(signed_in.error());
                }
                s.audit.record(audit_entry("member.signed_in",
                                           principal_of({signed_in.value().user, {}, {}})));
                auto response = private_json(200, {{"user", to_json(signed_in.value().user)}});
                response.set("Set-Cookie", session_cookie(s, signed_in.value().token));
                return response;
              }),
              s.options.max_json_body);

  // Signs out a member, a verified recipient, or both on this browser.
  router.del("/api/v1/session", open_to_all([&s](http::Request& req) -> Result<http::Response> {
               bool signed_out = false;
               auto response = http::Response::empty(204);
               if (bearer_token(req)) {
                 return fail(Errc::kInvalidArgument,
                             "an API token is not a session: revoke it with DELETE "
                             "/api/v1/me/tokens/{id}");
               }
               if (auto who = authenticate(s, req)) {
                 const auto audited = s.audit.before_change(
                     audit_entry("member.signed_out", principal_of(who.value())));
                 VST_TRYV(s.members.sign_out(who.value().session));
                 signed_out = true;
               } else if (who.error().code == Errc::kForbidden) {
                 return fail(who.error());
               }
               const auto recipient = cookie_value_of(req, recipient_cookie_name(s.options));
               if (!recipient.empty()) {
                 VST_TRYV(check_same_origin(s, req));
                 if (s.verification.authenticate(recipient)) {
                   signed_out = true;
                 }
                 VST_TRYV(s.verification.sign_out(recipient));
               }
               if (!signed_out) {
                 return fail(Errc::kUnauthenticated,
                             "you are not signed in; sign in with POST /api/v1/session");
               }
               // Two Set-Cookie headers: set() would replace the first.
               response.headers.emplace_back("Set-Cookie",
                                             cleared_cookie(s, session_cookie_name(s.options)));
               response.headers.emplace_back("Set-Cookie",
                                             cleared_cookie(s, recipient_cookie_name(s.options)));
               return response;
             }));

  // Sign-in by email code, without a link: the same request, budgets and session as a link's
  // verification (docs/external-sharing.md, "Signing in with a code, without a link").
  router.post(
      "/api/v1/session/code", open_to_all([&s](http::Request& req) -> Result<http::Response> {
        VST_TRYV(check_same_origin(s, req));
        VST_TRY(body, parse_object(req));
        VST_TRY(email, required_string(body, "email"));
        const BrowserBinding browser = browser_binding(s, req);
        VST_TRY(requested,
                s.verification.request_sign_in(email, browser.token, req.client_address));
        // The same answer for every address: nothing in it depends on the address but
        // its mask.
        return code_requested(s.options, email, requested,
                              "if this address can sign in with a code, one is on its way to it",
                              browser);
      }),
      s.options.max_json_body);

  router.post("/api/v1/session/code/confirm",
              open_to_all([&s](http::Request& req) -> Result<http::Response> {
                VST_TRYV(check_same_origin(s, req));  // no signing a victim in from another site
                VST_TRY(body, parse_object(req));
                VST_TRY(email, required_string(body, "email"));
                VST_TRY(code, required_string(body, "code"));
                VST_TRY(remember, optional_bool(body, "remember"));
                const std::string browser = cookie_value_of(req, browser_cookie_name(s.options));
                VST_TRY(verified, s.verification.confirm_sign_in(
                                      email, code, remember.value_or(false), browser,
                                      req.client_address, std::string(req.header("User-Agent"))));
                const auto& session = verified.session;
                return recipient_signed_in(
                    s, req, verified,
                    {{"user", external_me(session.external_id, session.address, session.state)},
                     {"remembered", session.remembered}});
              }),
              s.options.max_json_body);

  // The one-time link sent instead of a code past the failure budget: the page at /verify posts
  // what the link's fragment carries.
  router.post("/api/v1/verification/one-time",
              open_to_all([&s](http::Request& req) -> Result<http::Response> {
                VST_TRYV(check_same_origin(s, req));
                VST_TRY(body, parse_object(req));
                VST_TRY(link_id, optional_id(body, "link_id"));
                VST_TRY(email, required_string(body, "email"));
                VST_TRY(token, required_string(body, "token"));
                VST_TRY(remember, optional_bool(body, "remember"));
                const std::string browser = cookie_value_of(req, browser_cookie_name(s.options));
                VST_TRY(verified, s.verification.confirm_one_time(
                                      link_id, email, token, remember.value_or(false), browser,
                                      req.client_address, std::string(req.header("User-Agent"))));
                auto used = audit_entry("verification.one_time_used", domain::Principal{},
                                        link_id ? "link:" + std::to_string(*link_id) : "sign_in",
                                        verified.session.address);
                used.actor_kind = "external";
                s.audit.record(std::move(used));
                return recipient_signed_in(
                    s, req, verified,
                    {{"email", verified.session.address},
                     {"remembered", verified.session.remembered},
                     {"next", link_id ? "/shared/" + std::to_string(*link_id) : std::string("/")}});
              }),
              s.options.max_json_body);

  router.get("/api/v1/me", open_to_all([&s](http::Request& req) -> Result<http::Response> {
               if (auto who = authenticate(s, req)) {
                 auto me = to_json(who.value().user);
                 // So a page can refuse a too-large file before sending a byte of it.
                 me["limits"] = {{"max_upload_bytes", s.options.max_upload_bytes}};
                 return private_json(200, me);
               }
               VST_TRY(who, caller(s, req));
               if (who.kind == domain::PrincipalKind::kExternal) {
                 return private_json(
                     200,
                     external_me(who.external_id, who.email,
                                 who.identity_state.value_or(domain::IdentityState::kPending)));
               }
               return fail(Errc::kUnauthenticated,
                           "you are not signed in; sign in with POST /api/v1/session");
             }));

  router.post(
      "/api/v1/me/password",
      signed_in(
          s,
          [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            if (who.token) {
              return fail(Errc::kForbidden,
                          "a password is changed signed in with it, not with an API "
                          "token; sign in and change it there");
            }
            VST_TRY(body, parse_object(req));
            VST_TRY(current, required_string(body, "current_password"));
            VST_TRY(replacement, required_string(body, "new_password"));
            VST_TRY(end_others, optional_bool(body, "end_other_sessions"));
            VST_TRYV(s.members.change_password(who, current, replacement, end_others.value_or(true),
                                               req.client_address));
            return http::Response::empty(204);
          }),
      s.options.max_json_body);
}

}  // namespace vestibule::api
