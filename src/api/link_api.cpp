// The owner's side of sharing: links and their recipients, direct grants, manage access, the
// share dialog's recipient check and options, shared by me, and requests for access
// (/api/v1/items/{id}/links, /items/{id}/grants, /items/{id}/access, /items/{id}/recipients/check,
// /items/{id}/sharing-options, /links, /grants, /me/shares, /access-requests).
#include "api/routes.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

#include <initializer_list>

namespace vestibule::api {

namespace {

using Json = nlohmann::json;
using Reply = Result<http::Response>;

Json time_or_null(const std::optional<util::TimePoint>& t) {
  return t ? Json(format_time(*t)) : Json(nullptr);
}

// A recipient as manage access shows it; `policy` (of the link's item's space) says when its
// proof of the address runs out.
Json recipient_json(const domain::Grant& g, const domain::Delivery& delivery,
                    const domain::Policy& policy) {
  const bool member = g.grantee == domain::Grantee::kUser;
  return {
      {"address", g.address},
      {"kind", member ? "member" : "external"},
      {"state",
       member ? std::string("member")
              : std::string(to_string(g.identity_state.value_or(domain::IdentityState::kPending)))},
      {"expires_at", time_or_null(g.expires_at)},
      {"first_used_at", time_or_null(g.first_used_at)},
      {"last_used_at", time_or_null(g.last_used_at)},
      {"verified_at", member ? Json(nullptr) : time_or_null(g.verified_at)},
      {"reverify_at", time_or_null(domain::reverify_at(g, policy))},
      {"delivery", delivery.state},
      {"delivery_error", delivery.detail}};
}

Json link_json(const domain::Link& link, const std::vector<domain::Grant>& recipients,
               const domain::Policy& policy, util::TimePoint now, domain::Sharing& sharing) {
  auto list = Json::array();
  for (const auto& r : recipients) {
    list.push_back(recipient_json(r, sharing.delivery(link.id, r.address), policy));
  }
  return {
      {"id", link.id},
      {"item_id", link.item_id},
      {"kind", to_string(link.kind)},
      {"role", to_string(link.role)},
      {"expires_at", time_or_null(link.expires_at)},
      {"effective_expires_at", time_or_null(domain::Authorizer::effective_expiry(link, policy))},
      {"block_download", link.block_download},
      {"has_password", !link.password_hash.empty()},
      {"message", link.message},
      {"state", domain::link_status(link, policy, now)},
      {"created_by", {{"id", link.created_by}, {"display_name", link.created_by_name}}},
      {"created_at", format_time(link.created_at)},
      {"revoked_at", time_or_null(link.revoked_at)},
      {"first_used_at", time_or_null(link.first_used_at)},
      {"last_used_at", time_or_null(link.last_used_at)},
      {"recipients", list}};
}

Json request_json(const domain::AccessRequest& r) {
  return {{"id", r.id},
          {"link_id", r.link_id},
          {"item_id", r.item_id},
          {"address", r.address},
          {"message", r.message},
          {"state", r.state},
          {"created_at", format_time(r.created_at)},
          {"decided_at", time_or_null(r.decided_at)}};
}

Json recipient_check_json(const domain::RecipientCheck& c) {
  Json j = {{"address", c.address},
            {"normalized", c.normalized ? Json(*c.normalized) : Json(nullptr)},
            {"status", to_string(c.status)}};
  if (c.status == domain::RecipientStatus::kMember) {
    j["display_name"] = c.display_name;
  }
  if (c.last_seen_at) {
    j["last_seen_at"] = format_time(*c.last_seen_at);
  }
  if (c.refusal) {
    j["rule"] = c.refusal->rule;
    j["reason"] = c.refusal->message;
  }
  return j;
}

Json expiry_option_json(const domain::ExpiryOption& e) {
  return {{"default", time_or_null(e.default_at)},
          {"max", e.max.count() > 0 ? Json(util::format_duration(e.max)) : Json(nullptr)},
          {"max_at", time_or_null(e.max_at)}};
}

Json link_options_json(const domain::LinkOptions& o) {
  auto kinds = Json::array();
  for (const auto& k : o.kinds) {
    Json j = {{"kind", to_string(k.kind)}, {"allowed", !k.refusal}};
    if (k.refusal) {
      j["rule"] = k.refusal->rule;
      j["reason"] = k.refusal->message;
    }
    kinds.push_back(std::move(j));
  }
  return {{"kinds", kinds},
          {"default_kind", to_string(o.default_kind)},
          {"default_role", to_string(o.default_role)},
          {"roles", Json::array({to_string(domain::Role::kView), to_string(domain::Role::kEdit)})},
          {"expiry",
           {{"anyone", expiry_option_json(o.anyone)},
            {"specific", expiry_option_json(o.specific)},
            {"organization", expiry_option_json(o.organization)}}},
          {"anyone_requires_password", o.anyone_requires_password},
          {"min_password_length", o.min_password_length},
          {"email_code_enabled", o.email_code_enabled}};
}

// A link as its manager sees it, with the state under the policy of its item's space.
Result<Json> link_view(Services& s, const domain::Principal& who, const domain::Link& link,
                       const std::vector<domain::Grant>& recipients) {
  VST_TRY(item, s.files.get(who, link.item_id));
  VST_TRY(policy, s.authz.policy_in(item.space_id));
  return link_json(link, recipients, policy, s.clock.now(), s.sharing);
}

Result<void> only_fields(const Json& body, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    std::string list;
    for (const char* a : allowed) {
      known = known || key == a;
      if (!list.empty()) {
        list += ", ";
      }
      list += a;
    }
    if (!known) {
      std::string message = "unknown field \"";
      message.append(key).append("\"; the fields are: ").append(list);
      return fail(Errc::kInvalidArgument, std::move(message), key);
    }
  }
  return outcome::success();
}

// expires_at (RFC 3339, or null to clear) or expires_in (a duration from now). Absent: nullopt;
// present: the inner optional is the new expiry or none.
Result<std::optional<std::optional<util::TimePoint>>> read_expiry(const Json& body,
                                                                  util::TimePoint now) {
  const auto at = body.find("expires_at");
  const auto in = body.find("expires_in");
  if (at != body.end() && in != body.end()) {
    return fail(Errc::kInvalidArgument, "send expires_at or expires_in, not both", "expires_in");
  }
  if (at != body.end()) {
    if (at->is_null()) {
      return std::optional<std::optional<util::TimePoint>>{std::optional<util::TimePoint>{}};
    }
    if (!at->is_string()) {
      return fail(Errc::kInvalidArgument,
                  "expires_at must be a time like 2030-01-31T17:00:00Z, or null", "expires_at");
    }
    VST_TRY(t, util::parse_rfc3339(at->get<std::string>(), "expires_at"));
    return std::optional<std::optional<util::TimePoint>>{t};
  }
  if (in != body.end()) {
    if (!in->is_string()) {
      return fail(Errc::kInvalidArgument, "expires_in must be a duration like 7d or 12h",
                  "expires_in");
    }
    auto d = util::parse_duration(in->get<std::string>());
    if (!d || d.value().count() <= 0) {
      return fail(Errc::kInvalidArgument, "expires_in must be a positive duration like 7d or 12h",
                  "expires_in");
    }
    return std::optional<std::optional<util::TimePoint>>{now + d.value()};
  }
  return std::optional<std::optional<util::TimePoint>>{};
}

Result<domain::Role> read_role(const Json& value) {
  const auto role =
      value.is_string() ? domain::role_from_string(value.get<std::string>()) : std::nullopt;
  if (!role) {
    return fail(Errc::kInvalidArgument, "role must be view, edit or manage", "role");
  }
  return *role;
}

Result<domain::LinkRequest> read_link_request(const Json& body, util::TimePoint now) {
  VST_TRYV(only_fields(body, {"kind", "role", "recipients", "expires_at", "expires_in", "password",
                              "block_download", "message"}));
  domain::LinkRequest r;
  VST_TRY(kind, optional_string(body, "kind"));
  if (kind) {
    r.kind = domain::link_kind_from_string(*kind);
    if (!r.kind) {
      return fail(Errc::kInvalidArgument, "kind must be anyone, organization, specific or existing",
                  "kind");
    }
  }
  if (const auto it = body.find("role"); it != body.end() && !it->is_null()) {
    VST_TRY(role, read_role(*it));
    r.role = role;
  }
  if (const auto it = body.find("recipients"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) {
      return fail(Errc::kInvalidArgument,
                  "recipients must be a list of addresses, like [\"ada@example.org\"]",
                  "recipients");
    }
    for (const auto& entry : *it) {
      domain::RecipientInput input;
      if (entry.is_string()) {
        input.address = entry.get<std::string>();
      } else if (entry.is_object() && entry.contains("address") && entry["address"].is_string()) {
        input.address = entry["address"].get<std::string>();
        if (const auto e = entry.find("expires_at"); e != entry.end() && !e->is_null()) {
          if (!e->is_string()) {
            return fail(Errc::kInvalidArgument,
                        "a recipient's expires_at must be a time like 2030-01-31T17:00:00Z",
                        "recipients");
          }
          VST_TRY(t, util::parse_rfc3339(e->get<std::string>(), "recipients"));
          input.expires_at = t;
        }
      } else {
        return fail(Errc::kInvalidArgument,
                    "each recipient is an address, or {\"address\": …, \"expires_at\": …}",
                    "recipients");
      }
      r.recipients.push_back(std::move(input));
    }
  }
  VST_TRY(expiry, read_expiry(body, now));
  if (expiry) {
    r.expires_at = *expiry;
  }
  VST_TRY(password, optional_string(body, "password"));
  r.password = std::move(password);
  VST_TRY(block, optional_bool(body, "block_download"));
  r.block_download = block.value_or(false);
  VST_TRY(message, optional_string(body, "message"));
  r.message = message.value_or("");
  return r;
}

}  // namespace

