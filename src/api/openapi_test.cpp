// The OpenAPI document served at /api/v1/openapi.json describes exactly the router's routes.
#include "api/routes.hpp"
#include "support/store_fixture.hpp"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vestibule::generated {
std::string_view openapi_document();
}

namespace vestibule::api {
namespace {

std::set<std::pair<std::string, std::string>> router_routes() {
  testing::StoreFixture f;
  http::Metrics metrics;
  http::Router router;
  Services services{f.members,
                    f.files,
                    f.spaces,
                    f.sharing,
                    f.authz,
                    f.verification,
                    f.audit,
                    f.directory,
                    f.api_tokens,
                    f.session_list,
                    f.clock,
                    &f.clock,
                    nullptr,
                    ApiOptions{},
                    [] { return nlohmann::json::array(); },
                    {}};  // no state stamp: every request is decided
  add_all_routes(router, services, metrics);
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& route : router.routes()) {
    std::string method(http::bhttp::to_string(route.method));
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.emplace(method, route.pattern);
  }
  return out;
}

std::set<std::pair<std::string, std::string>> documented_routes(const nlohmann::json& doc) {
  static const std::set<std::string> kMethods = {"get", "put", "post", "patch", "delete", "head"};
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [path, operations] : doc.at("paths").items()) {
    for (const auto& [method, operation] : operations.items()) {
      if (kMethods.contains(method)) {
        out.emplace(method, path);
      }
    }
  }
  return out;
}

TEST(OpenApi, IsAnOpenApi3Document) {
  const auto doc = nlohmann::json::parse(generated::openapi_document());
  EXPECT_TRUE(doc.at("openapi").get<std::string>().starts_with("3."));
}

TEST(OpenApi, DocumentsExactlyTheRoutesTheRouterServes) {
  const auto doc = nlohmann::json::parse(generated::openapi_document());
  const auto served = router_routes();
  const auto documented = documented_routes(doc);
  for (const auto& [method, path] : served) {
    EXPECT_TRUE(documented.contains({method, path}))
        << "undocumented route: " << method << " " << path;
  }
  for (const auto& [method, path] : documented) {
    EXPECT_TRUE(served.contains({method, path}))
        << "documented but not served: " << method << " " << path;
  }
}

}  // namespace
}  // namespace vestibule::api
