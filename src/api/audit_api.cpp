// /api/v1/admin/audit: the audit log (list, CSV, verify, head) and erasing one address's personal
// data. Admins only.
#include "api/audit_view.hpp"
#include "api/routes.hpp"
#include "domain/audit_events.hpp"
#include "util/email.hpp"

#include <memory>

namespace vestibule::api {

namespace {

// The entry of an admin's action, with the admin as its actor.
domain::AuditEntry admin_actor(const domain::Authenticated& who) {
  domain::AuditEntry actor;
  domain::set_actor(actor, principal_of(who));
  actor.personal.actor_address = who.user.email;
  return actor;
}

http::BodyProducer audit_csv_body(domain::AuditLog& log, domain::AuditFilter filter) {
  struct Reading {
    domain::AuditLog* log;
    domain::AuditFilter filter;
    bool started = false;
    bool finished = false;
  };
  filter.limit = 1000;
  auto reading = std::make_shared<Reading>(Reading{&log, std::move(filter)});
  return [reading]() -> Result<std::optional<std::string>> {
    Reading& r = *reading;
    if (r.finished) {
      return std::optional<std::string>();
    }
    std::string out;
    if (!r.started) {
      r.started = true;
      out = audit_csv_header();
    }
    VST_TRY(page, r.log->list(r.filter));
    for (const auto& e : page.entries) {
      out += audit_csv_record(e);
    }
    if (page.next_cursor) {
      r.filter.before_id = page.next_cursor;
    } else {
      r.finished = true;
    }
    return std::optional<std::string>(std::move(out));
  };
}

}  // namespace

void add_audit_routes(http::Router& router, Services& s) {
  router.get(
      "/api/v1/admin/audit",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRYV(s.authz.authorize_admin(principal_of(who)));
            VST_TRY(request,
                    read_audit_request(
                        [&req](std::string_view name) { return req.query_param(name); }, "json"));
            if (request.format == "table") {
              return fail(Errc::kInvalidArgument, "format must be json or csv", "format");
            }
            if (request.format == "csv") {
              // Every matching entry, newest first, in one file, sent page by page: neither
              // memory nor a read snapshot grows with the log.
              http::Response response;
              response.status = 200;
              response.set("Content-Type", "text/csv; charset=utf-8; header=present");
              response.set("Content-Disposition", "attachment; filename=\"audit-log.csv\"");
              response.set("Cache-Control", "no-store");
              response.stream = audit_csv_body(s.audit, request.filter);
              return response;
            }
            VST_TRY(page, s.audit.list(request.filter));
            auto entries = nlohmann::json::array();
            for (const auto& e : page.entries) {
              entries.push_back(audit_entry_json(e));
            }
            nlohmann::json body = {{"entries", std::move(entries)}, {"next_cursor", nullptr}};
            if (page.next_cursor) {
              body["next_cursor"] = std::to_string(*page.next_cursor);
            }
            return private_json(200, body);
          }));

  router.get(
      "/api/v1/admin/audit/verify",
      signed_in(s,
                [&s](http::Request&, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRYV(s.authz.authorize_admin(principal_of(who)));
                  VST_TRY(verdict, s.audit.verify());
                  return private_json(200, audit_verdict_json(verdict));
                }));

  router.get(
      "/api/v1/admin/audit/head",
      signed_in(s,
                [&s](http::Request&, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRYV(s.authz.authorize_admin(principal_of(who)));
                  VST_TRY(head, s.audit.head());
                  return private_json(
                      200, {{"id", head.id}, {"hash", head.hash}, {"entries", head.entries}});
                }));

  router.post("/api/v1/admin/external-identities/{address}/erase",
              signed_in(s,
                        [&s](http::Request& req,
                             const domain::Authenticated& who) -> Result<http::Response> {
                          VST_TRYV(s.authz.authorize_admin(principal_of(who)));
                          VST_TRY(address, util::normalize_email(req.params.at(0), "address"));
                          VST_TRY(erased, s.audit.erase(address, admin_actor(who)));
                          return private_json(200, {{"erased", true},
                                                    {"audit_entries", erased.entries},
                                                    {"other_rows", erased.rows}});
                        }),
              s.options.max_json_body);
}

}  // namespace vestibule::api
