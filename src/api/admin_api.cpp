// /api/v1/admin: members and team spaces.
#include "api/routes.hpp"

namespace vestibule::api {

void add_admin_routes(http::Router& router, Services& s) {
  router.post(
      "/api/v1/admin/users",
      signed_in(s,
                [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRYV(s.authz.authorize_admin(principal_of(who)));
                  VST_TRY(body, parse_object(req));
                  VST_TRY(email, required_string(body, "email"));
                  VST_TRY(password, required_string(body, "password"));
                  VST_TRY(display_name, optional_string(body, "display_name"));
                  VST_TRY(role_text, optional_string(body, "role"));
                  const auto role = role_text.value_or("user");
                  if (role != "user" && role != "admin") {
                    return fail(Errc::kInvalidArgument, "\"role\" must be user or admin", "role");
                  }
                  VST_TRY(user, s.members.add_user(email, password, display_name.value_or(""),
                                                   role == "admin" ? domain::UserRole::kAdmin
                                                                   : domain::UserRole::kUser));
                  return private_json(201, to_json(user));
                }),
      s.options.max_json_body);

  router.get("/api/v1/admin/users",
             signed_in(s, [&s](http::Request&, const domain::Authenticated& who)
                              -> Result<http::Response> {
               VST_TRYV(s.authz.authorize_admin(principal_of(who)));
               VST_TRY(users, s.members.list_users());
               auto list = nlohmann::json::array();
               for (const auto& user : users) {
                 auto j = to_json(user);
                 j["disabled"] = user.disabled;
                 list.push_back(std::move(j));
               }
               return private_json(200, {{"users", list}});
             }));

  router.post(
      "/api/v1/admin/spaces",
      signed_in(s,
                [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(body, parse_object(req));
                  VST_TRY(name, required_string(body, "name"));
                  VST_TRY(space, s.spaces.create_team(principal_of(who), name));
                  return private_json(201, to_json(space, domain::SpaceRole::kOwner));
                }),
      s.options.max_json_body);

  router.get("/api/v1/admin/settings",
             signed_in(s, [&s](http::Request&, const domain::Authenticated& who)
                              -> Result<http::Response> {
               VST_TRY(policy, s.sharing.org_settings(principal_of(who)));
               return private_json(200, domain::to_json(policy));
             }));

  router.patch(
      "/api/v1/admin/settings",
      signed_in(s,
                [&s](http::Request& req, const domain::Authenticated& who) -> Result<http::Response> {
                  VST_TRY(body, parse_object(req));
                  VST_TRY(policy, s.sharing.change_org_settings(principal_of(who), body));
                  return private_json(200, domain::to_json(policy));
                }),
      s.options.max_json_body);
}

}  // namespace vestibule::api
