// Sessions and API tokens: GET/DELETE /api/v1/me/sessions[/{id}] (a member's or a recipient's
// own), GET/DELETE /api/v1/admin/sessions[/{id}] (anyone's, admins only), and
// POST/GET/DELETE /api/v1/me/tokens[/{id}].
#include "api/routes.hpp"

namespace vestibule::api {

namespace {

nlohmann::json optional_time(const std::optional<util::TimePoint>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

nlohmann::json session_json(const domain::SessionRecord& r, const domain::Principal& who) {
  const bool current =
      who.session_id != 0 && r.ref.id == who.session_id &&
      ((r.ref.kind == domain::SessionKind::kMember && who.kind == domain::PrincipalKind::kMember) ||
       (r.ref.kind == domain::SessionKind::kRecipient &&
        who.kind != domain::PrincipalKind::kMember));
  return {{"id", domain::to_string(r.ref)},
          {"kind", r.ref.kind == domain::SessionKind::kMember ? "member" : "recipient"},
          {"principal",
           {{"id", r.principal_id}, {"email", r.principal}, {"display_name", r.display_name}}},
          {"method", r.method},
          {"created_at", format_time(r.created_at)},
          {"last_seen_at", optional_time(r.last_seen_at)},
          {"proved_at", format_time(r.proved_at)},
          {"expires_at", format_time(r.expires_at)},
          {"remembered", r.remembered},
          {"client", r.client_address},
          {"user_agent", r.user_agent},
          {"current", current}};
}

nlohmann::json sessions_json(const std::vector<domain::SessionRecord>& records,
                             const domain::Principal& who) {
  auto list = nlohmann::json::array();
  for (const auto& r : records) {
    list.push_back(session_json(r, who));
  }
  return {{"sessions", list}};
}

nlohmann::json token_json(const domain::ApiToken& t, util::TimePoint now) {
  return {{"id", t.id},
          {"name", t.name},
          {"scope", domain::to_string(t.scope)},
          {"created_at", format_time(t.created_at)},
          {"expires_at", format_time(t.expires_at)},
          {"last_used_at", optional_time(t.last_used_at)},
          {"expired", now >= t.expires_at}};
}

// The caller of a /me/sessions route: a member (cookie or token) or a verified recipient; a
// state-changing call with a cookie must come from this site.
Result<domain::Principal> session_owner(Services& s, const http::Request& req) {
  VST_TRYV(check_same_origin(s, req));
  VST_TRY(who, caller(s, req));
  if (who.kind == domain::PrincipalKind::kAnonymous) {
    return fail(Errc::kUnauthenticated,
                "you are not signed in; sign in (or confirm your address with a code) to see "
                "your sessions");
  }
  return who;
}

}  // namespace

void add_token_routes(http::Router& router, Services& s) {
  router.get("/api/v1/me/sessions", open_to_all([&s](http::Request& req) -> Result<http::Response> {
               VST_TRY(who, session_owner(s, req));
               VST_TRY(records, s.sessions.list_own(who));
               return private_json(200, sessions_json(records, who));
             }));

  router.del("/api/v1/me/sessions/{id}",
             open_to_all([&s](http::Request& req) -> Result<http::Response> {
               VST_TRY(who, session_owner(s, req));
               const auto audited = s.audit.before_change(
                   audit_entry("session.revoked", who, "session:" + req.params.at(0)));
               VST_TRYV(s.sessions.revoke_own(who, req.params.at(0)));
               return http::Response::empty(204);
             }));

  router.get(
      "/api/v1/admin/sessions",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            domain::SessionQuery query;
            if (auto principal = req.query_param("principal"); principal && !principal->empty()) {
              query.principal = std::move(principal);
            }
            if (auto client = req.query_param("client"); client && !client->empty()) {
              query.client = std::move(client);
            }
            if (auto kind = req.query_param("kind"); kind && !kind->empty()) {
              if (*kind == "member") {
                query.kind = domain::SessionKind::kMember;
              } else if (*kind == "recipient") {
                query.kind = domain::SessionKind::kRecipient;
              } else {
                return fail(Errc::kInvalidArgument, R"("kind" must be member or recipient)",
                            "kind");
              }
            }
            const auto me = principal_of(who);
            VST_TRY(records, s.sessions.list_any(me, query));
            return private_json(200, sessions_json(records, me));
          }));

  router.del(
      "/api/v1/admin/sessions/{id}",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            auto revoked =
                audit_entry("session.revoked", principal_of(who), "session:" + req.params.at(0));
            revoked.details = {{"by_admin", true}};
            const auto audited = s.audit.before_change(std::move(revoked));
            VST_TRYV(s.sessions.revoke_any(principal_of(who), req.params.at(0)));
            return http::Response::empty(204);
          }));

  router.post(
      "/api/v1/me/tokens",
      signed_in(
          s,
          [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(body, parse_object(req));
            VST_TRY(name, required_string(body, "name"));
            VST_TRY(scope, required_string(body, "scope"));
            VST_TRY(expires_in, optional_string(body, "expires_in"));
            auto announced = audit_entry("token.created", principal_of(who), "token");
            announced.details = {{"name", name}, {"scope", scope}};
            const auto audited = s.audit.before_change(std::move(announced));
            VST_TRY(created, s.tokens.create(who.user, name, scope, expires_in, who.token));
            auto j = token_json(created.token, s.clock.now());
            j["token"] = created.secret;
            return private_json(201, j);
          }),
      s.options.max_json_body);

  router.get(
      "/api/v1/me/tokens",
      signed_in(s,
                [&s](http::Request&, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(tokens, s.tokens.list(who.user.id));
                  const auto now = s.clock.now();
                  auto list = nlohmann::json::array();
                  for (const auto& t : tokens) {
                    list.push_back(token_json(t, now));
                  }
                  return private_json(200, {{"tokens", list}});
                }));

  router.del(
      "/api/v1/me/tokens/{id}",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(id, id_param(req, 0, "API token"));
            const auto audited = s.audit.before_change(
                audit_entry("token.revoked", principal_of(who), "token:" + std::to_string(id)));
            VST_TRYV(s.tokens.revoke(who.user.id, id));
            return http::Response::empty(204);
          }));
}

}  // namespace vestibule::api
