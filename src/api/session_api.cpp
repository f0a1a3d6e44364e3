// POST/DELETE /api/v1/session, GET /api/v1/me, POST /api/v1/me/password.
#include "api/routes.hpp"

namespace vestibule::api {

namespace {

std::string session_cookie(const Services& s, const std::string& token) {
  std::string cookie = session_cookie_name(s.options) + "=" + token + "; Path=/; HttpOnly; SameSite=Lax";
  if (s.options.secure_cookies) {
    cookie += "; Secure";
  }
  return cookie;
}

std::string cleared_cookie(const Services& s) {
  std::string cookie =
      session_cookie_name(s.options) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
  if (s.options.secure_cookies) {
    cookie += "; Secure";
  }
  return cookie;
}

}  // namespace

void add_session_routes(http::Router& router, Services& s) {
  router.post(
      "/api/v1/session", open_to_all([&s](http::Request& req) -> Result<http::Response> {
        VST_TRYV(check_same_origin(s, req));  // no signing a victim in from another site
        VST_TRY(body, parse_object(req));
        VST_TRY(email, required_string(body, "email"));
        VST_TRY(password, required_string(body, "password"));
        VST_TRY(signed_in, s.members.sign_in(
                               email, password,
                               {req.client_address, std::string(req.header("User-Agent"))}));
        auto response = private_json(200, {{"user", to_json(signed_in.user)}});
        response.set("Set-Cookie", session_cookie(s, signed_in.token));
        return response;
      }),
      s.options.max_json_body);

  router.del("/api/v1/session",
             signed_in(s, [&s](http::Request&, const domain::Authenticated& who)
                              -> Result<http::Response> {
               VST_TRYV(s.members.sign_out(who.session));
               auto response = http::Response::empty(204);
               response.set("Set-Cookie", cleared_cookie(s));
               return response;
             }));

  router.get("/api/v1/me", signed_in(s, [](http::Request&, const domain::Authenticated& who)
                                            -> Result<http::Response> {
               return private_json(200, to_json(who.user));
             }));

  router.post(
      "/api/v1/me/password",
      signed_in(s,
                [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(body, parse_object(req));
                  VST_TRY(current, required_string(body, "current_password"));
                  VST_TRY(replacement, required_string(body, "new_password"));
                  VST_TRY(end_others, optional_bool(body, "end_other_sessions"));
                  VST_TRYV(s.members.change_password(who, current, replacement,
                                                     end_others.value_or(true)));
                  return http::Response::empty(204);
                }),
      s.options.max_json_body);
}

}  // namespace vestibule::api
