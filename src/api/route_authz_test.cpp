// Every route asks the authorization point. Each route of the router is called in-process with a
// well-formed request from a signed-in member who has no access to the items, links and spaces
// named in the path; the number of authorization decisions must grow during the call. Routes that
// act only on the caller's own account, or on nothing private, are listed below with the reason;
// a new route is in neither list until someone decides, so adding one fails this test.
#include "api/routes.hpp"
#include "support/store_fixture.hpp"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace vestibule::api {
namespace {

using http::bhttp::verb;

// Routes that need no authorization decision, and why.
const std::map<std::string, std::string> kNoItemAccess = {
    {"GET /healthz", "public probe"},
    {"GET /readyz", "public probe"},
    {"GET /metrics", "aggregate counters, no content"},
    {"GET /api/v1/openapi.json", "public document"},
    {"POST /api/v1/dev/clock", "test clock, only with --test-clock"},
    {"POST /api/v1/session", "sign-in itself"},
    {"POST /api/v1/session/code",
     "sign-in itself: records a code request for the typed address, the same for every address"},
    {"POST /api/v1/session/code/confirm", "sign-in itself: the caller's own code"},
    {"POST /api/v1/verification/one-time",
     "the caller's own one-time link; through a link, Verification::confirm checks it"},
    {"DELETE /api/v1/session", "the caller's own session"},
    {"GET /api/v1/me", "the caller's own account"},
    {"POST /api/v1/me/password", "the caller's own account"},
    {"GET /api/v1/me/sessions", "the caller's own sessions"},
    {"DELETE /api/v1/me/sessions/{id}", "the caller's own sessions (Sessions::revoke_own)"},
    {"GET /api/v1/me/tokens", "the caller's own API tokens"},
    {"POST /api/v1/me/tokens", "the caller's own API tokens"},
    {"DELETE /api/v1/me/tokens/{id}", "the caller's own API tokens (ApiTokens::revoke)"},
    {"GET /api/v1/spaces", "lists only the caller's own memberships"},
    {"GET /api/v1/shared-with-me",
     "lists only the caller's own grants, each checked by the authorization point"},
    {"GET /api/v1/dev/mail", "development mailbox: admins only, authorize_admin"},
    {"GET /dev/mail", "development mailbox: admins only, authorize_admin"},
    // Listings across items: each listed item is authorized (share permission) before it is
    // listed, so a caller with nothing to list asks nothing; CrossItemListings checks them.
    {"GET /api/v1/me/shares", "the caller's own links, each item authorized before listing"},
    {"GET /api/v1/access-requests", "requests on items the caller may share, each authorized"},
};

// A well-formed body for each route that takes one, so that the call reaches its decision.
const std::map<std::string, std::string> kBodies = {
    {"POST /api/v1/items/{id}/children", R"({"name":"new folder"})"},
    {"PATCH /api/v1/items/{id}", R"({"name":"renamed"})"},
    {"POST /api/v1/items/{id}/restore", R"({})"},
    {"POST /api/v1/items/{id}/links", R"({"kind":"organization"})"},
    {"POST /api/v1/items/{id}/grants", R"({"email":"ada@example.org","role":"view"})"},
    {"PATCH /api/v1/links/{id}", R"({"role":"edit"})"},
    {"POST /api/v1/admin/users", R"({"email":"new@example.org","password":"long enough"})"},
    {"POST /api/v1/admin/spaces", R"({"name":"Team"})"},
    {"PATCH /api/v1/admin/settings", R"({"reverify_after":"7d"})"},
    {"PATCH /api/v1/spaces/{id}/settings", R"({"external_sharing":"internal_only"})"},
    {"PUT /api/v1/spaces/{id}/members/{user_id}", R"({"role":"member"})"},
    {"PATCH /api/v1/spaces/{id}/storage", R"({"quota_bytes":1048576})"},
    {"POST /api/v1/shares/{token}/items/{id}/children", R"({"name":"new folder"})"},
    {"PATCH /api/v1/shares/{token}/items/{id}", R"({"name":"renamed"})"},
    {"POST /api/v1/shares/{token}/password", R"({"password":"not it at all"})"},
    {"POST /api/v1/shares/{token}/verification", R"({"email":"ada@example.org"})"},
    {"POST /api/v1/shares/{token}/access-requests", R"({"email":"ada@example.org"})"},
    {"PATCH /api/v1/admin/external-identities/{address}", R"({"state":"blocked"})"},
    {"PUT /api/v1/spaces/{id}/guests/{address}", R"({"role":"member"})"},
    {"POST /api/v1/items/{id}/recipients/check", R"({"addresses":["ada@example.org"]})"},
    {"PATCH /api/v1/admin/users/{id}", R"({"display_name":"Renamed"})"},
    {"POST /api/v1/admin/users/{id}/reset-password", R"({})"},
    {"POST /api/v1/shares/{token}/verification/confirm",
     R"({"email":"ada@example.org","code":"12345678"})"},
    {"POST /api/v1/shared-with-me/{link_id}/items/{id}/children", R"({"name":"new folder"})"},
    {"PATCH /api/v1/shared-with-me/{link_id}/items/{id}", R"({"name":"renamed"})"},
    {"POST /api/v1/shared-with-me/{link_id}/access-requests", R"({"email":"ada@example.org"})"},
};

std::string key_of(const http::Route& route) {
  return std::string(http::bhttp::to_string(route.method)) + " " + route.pattern;
}

class RouteAuthorization : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto admin = f_.add_user("admin@example.org", true);
    owner_ = f_.add_user("owner@example.org");
    const auto caller = f_.add_user("caller@example.org");
    f_.add_user("ada@example.org");
    ASSERT_TRUE(f_.sharing.change_org_settings(f_.as(admin), {{"external_sharing", "anyone"}}));
    const auto folder =
        f_.files.create_folder(f_.as(owner_), f_.personal_root(owner_), "private").value();
    file_ = f_.upload(f_.as(owner_), folder.id, "secret.txt", "secret");
    ASSERT_TRUE(f_.files.trash(f_.as(owner_), file_.id));
    ASSERT_TRUE(f_.files.restore(f_.as(owner_), file_.id, std::nullopt));
    domain::LinkRequest request;
    request.kind = domain::LinkKind::kSpecific;
    request.recipients = {{"ada@example.org", {}}};
    const auto link = f_.sharing.create_link(f_.as(owner_), folder.id, request).value();
    token_ = link.token;
    link_id_ = link.link.link.id;
    folder_id_ = folder.id;
    owner_space_ = f_.spaces.list(f_.as(owner_)).value().front().space.id;
    grant_id_ =
        f_.sharing.put_grant(f_.as(owner_), folder.id, "ada@example.org", domain::Role::kView)
            .value()
            .id;
    const auto signed_in =
        f_.members.sign_in("caller@example.org", "correct horse", {"127.0.0.1", "test"});
    ASSERT_TRUE(signed_in);
    cookie_ = "vestibule_session=" + signed_in.value().token;
    bearer_ =
        "Bearer " + f_.api_tokens.create(signed_in.value().user, "script", "write", std::nullopt)
                        .value()
                        .secret;
    domain::Principal holder;
    holder.via = f_.sharing.find_by_token(token_).value();
    ASSERT_TRUE(f_.sharing.request_access(holder, "eve@partner.example", ""));
    request_id_ = f_.sharing_store.access_requests(folder.id).value().front().id;
    add_all_routes(router_, services_, metrics_);
  }

  // The route's path with every parameter naming something of the owner's.
  std::string param_for(const std::string& name, const std::string& pattern) const {
    if (name == "token") {
      return token_;
    }
    if (name == "link_id") {
      return std::to_string(link_id_);
    }
    if (name == "id") {
      if (pattern.starts_with("/api/v1/links/")) {
        return std::to_string(link_id_);
      }
      if (pattern.starts_with("/api/v1/spaces/")) {
        return std::to_string(owner_space_);
      }
      if (pattern.starts_with("/api/v1/access-requests/")) {
        return std::to_string(request_id_);
      }
      if (pattern.starts_with("/api/v1/admin/users/")) {
        return std::to_string(owner_.id);
      }
      if (pattern.starts_with("/api/v1/grants/")) {
        return std::to_string(grant_id_);
      }
      if ((pattern.starts_with("/api/v1/shares/") ||
           pattern.starts_with("/api/v1/shared-with-me/")) &&
          pattern.find("children") != std::string::npos) {
        return std::to_string(folder_id_);
      }
      return std::to_string(pattern.find("children") != std::string::npos ||
                                    pattern.find("/files/") != std::string::npos
                                ? folder_id_
                                : file_.id);
    }
    if (name == "user_id") {
      return std::to_string(owner_.id);
    }
    if (name == "version") {
      return "1";
    }
    if (name == "address") {
      return "ada@example.org";
    }
    return "x.txt";  // {name}
  }

  // The caller's request for `route`: with their session cookie, or (`bearer`) with their
  // write-scope API token and no cookie.
  http::Request request_for(const http::Route& route, bool bearer = false) const {
    http::Request req;
    req.method = route.method;
    req.path = route.pattern;
    std::string path;
    std::size_t at = 0;
    while (at < route.pattern.size()) {
      const auto open = route.pattern.find('{', at);
      if (open == std::string::npos) {
        path += route.pattern.substr(at);
        break;
      }
      const auto close = route.pattern.find('}', open);
      const std::string name = route.pattern.substr(open + 1, close - open - 1);
      path += route.pattern.substr(at, open - at);
      const std::string value = param_for(name, route.pattern);
      path += value;
      req.params.push_back(value);
      at = close + 1;
    }
    req.path = path;
    req.target = path;
    if (bearer) {
      req.headers.set("Authorization", bearer_);
    } else {
      req.headers.set("Cookie", cookie_);
    }
    req.client_address = "127.0.0.1";
    if (const auto body = kBodies.find(key_of(route)); body != kBodies.end()) {
      req.body = body->second;
      req.content_length = req.body.size();
    }
    return req;
  }

  testing::StoreFixture f_;
  http::Metrics metrics_;
  http::Router router_;
  Services services_{f_.members,
                     f_.files,
                     f_.spaces,
                     f_.sharing,
                     f_.authz,
                     f_.verification,
                     f_.audit,
                     f_.directory,
                     f_.api_tokens,
                     f_.session_list,
                     f_.clock,
                     &f_.clock,
                     nullptr,
                     ApiOptions{},
                     [] { return nlohmann::json::array(); },
                     {}};  // no state stamp: every request is decided
  domain::User owner_;
  domain::Item file_;
  std::string token_;
  std::string cookie_;
  std::string bearer_;
  domain::Id link_id_ = 0;
  domain::Id folder_id_ = 0;
  domain::Id owner_space_ = 0;
  domain::Id grant_id_ = 0;
  domain::Id request_id_ = 0;
};

