// /api/v1/admin: members, team spaces, settings, the outbox, the external directory and the
// external-sharing report.
#include "api/external_sharing_report.hpp"
#include "api/routes.hpp"
#include "util/rfc3339.hpp"

#include <algorithm>

namespace vestibule::api {

namespace {

// An account as admins see it.
nlohmann::json admin_user_json(const domain::User& user) {
  auto j = to_json(user);
  j["disabled"] = user.disabled;
  j["created_at"] = format_time(user.created_at);
  return j;
}

// "admin", or "member" (also spelled "user", as accounts list it).
Result<domain::UserRole> read_user_role(const std::string& text) {
  if (text == "admin") {
    return domain::UserRole::kAdmin;
  }
  if (text == "member" || text == "user") {
    return domain::UserRole::kUser;
  }
  return fail(Errc::kInvalidArgument, R"("role" must be admin or member)", "role");
}

nlohmann::json time_or_null(const std::optional<util::TimePoint>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

// "aliases": a list of addresses (the whole new set), or kInvalidArgument.
Result<std::vector<std::string>> read_aliases(const nlohmann::json& body) {
  const auto it = body.find("aliases");
  if (!it->is_array()) {
    return fail(Errc::kInvalidArgument,
                "\"aliases\" must be a list of email addresses (the whole new list: [] removes "
                "them all)",
                "aliases");
  }
  std::vector<std::string> out;
  for (const auto& a : *it) {
    if (!a.is_string()) {
      return fail(Errc::kInvalidArgument, "each alias must be an email address (a string)",
                  "aliases");
    }
    out.push_back(a.get<std::string>());
  }
  return out;
}

nlohmann::json directory_json(const domain::DirectoryEntry& d, const domain::Policy& policy) {
  const auto& e = d.identity;
  return {{"id", e.id},
          {"address", e.address},
          {"state", to_string(e.state)},
          {"aliases", d.aliases},
          {"created_at", format_time(e.created_at)},
          {"verified_at", time_or_null(e.verified_at)},
          {"last_sign_in_at", time_or_null(e.last_verified_at)},
          {"guest_since", time_or_null(e.guest_since)},
          {"guest_expires_at", time_or_null(domain::guest_expires_at(e, policy))},
          {"consecutive_failures", d.consecutive_failures},
          {"codes_blocked", d.consecutive_failures >= 100},
          {"shares", d.shares}};
}

}  // namespace

void add_admin_routes(http::Router& router, Services& s) {
  router.post(
      "/api/v1/admin/users",
      signed_in(
          s,
          [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRYV(s.authz.authorize_admin(principal_of(who)));
            VST_TRY(body, parse_object(req));
            VST_TRY(email, required_string(body, "email"));
            VST_TRY(password, required_string(body, "password"));
            VST_TRY(display_name, optional_string(body, "display_name"));
            VST_TRY(role_text, optional_string(body, "role"));
            VST_TRY(role, read_user_role(role_text.value_or("member")));
            auto added = audit_entry("member.added", principal_of(who), "user", email);
            added.details = {{"role", std::string(to_string(role))}};
            const auto audited = s.audit.before_change(std::move(added));
            VST_TRY(user, s.members.add_user(email, password, display_name.value_or(""), role));
            return private_json(201, to_json(user));
          }),
      s.options.max_json_body);

  router.get(
      "/api/v1/admin/users",
      signed_in(s,
                [&s](http::Request&, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRYV(s.authz.authorize_admin(principal_of(who)));
                  VST_TRY(users, s.members.list_users());
                  auto list = nlohmann::json::array();
                  for (const auto& user : users) {
                    auto j = admin_user_json(user);
                    VST_TRY(aliases, s.directory.member_aliases(principal_of(who), user.id));
                    j["aliases"] = aliases;
                    list.push_back(std::move(j));
                  }
                  return private_json(200, {{"users", list}});
                }));

  router.patch(
      "/api/v1/admin/users/{id}",
      signed_in(
          s,
          [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRYV(s.authz.authorize_admin(principal_of(who)));
            VST_TRY(id, id_param(req, 0, "member"));
            VST_TRY(body, parse_object(req));
            for (const auto& [key, value] : body.items()) {
              if (key != "disabled" && key != "role" && key != "display_name" && key != "aliases") {
                return fail(Errc::kInvalidArgument,
                            "unknown field \"" + key +
                                "\"; the fields are: disabled, role, "
                                "display_name, aliases",
                            key);
              }
            }
            // A member's other addresses: they become internal addresses that
            // reach this member.
            std::optional<std::vector<std::string>> aliases;
            if (body.contains("aliases")) {
              VST_TRY(given, read_aliases(body));
              VST_TRY(set, s.directory.set_member_aliases(principal_of(who), id, given));
              aliases = std::move(set);
            }
            domain::UserChange change;
            VST_TRY(disabled, optional_bool(body, "disabled"));
            change.disabled = disabled;
            VST_TRY(role_text, optional_string(body, "role"));
            if (role_text) {
              VST_TRY(role, read_user_role(*role_text));
              change.role = role;
            }
            VST_TRY(display_name, optional_string(body, "display_name"));
            change.display_name = std::move(display_name);
            if (!change.disabled && !change.role && !change.display_name) {
              if (!aliases) {
                return fail(Errc::kInvalidArgument,
                            "send at least one of disabled, role, display_name, aliases");
              }
              VST_TRY(users, s.members.list_users());
              for (const auto& user : users) {
                if (user.id == id) {
                  auto j = admin_user_json(user);
                  j["aliases"] = *aliases;
                  return private_json(200, j);
                }
              }
              return fail(Errc::kNotFound, "no such member");
            }
            auto changed = audit_entry(
                change.disabled ? (*change.disabled ? "member.disabled" : "member.enabled")
                                : "member.changed",
                principal_of(who), "user:" + std::to_string(id));
            if (change.role) {
              changed.details["role"] = std::string(to_string(*change.role));
            }
            const auto audited = s.audit.before_change(std::move(changed));
            VST_TRY(user, s.members.change_account(who.user.id, id, change));
            auto j = admin_user_json(user);
            VST_TRY(now_aliases, s.directory.member_aliases(principal_of(who), user.id));
            j["aliases"] = now_aliases;
            return private_json(200, j);
          }),
      s.options.max_json_body);

  router.post(
      "/api/v1/admin/users/{id}/reset-password",
      signed_in(
          s,
          [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRYV(s.authz.authorize_admin(principal_of(who)));
            VST_TRY(id, id_param(req, 0, "member"));
            std::optional<std::string> given;
            if (!req.body.empty()) {
              VST_TRY(body, parse_object(req));
              VST_TRY(password, optional_string(body, "password"));
              given = std::move(password);
            }
            std::string password;
            const auto audited = s.audit.before_change(audit_entry(
                "member.password_reset", principal_of(who), "user:" + std::to_string(id)));
            if (given) {
              VST_TRYV(s.members.reset_password(id, *given));
              password = std::move(*given);
            } else {
              VST_TRY(generated, s.members.reset_password_generated(id));
              password = std::move(generated);
            }
            return private_json(200, {{"password", password}});
          }),
      s.options.max_json_body);

  router.post("/api/v1/admin/spaces",
              signed_in(s,
                        [&s](http::Request& req,
                             const domain::Authenticated& who) -> Result<http::Response> {
                          VST_TRY(body, parse_object(req));
                          VST_TRY(name, required_string(body, "name"));
                          VST_TRY(space, s.spaces.create_team(principal_of(who), name));
                          return private_json(201, to_json(space, domain::SpaceRole::kOwner));
                        }),
              s.options.max_json_body);

  router.get(
      "/api/v1/admin/settings",
      signed_in(s,
                [&s](http::Request&, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(policy, s.sharing.org_settings(principal_of(who)));
                  return private_json(200, domain::to_json(policy));
                }));

  router.patch("/api/v1/admin/settings",
               signed_in(s,
                         [&s](http::Request& req,
                              const domain::Authenticated& who) -> Result<http::Response> {
                           VST_TRY(body, parse_object(req));
                           VST_TRY(policy, s.sharing.change_org_settings(principal_of(who), body));
                           return private_json(200, domain::to_json(policy));
                         }),
               s.options.max_json_body);

  router.get(
      "/api/v1/admin/outbox",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            std::size_t limit = 100;
            if (const auto given = req.query_param("limit")) {
              try {
                limit = std::clamp<std::size_t>(std::stoul(*given), 1, 1000);
              } catch (const std::exception&) {
                return fail(Errc::kInvalidArgument, "limit must be a number from 1 to 1000",
                            "limit");
              }
            }
            VST_TRY(messages, s.sharing.recent_mail(principal_of(who), limit));
            const auto when = [](const std::optional<util::TimePoint>& t) {
              return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
            };
            auto list = nlohmann::json::array();
            for (const auto& m : messages) {
              list.push_back(
                  {{"id", m.id},
                   {"kind", to_string(m.kind)},
                   {"to", m.to},
                   {"subject", m.subject},
                   {"state", to_string(m.state)},
                   {"attempts", m.attempts},
                   {"last_error", m.last_error},
                   {"link_id", m.link_id ? nlohmann::json(*m.link_id) : nlohmann::json(nullptr)},
                   {"created_at", format_time(m.created_at)},
                   {"next_attempt_at", format_time(m.next_attempt_at)},
                   {"finished_at", when(m.finished_at)}});
            }
            return private_json(200, {{"messages", list}});
          }));

