// Registration of every API route, one function per resource file, and the wrappers that turn
// Result-returning handlers into HTTP handlers.
#pragma once

#include "api/context.hpp"
#include "api/errors.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

#include <utility>

namespace vestibule::api {

// Body limit of small JSON requests is ApiOptions::max_json_body.
void add_session_routes(http::Router& router, Services& services);
void add_space_routes(http::Router& router, Services& services);
void add_item_routes(http::Router& router, Services& services);
void add_admin_routes(http::Router& router, Services& services);
void add_audit_routes(http::Router& router, Services& services);
void add_link_routes(http::Router& router, Services& services);
void add_share_routes(http::Router& router, Services& services);
// Sessions (own and, for admins, anyone's) and API tokens.
void add_token_routes(http::Router& router, Services& services);
// Only when no SMTP relay is configured: the development mailbox.
void add_dev_mail_routes(http::Router& router, Services& services);
void add_ops_routes(http::Router& router, Services& services, const http::Metrics& metrics);
// The web front end (every GET outside the reserved paths), from the bundle in the binary, or
// from the folder `web_dir` when it is set (front-end development).
void add_web_routes(http::Router& router, const std::string& web_dir);

// Every route of the API.
void add_all_routes(http::Router& router, Services& services, const http::Metrics& metrics);

// A handler for signed-in callers: f(Request&, const Authenticated&) -> Result<Response>.
template <class F>
http::Handler signed_in(Services& services, F f) {
  return [&services, f = std::move(f)](http::Request& req) -> http::Response {
    auto who = authenticate(services, req);
    if (!who) {
      return to_response(who.error());
    }
    Result<http::Response> response = f(req, who.value());
    return response ? std::move(response).value() : to_response(response.error());
  };
}

// A handler for signed-in members and guests: f(Request&, const Principal&) -> Result<Response>.
template <class F>
http::Handler member_or_guest_route(Services& services, F f) {
  return [&services, f = std::move(f)](http::Request& req) -> http::Response {
    auto who = member_or_guest(services, req);
    if (!who) {
      return to_response(who.error());
    }
    Result<http::Response> response = f(req, who.value());
    return response ? std::move(response).value() : to_response(response.error());
  };
}

// A handler open to anyone: f(Request&) -> Result<Response>.
template <class F>
http::Handler open_to_all(F f) {
  return [f = std::move(f)](http::Request& req) -> http::Response {
    Result<http::Response> response = f(req);
    return response ? std::move(response).value() : to_response(response.error());
  };
}

}  // namespace vestibule::api