// With a session cookie and with an API token alike: bearer calls are authenticated in the same
// place and reach the same decisions.
TEST_F(RouteAuthorization, EveryRouteAsksTheAuthorizationPoint) {
  std::set<std::string> seen;
  for (const auto& route : router_.routes()) {
    for (const bool bearer : {false, true}) {
      const std::string key = key_of(route);
      seen.insert(key);
      if (kNoItemAccess.contains(key)) {
        continue;
      }
      http::Request req = request_for(route, bearer);
      const auto before = domain::authorization_checks();
      unsigned status = 0;
      if (route.handler) {
        status = route.handler(req).status;
      } else {
        auto answer = route.stream(req);
        if (auto* response = std::get_if<http::Response>(&answer)) {
          status = response->status;
        }
      }
      EXPECT_GT(domain::authorization_checks(), before)
          << key << (bearer ? " (API token)" : "") << " answered " << status
          << " without asking the authorization point";
    }
  }
  for (const auto& [key, why] : kNoItemAccess) {
    EXPECT_TRUE(seen.contains(key)) << "listed but not served: " << key;
  }
}

// The caller has no access to anything named in the paths: nothing succeeds except the anyone-
// agnostic share summary (which tells a non-recipient what is needed, not the content).
TEST_F(RouteAuthorization, NothingOfTheOwnersIsReachableByAnotherMember) {
  for (const auto& route : router_.routes()) {
    for (const bool bearer : {false, true}) {
      const std::string key = key_of(route);
      // The share summary and a code request answer anyone holding the token, the same way for
      // everyone (what the link needs; "a code is on its way if you were invited").
      if (kNoItemAccess.contains(key) || key == "GET /api/v1/shares/{token}" ||
          key == "POST /api/v1/shares/{token}/verification" ||
          key == "POST /api/v1/shares/{token}/access-requests") {
        continue;
      }
      http::Request req = request_for(route, bearer);
      unsigned status = 0;
      if (route.handler) {
        status = route.handler(req).status;
      } else {
        auto answer = route.stream(req);
        auto* response = std::get_if<http::Response>(&answer);
        ASSERT_NE(response, nullptr) << key << " accepted an upload";
        status = response->status;
      }
      EXPECT_GE(status, 400U) << key << (bearer ? " (API token)" : "");
      EXPECT_LT(status, 500U) << key << (bearer ? " (API token)" : "");
    }
  }
}