  router.get(
      "/api/v1/admin/external-identities",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            const auto principal = principal_of(who);
            VST_TRYV(s.authz.authorize_admin(principal));
            domain::DirectoryFilter filter;
            if (const auto state = req.query_param("state"); state && !state->empty()) {
              filter.state = domain::identity_state_from_string(*state);
              if (!filter.state) {
                return fail(Errc::kInvalidArgument,
                            "state must be pending, verified, guest or blocked", "state");
              }
            }
            if (const auto q = req.query_param("q"); q && !q->empty()) {
              filter.q = *q;
            }
            VST_TRY(entries, s.directory.list(principal, filter));
            VST_TRY(policy, s.authz.org_policy());
            auto list = nlohmann::json::array();
            for (const auto& d : entries) {
              list.push_back(directory_json(d, policy));
            }
            return private_json(200, {{"identities", list}});
          }));

  // One address (or alias): its record, and everything it can reach.
  router.get(
      "/api/v1/admin/external-identities/{address}",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(record, s.directory.record(principal_of(who), req.params[0]));
            VST_TRY(policy, s.authz.org_policy());
            auto j = directory_json(record.entry, policy);
            auto reach = nlohmann::json::array();
            for (const auto& r : record.reach) {
              nlohmann::json entry = {
                  {"item",
                   {{"id", r.item.id}, {"name", r.item.name}, {"kind", to_string(r.item.kind)}}},
                  {"link", r.link ? nlohmann::json{{"id", r.link->id},
                                                   {"kind", to_string(r.link->kind)},
                                                   {"created_by", r.link->created_by_name}}
                                  : nlohmann::json(nullptr)},
                  {"space", r.space ? nlohmann::json{{"id", r.space->space_id},
                                                     {"name", r.space->space_name},
                                                     {"role", to_string(r.space->role)}}
                                    : nlohmann::json(nullptr)},
                  {"via", r.link    ? "link"
                          : r.space ? "space"
                                    : "grant"},
                  {"role", to_string(r.role)},
                  {"expires_at", time_or_null(r.expires_at)},
                  {"state", r.state},
                  {"last_used_at", time_or_null(r.last_used_at)}};
              reach.push_back(std::move(entry));
            }
            j["reach"] = std::move(reach);
            return private_json(200, j);
          }));

  // Removes the address from every specific link and grant and every team space and ends its
  // sessions, in one transaction.
  router.post(
      "/api/v1/admin/external-identities/{address}/revoke-all",
      signed_in(
          s,
          [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(revoked, s.directory.revoke_all(principal_of(who), req.params[0]));
            auto links = nlohmann::json::array();
            for (const auto& l : revoked.links) {
              links.push_back(
                  {{"link_id", l.link_id}, {"item_id", l.item_id}, {"item_name", l.item_name}});
            }
            return private_json(200, {{"links_changed", revoked.links.size()},
                                      {"links", links},
                                      {"grants_removed", revoked.direct_grants},
                                      {"spaces_left", revoked.spaces_left},
                                      {"sessions_ended", revoked.sessions_ended}});
          }),
      s.options.max_json_body);

  router.patch(
      "/api/v1/admin/external-identities/{address}",
      signed_in(
          s,
          [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(body, parse_object(req));
            VST_TRY(state_text, optional_string(body, "state"));
            VST_TRY(lift, optional_bool(body, "lift_block"));
            std::optional<domain::IdentityState> state;
            if (state_text) {
              state = domain::identity_state_from_string(*state_text);
              if (!state) {
                return fail(Errc::kInvalidArgument,
                            "state must be pending, verified, guest or blocked", "state");
              }
            }
            const bool has_aliases = body.contains("aliases");
            if (!state && !lift.value_or(false) && !has_aliases) {
              return fail(Errc::kInvalidArgument,
                          "send \"state\", \"aliases\" or \"lift_block\": true");
            }
            if (has_aliases) {
              VST_TRY(aliases, read_aliases(body));
              VST_TRYV(s.directory.set_identity_aliases(principal_of(who), req.params[0], aliases));
            }
            std::string address = req.params[0];
            if (state || lift.value_or(false)) {
              VST_TRY(identity, s.sharing.change_identity(principal_of(who), address, state,
                                                          lift.value_or(false)));
              address = identity.address;
            }
            VST_TRY(record, s.directory.record(principal_of(who), address));
            VST_TRY(policy, s.authz.org_policy());
            return private_json(200, directory_json(record.entry, policy));
          }),
      s.options.max_json_body);

  router.get(
      "/api/v1/admin/reports/external-sharing",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            const auto principal = principal_of(who);
            VST_TRYV(s.authz.authorize_admin(principal));  // before saying anything of the filters
            VST_TRYV(check_report_parameters(req.query));
            VST_TRY(request, read_report_request(
                                 [&req](std::string_view name) { return req.query_param(name); }));
            VST_TRY(report, s.sharing.external_sharing(principal, request.filter));
            http::Response response;
            response.set("Cache-Control", "no-store");
            if (request.format == ReportFormat::kCsv) {
              const std::string day = util::format_rfc3339(s.clock.now()).substr(0, 10);
              response.set("Content-Type", "text/csv; charset=utf-8; header=present");
              response.set("Content-Disposition",
                           "attachment; filename=\"external-sharing-" + day + ".csv\"");
            } else {
              response.set("Content-Type", "application/json");
            }
            response.stream = report_body(std::move(report), request.format);
            return response;
          }));

  router.del(
      "/api/v1/admin/external-identities/{address}",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRYV(s.sharing.delete_identity(principal_of(who), req.params[0]));
            return http::Response::empty(204);
          }));
}

}  // namespace vestibule::api
