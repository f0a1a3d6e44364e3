// Operations: health, readiness, metrics, the OpenAPI document, and the test clock.
#include "api/routes.hpp"
#include "http/metrics.hpp"
#include "util/duration.hpp"
#include "util/html.hpp"

#include <initializer_list>
#include <string_view>
#include <utility>

namespace vestibule::generated {
std::string_view openapi_document();
}

namespace vestibule::api {

void add_ops_routes(http::Router& router, Services& s, const http::Metrics& metrics) {
  router.get("/healthz", [](http::Request&) {
    return http::Response::json(200, {{"status", "ok"}});
  });
  router.get("/readyz", [&s](http::Request&) {
    if (s.ready) {
      if (const auto not_ready = s.ready()) {
        return http::error_response(503, "unavailable", *not_ready);
      }
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
    router.post("/api/v1/dev/clock",
                open_to_all([&s](http::Request& req) -> Result<http::Response> {
                  VST_TRY(body, parse_object(req));
                  VST_TRY(advance, required_string(body, "advance"));
                  VST_TRY(by, util::parse_duration(advance));
                  s.manual_clock->advance(by);
                  return http::Response::json(200, {{"now", format_time(s.clock.now())}});
                }),
                s.options.max_json_body);
  }
}

namespace {

// A page of the mailbox: `body` inside the document frame, with headers that keep it inert.
http::Response dev_mail_html(const std::string& body) {
  http::Response response;
  response.body =
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>Vestibule development mailbox</title><style>"
      "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
      "article{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}"
      "pre{white-space:pre-wrap}</style></head><body>" +
      body + "</body></html>";
  response.set("Content-Type", "text/html; charset=utf-8");
  response.set("Cache-Control", "no-store");
  response.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  return response;
}

http::Response dev_mail_page(const nlohmann::json& messages) {
  std::string html =
      "<h1>Development mailbox</h1>"
      "<p>No SMTP relay is configured, so every email the server sends lands here, newest "
      "first.</p>";
  if (messages.empty()) {
    html += "<p>No messages yet.</p>";
  }
  for (const auto& m : messages) {
    html += "<article><p><strong>To:</strong> " + util::html_escape(m.value("to", "")) +
            "<br><strong>Subject:</strong> " + util::html_escape(m.value("subject", "")) +
            "<br><strong>Sent:</strong> " + util::html_escape(m.value("sent_at", "")) +
            "</p><pre>" + util::html_escape(m.value("text", "")) + "</pre></article>";
  }
  return dev_mail_html(html);
}

// The page's answer to a browser not signed in as an admin: what to do, and where.
http::Response dev_mail_refusal(unsigned status, std::string_view why) {
  http::Response response =
      dev_mail_html("<h1>Development mailbox</h1><p>" + util::html_escape(why) +
                    "</p><p><a href=\"/\">Sign in</a>, then open this page again.</p>");
  response.status = status;
  return response;
}

}  // namespace

void add_dev_mail_routes(http::Router& router, Services& s) {
  if (!s.dev_mail) {
    return;
  }
  // Every code and link token the server sent is in there: admins only.
  router.get(
      "/api/v1/dev/mail",
      signed_in(s,
                [&s](http::Request&, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRYV(s.authz.authorize_admin(principal_of(who)));
                  return private_json(200, {{"messages", s.dev_mail()}});
                }));
  router.get("/dev/mail", [&s](http::Request& req) {
    auto who = authenticate(s, req);
    if (!who) {
      return dev_mail_refusal(401, "Sign in as an administrator to read the development mailbox.");
    }
    if (!s.authz.authorize_admin(principal_of(who.value()))) {
      return dev_mail_refusal(403,
                              "Only administrators can read the development mailbox: it shows "
                              "every code and link the server sent. Sign in as an administrator.");
    }
    return dev_mail_page(s.dev_mail());
  });
}

void add_all_routes(http::Router& router, Services& services, const http::Metrics& metrics) {
  add_ops_routes(router, services, metrics);
  add_session_routes(router, services);
  add_space_routes(router, services);
  add_item_routes(router, services);
  add_admin_routes(router, services);
  add_audit_routes(router, services);
  add_link_routes(router, services);
  add_share_routes(router, services);
  add_token_routes(router, services);
  add_dev_mail_routes(router, services);
  add_web_routes(router, services.options.web_dir);
  // Routes that hash or check a password (Argon2id, tens of milliseconds of CPU and 64 MiB each)
  // run on the server's bounded worker pool, so a burst of sign-ins cannot stall the event loops.
  using bhttp = boost::beast::http::verb;
  for (const auto& [method, pattern] : std::initializer_list<std::pair<bhttp, std::string_view>>{
           {bhttp::post, "/api/v1/session"},
           {bhttp::post, "/api/v1/me/password"},
           {bhttp::post, "/api/v1/admin/users"},
           {bhttp::post, "/api/v1/admin/users/{id}/reset-password"},
           {bhttp::post, "/api/v1/shares/{token}/password"},
           {bhttp::post, "/api/v1/items/{id}/links"},
           {bhttp::patch, "/api/v1/links/{id}"}}) {
    router.heavy(method, pattern);
  }
}

}  // namespace vestibule::api
