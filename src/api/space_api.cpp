// /api/v1/spaces and their members and trash.
#include "api/routes.hpp"

namespace vestibule::api {

namespace {

nlohmann::json guest_json(const domain::SpaceGuest& g) {
  return {{"address", g.address},
          {"state", to_string(g.state)},
          {"role", to_string(g.role)},
          {"space_id", g.space_id}};
}

}  // namespace

void add_space_routes(http::Router& router, Services& s) {
  // Guests in a team space (visitor or member): added by its owners or an admin.
  router.add(
      {http::bhttp::verb::put,
       "/api/v1/spaces/{id}/guests/{address}",
       s.options.max_json_body,
       signed_in(
           s,
           [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
             VST_TRY(space_id, id_param(req, 0, "space"));
             VST_TRY(body, parse_object(req));
             VST_TRY(role_text, required_string(body, "role"));
             const auto role = domain::space_role_from_string(role_text);
             if (!role || *role == domain::SpaceRole::kOwner) {
               return fail(Errc::kInvalidArgument,
                           "\"role\" must be member or visitor: a guest cannot own a space",
                           "role");
             }
             VST_TRY(guest, s.spaces.set_guest(principal_of(who), space_id, req.params[1], *role));
             return private_json(200, guest_json(guest));
           }),
       {}});

  router.del(
      "/api/v1/spaces/{id}/guests/{address}",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(space_id, id_param(req, 0, "space"));
            VST_TRYV(s.spaces.remove_guest(principal_of(who), space_id, req.params[1]));
            return http::Response::empty(204);
          }));

  router.get("/api/v1/spaces",
             member_or_guest_route(
                 s, [&s](http::Request&, const domain::Principal& who) -> Result<http::Response> {
                   VST_TRY(spaces, s.spaces.list(who));
                   auto list = nlohmann::json::array();
                   for (const auto& entry : spaces) {
                     list.push_back(to_json(entry.space, entry.role));
                   }
                   return private_json(200, {{"spaces", list}});
                 }));

  router.get(
      "/api/v1/spaces/{id}/members",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(space_id, id_param(req, 0, "space"));
            VST_TRY(members, s.spaces.members(principal_of(who), space_id));
            auto list = nlohmann::json::array();
            for (const auto& m : members) {
              list.push_back(to_json(m));
            }
            VST_TRY(guests, s.spaces.guests(principal_of(who), space_id));
            auto guest_list = nlohmann::json::array();
            for (const auto& g : guests) {
              guest_list.push_back(guest_json(g));
            }
            return private_json(200, {{"members", list}, {"guests", guest_list}});
          }));

  router.add(
      {http::bhttp::verb::put,
       "/api/v1/spaces/{id}/members/{user_id}",
       s.options.max_json_body,
       signed_in(
           s,
           [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
             VST_TRY(space_id, id_param(req, 0, "space"));
             VST_TRY(user_id, id_param(req, 1, "member"));
             VST_TRY(body, parse_object(req));
             VST_TRY(role_text, required_string(body, "role"));
             const auto role = domain::space_role_from_string(role_text);
             if (!role) {
               return fail(Errc::kInvalidArgument, "\"role\" must be owner, member or visitor",
                           "role");
             }
             VST_TRY(member, s.spaces.set_member(principal_of(who), space_id, user_id, *role));
             return private_json(200, to_json(member));
           }),
       {}});

  router.del(
      "/api/v1/spaces/{id}/members/{user_id}",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(space_id, id_param(req, 0, "space"));
            VST_TRY(user_id, id_param(req, 1, "member"));
            VST_TRYV(s.spaces.remove_member(principal_of(who), space_id, user_id));
            return http::Response::empty(204);
          }));

  router.get(
      "/api/v1/spaces/{id}/trash",
      signed_in(
          s, [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
            VST_TRY(space_id, id_param(req, 0, "space"));
            VST_TRY(items, s.files.trashed(principal_of(who), space_id));
            auto list = nlohmann::json::array();
            for (const auto& item : items) {
              list.push_back(to_json(item));
            }
            return private_json(200, {{"items", list}});
          }));

  // What a space stores against its quota; an admin sets a space's own quota.
  const auto storage_json = [](const domain::Files::StorageUse& use) {
    return nlohmann::json{
        {"used_bytes", use.used_bytes},
        {"quota_bytes", use.quota_bytes ? nlohmann::json(*use.quota_bytes) : nlohmann::json()},
        {"quota_source", use.space_quota ? "space" : "default"}};
  };
  router.get(
      "/api/v1/spaces/{id}/storage",
      signed_in(s,
                [&s, storage_json](http::Request& req,
                                   const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(space_id, id_param(req, 0, "space"));
                  VST_TRY(use, s.files.storage(principal_of(who), space_id));
                  return private_json(200, storage_json(use));
                }));
  router.patch(
      "/api/v1/spaces/{id}/storage",
      signed_in(s,
                [&s, storage_json](http::Request& req,
                                   const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(space_id, id_param(req, 0, "space"));
                  VST_TRY(body, parse_object(req));
                  const auto field = body.find("quota_bytes");
                  if (field == body.end() ||
                      !(field->is_null() || field->is_number_unsigned() ||
                        (field->is_number_integer() && field->get<std::int64_t>() >= 0))) {
                    return fail(Errc::kInvalidArgument,
                                "send \"quota_bytes\": a number of bytes, 0 for no quota, or "
                                "null for the server's default (storage.space_quota)",
                                "quota_bytes");
                  }
                  std::optional<std::int64_t> quota;
                  if (!field->is_null()) {
                    quota = field->get<std::int64_t>();
                  }
                  VST_TRY(use, s.files.set_quota(principal_of(who), space_id, quota));
                  return private_json(200, storage_json(use));
                }),
      s.options.max_json_body);

  // A space's own sharing policy: only what it tightens, and the policy in force inside it.
  const auto settings_json = [&s](domain::Id space_id,
                                  const domain::SpacePolicy& own) -> Result<nlohmann::json> {
    VST_TRY(effective, s.authz.policy_in(space_id));
    return nlohmann::json{{"space", domain::to_json(own)},
                          {"effective", domain::to_json(effective)}};
  };

  router.get(
      "/api/v1/spaces/{id}/settings",
      signed_in(s,
                [&s, settings_json](http::Request& req,
                                    const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(id, id_param(req, 0, "space"));
                  VST_TRY(own, s.sharing.space_settings(principal_of(who), id));
                  VST_TRY(out, settings_json(id, own));
                  return private_json(200, out);
                }));

  router.patch(
      "/api/v1/spaces/{id}/settings",
      signed_in(s,
                [&s, settings_json](http::Request& req,
                                    const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(id, id_param(req, 0, "space"));
                  VST_TRY(body, parse_object(req));
                  VST_TRY(own, s.sharing.change_space_settings(principal_of(who), id, body));
                  VST_TRY(out, settings_json(id, own));
                  return private_json(200, out);
                }),
      s.options.max_json_body);
}

}  // namespace vestibule::api