// The listings across items show another member nothing of the owner's, and show the owner their
// link and the request for access on their folder, asking the authorization point for each.
TEST_F(RouteAuthorization, CrossItemListingsShowOnlyWhatTheCallerMayShare) {
  const auto call = [this](const std::string& key, const std::string& cookie) {
    for (const auto& route : router_.routes()) {
      if (key_of(route) == key) {
        http::Request req = request_for(route);
        req.headers.set("Cookie", cookie);
        return route.handler(req);
      }
    }
    ADD_FAILURE() << "not served: " << key;
    return http::Response::empty(500);
  };
  const auto owner_in =
      f_.members.sign_in("owner@example.org", "correct horse", {"127.0.0.1", "test"});
  ASSERT_TRUE(owner_in);
  const std::string owner_cookie = "vestibule_session=" + owner_in.value().token;

  for (const auto& [key, list] :
       {std::pair<std::string, std::string>{"GET /api/v1/me/shares", "links"},
        {"GET /api/v1/access-requests", "requests"}}) {
    const auto theirs = call(key, cookie_);
    ASSERT_EQ(theirs.status, 200U) << key;
    EXPECT_TRUE(nlohmann::json::parse(theirs.body).at(list).empty()) << key;

    const auto before = domain::authorization_checks();
    const auto mine = call(key, owner_cookie);
    ASSERT_EQ(mine.status, 200U) << key;
    EXPECT_GT(domain::authorization_checks(), before) << key;
    const auto listed = nlohmann::json::parse(mine.body).at(list);
    ASSERT_EQ(listed.size(), 1U) << key << " " << mine.body;
    EXPECT_EQ(listed[0].at("item").at("id").get<domain::Id>(), folder_id_) << key;
  }
}

}  // namespace
}  // namespace vestibule::api
