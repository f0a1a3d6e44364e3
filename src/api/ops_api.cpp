// Operations: health, readiness, metrics, the OpenAPI document, and the test clock.
#include "api/routes.hpp"
#include "http/metrics.hpp"
#include "util/duration.hpp"

namespace vestibule::generated {
std::string_view openapi_document();
}

namespace vestibule::api {

void add_ops_routes(http::Router& router, Services& s, const http::Metrics& metrics) {
  router.get("/healthz", [](http::Request&) {
    return http::Response::json(200, {{"status", "ok"}});
  });
  router.get("/readyz", [&s](http::Request&) {
    if (s.ready && !s.ready()) {
      return http::error_response(503, "unavailable",
                                  "storage is not answering; see the server log");
    }
    return http::Response::json(200, {{"status", "ready"}});
  });
  router.get("/metrics", [&metrics](http::Request&) {
    http::Response r;
    r.body = metrics.render();
    r.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return r;
  });
  router.get("/api/v1/openapi.json", [](http::Request&) {
    http::Response r;
    r.body = std::string(generated::openapi_document());
    r.set("Content-Type", "application/json");
    return r;
  });
  if (s.manual_clock != nullptr) {
    router.post(
        "/api/v1/dev/clock", open_to_all([&s](http::Request& req) -> Result<http::Response> {
          VST_TRY(body, parse_object(req));
          VST_TRY(advance, required_string(body, "advance"));
          VST_TRY(by, util::parse_duration(advance));
          s.manual_clock->advance(by);
          return http::Response::json(200, {{"now", format_time(s.clock.now())}});
        }),
        s.options.max_json_body);
  }
}

void add_all_routes(http::Router& router, Services& services, const http::Metrics& metrics) {
  add_ops_routes(router, services, metrics);
  add_session_routes(router, services);
  add_space_routes(router, services);
  add_item_routes(router, services);
  add_admin_routes(router, services);
  add_link_routes(router, services);
  add_share_routes(router, services);
}

}  // namespace vestibule::api