void add_link_routes(http::Router& router, Services& s) {
  using domain::Authenticated;

  router.post("/api/v1/items/{id}/links",
              signed_in(s,
                        [&s](http::Request& req, const Authenticated& who) -> Reply {
                          VST_TRY(id, id_param(req, 0, "item"));
                          VST_TRY(body, parse_object(req));
                          VST_TRY(request, read_link_request(body, s.clock.now()));
                          VST_TRY(created, s.sharing.create_link(principal_of(who), id, request));
                          VST_TRY(out, link_view(s, principal_of(who), created.link.link,
                                                 created.link.recipients));
                          out["token"] = created.token;
                          out["url"] = s.options.public_url + "/s/" + created.token;
                          return private_json(201, out);
                        }),
              s.options.max_json_body);

  router.get("/api/v1/links/{id}",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "link"));
               VST_TRY(found, s.sharing.link(principal_of(who), id));
               VST_TRY(out, link_view(s, principal_of(who), found.link, found.recipients));
               return private_json(200, out);
             }));

  router.patch(
      "/api/v1/links/{id}",
      signed_in(s,
                [&s](http::Request& req, const Authenticated& who) -> Reply {
                  VST_TRY(id, id_param(req, 0, "link"));
                  VST_TRY(body, parse_object(req));
                  VST_TRYV(only_fields(
                      body, {"role", "expires_at", "expires_in", "block_download", "password"}));
                  domain::LinkChange change;
                  if (const auto it = body.find("role"); it != body.end()) {
                    VST_TRY(role, read_role(*it));
                    change.role = role;
                  }
                  VST_TRY(expiry, read_expiry(body, s.clock.now()));
                  change.expires_at = expiry;
                  VST_TRY(block, optional_bool(body, "block_download"));
                  change.block_download = block;
                  if (const auto it = body.find("password"); it != body.end()) {
                    if (it->is_null()) {
                      change.password = std::optional<std::string>{};
                    } else if (it->is_string()) {
                      change.password = std::optional<std::string>{it->get<std::string>()};
                    } else {
                      return fail(Errc::kInvalidArgument,
                                  "password must be a string, or null to remove it", "password");
                    }
                  }
                  if (body.empty()) {
                    return fail(Errc::kInvalidArgument,
                                "send at least one of role, expires_at, expires_in, "
                                "block_download, password");
                  }
                  const auto principal = principal_of(who);
                  VST_TRYV(s.sharing.update_link(principal, id, change));
                  VST_TRY(found, s.sharing.link(principal, id));
                  VST_TRY(out, link_view(s, principal, found.link, found.recipients));
                  return private_json(200, out);
                }),
      s.options.max_json_body);

  router.del("/api/v1/links/{id}",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "link"));
               VST_TRYV(s.sharing.revoke_link(principal_of(who), id));
               return http::Response::empty(204);
             }));

  router.del("/api/v1/links/{id}/recipients/{address}",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "link"));
               VST_TRYV(s.sharing.remove_recipient(principal_of(who), id, req.params[1]));
               return http::Response::empty(204);
             }));

  router.post("/api/v1/items/{id}/grants",
              signed_in(s,
                        [&s](http::Request& req, const Authenticated& who) -> Reply {
                          VST_TRY(id, id_param(req, 0, "item"));
                          VST_TRY(body, parse_object(req));
                          VST_TRYV(only_fields(body, {"email", "role"}));
                          VST_TRY(email, required_string(body, "email"));
                          const auto role_field = body.find("role");
                          if (role_field == body.end()) {
                            return fail(Errc::kInvalidArgument,
                                        "role is required: view, edit or manage", "role");
                          }
                          VST_TRY(role, read_role(*role_field));
                          VST_TRY(grant, s.sharing.put_grant(principal_of(who), id, email, role));
                          return private_json(201, {{"id", grant.id},
                                                    {"item_id", grant.item_id},
                                                    {"email", grant.address},
                                                    {"display_name", grant.display_name},
                                                    {"role", to_string(grant.role)}});
                        }),
              s.options.max_json_body);

  router.del("/api/v1/grants/{id}",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "grant"));
               VST_TRYV(s.sharing.remove_grant(principal_of(who), id));
               return http::Response::empty(204);
             }));

  router.get("/api/v1/items/{id}/access-requests",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "item"));
               VST_TRY(requests, s.sharing.access_requests(principal_of(who), id));
               auto list = Json::array();
               for (const auto& r : requests) {
                 list.push_back(request_json(r));
               }
               return private_json(200, {{"requests", list}});
             }));

  for (const bool approve : {true, false}) {
    router.post(
        approve ? "/api/v1/access-requests/{id}/approve" : "/api/v1/access-requests/{id}/decline",
        signed_in(s,
                  [&s, approve](http::Request& req, const Authenticated& who) -> Reply {
                    VST_TRY(id, id_param(req, 0, "access request"));
                    const auto principal = principal_of(who);
                    VST_TRY(created, s.sharing.decide(principal, id, approve));
                    Json out = {{"state", approve ? "approved" : "declined"}};
                    if (created) {
                      VST_TRY(view, link_view(s, principal, created->link.link,
                                              created->link.recipients));
                      out["link"] = std::move(view);
                    }
                    return private_json(200, out);
                  }),
        s.options.max_json_body);
  }

  router.post(
      "/api/v1/items/{id}/recipients/check",
      signed_in(
          s,
          [&s](http::Request& req, const Authenticated& who) -> Reply {
            VST_TRY(id, id_param(req, 0, "item"));
            VST_TRY(body, parse_object(req));
            VST_TRYV(only_fields(body, {"addresses", "kind"}));
            const auto list = body.find("addresses");
            if (list == body.end() || !list->is_array()) {
              return fail(Errc::kInvalidArgument,
                          R"(send "addresses": a list of addresses as typed, like )"
                          R"(["ada@example.org"])",
                          "addresses");
            }
            std::vector<std::string> addresses;
            for (const auto& entry : *list) {
              if (!entry.is_string()) {
                return fail(Errc::kInvalidArgument, "every address must be a string", "addresses");
              }
              addresses.push_back(entry.get<std::string>());
            }
            VST_TRY(kind_text, optional_string(body, "kind"));
            std::optional<domain::LinkKind> kind;
            if (kind_text) {
              kind = domain::link_kind_from_string(*kind_text);
              if (!kind) {
                return fail(Errc::kInvalidArgument,
                            "kind must be anyone, organization, specific or existing", "kind");
              }
            }
            VST_TRY(checked, s.sharing.check_recipients(principal_of(who), id, addresses, kind));
            auto out = Json::array();
            for (const auto& c : checked) {
              out.push_back(recipient_check_json(c));
            }
            return private_json(200, {{"recipients", out}});
          }),
      s.options.max_json_body);

  router.get("/api/v1/items/{id}/sharing-options",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "item"));
               VST_TRY(options, s.sharing.link_options(principal_of(who), id));
               return private_json(200, link_options_json(options));
             }));

  router.get(
      "/api/v1/me/shares", signed_in(s, [&s](http::Request&, const Authenticated& who) -> Reply {
        VST_TRY(shared, s.sharing.shared_by(principal_of(who)));
        const auto now = s.clock.now();
        auto links = Json::array();
        for (const auto& l : shared) {
          Json j = link_json(l.link.link, l.link.recipients, l.policy, now, s.sharing);
          j["item"] = {{"id", l.item.id}, {"name", l.item.name}, {"kind", to_string(l.item.kind)}};
          links.push_back(std::move(j));
        }
        return private_json(200, {{"links", links}});
      }));

  router.get("/api/v1/access-requests",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               const auto state = req.query_param("state").value_or("pending");
               if (state != "pending" && state != "all") {
                 return fail(Errc::kInvalidArgument, "state must be pending or all", "state");
               }
               VST_TRY(requests,
                       s.sharing.requests_to_decide(principal_of(who), state == "pending"));
               auto list = Json::array();
               for (const auto& r : requests) {
                 Json j = request_json(r.request);
                 j["item"] = {{"id", r.item.id}, {"name", r.item.name}};
                 list.push_back(std::move(j));
               }
               return private_json(200, {{"requests", list}});
             }));

  router.post(
      "/api/v1/links/{id}/recipients/{address}/resend",
      signed_in(s,
                [&s](http::Request& req, const Authenticated& who) -> Reply {
                  VST_TRY(id, id_param(req, 0, "link"));
                  const auto principal = principal_of(who);
                  VST_TRY(recipient, s.sharing.resend_invitation(principal, id, req.params[1]));
                  VST_TRY(found, s.sharing.link(principal, id));
                  VST_TRY(item, s.files.get(principal, found.link.item_id));
                  VST_TRY(policy, s.authz.policy_in(item.space_id));
                  return private_json(
                      202,
                      recipient_json(recipient, s.sharing.delivery(id, recipient.address), policy));
                }),
      s.options.max_json_body);

  router.get("/api/v1/items/{id}/access",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "item"));
               VST_TRY(report, s.sharing.access(principal_of(who), id));
               const auto now = s.clock.now();
               const auto from = [&report](domain::Id item_id) -> Json {
                 std::string name = report.item.name;
                 for (const auto& a : report.ancestors) {
                   if (a.id == item_id) {
                     name = a.name;
                   }
                 }
                 return {{"item_id", item_id}, {"name", name}};
               };
               auto grants = Json::array();
               const domain::Id root = report.space.root_item_id;
               for (const auto& m : report.space_members) {
                 grants.push_back({{"source", "space"},
                                   {"principal",
                                    {{"kind", "member"},
                                     {"id", m.user_id},
                                     {"email", m.email},
                                     {"display_name", m.display_name}}},
                                   {"role", to_string(domain::role_of(m.role))},
                                   {"space_role", to_string(m.role)},
                                   {"inherited", root != report.item.id},
                                   {"from", from(root)}});
               }
               for (const auto& g : report.grants) {
                 grants.push_back({{"source", "grant"},
                                   {"id", g.id},
                                   {"principal",
                                    {{"kind", "member"},
                                     {"id", g.principal_id},
                                     {"email", g.address},
                                     {"display_name", g.display_name}}},
                                   {"role", to_string(g.role)},
                                   {"inherited", g.item_id != report.item.id},
                                   {"from", from(g.item_id)}});
               }
               auto links = Json::array();
               for (const auto& l : report.links) {
                 Json j = link_json(l.link, l.recipients, report.policy, now, s.sharing);
                 j["inherited"] = l.link.item_id != report.item.id;
                 j["from"] = from(l.link.item_id);
                 links.push_back(std::move(j));
               }
               return private_json(
                   200, {{"item", to_json(report.item)}, {"grants", grants}, {"links", links}});
             }));
}

}  // namespace vestibule::api
