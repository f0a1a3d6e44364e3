#include "http/router.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace vestibule::http {
namespace {

Handler answer(unsigned status) {
  return [status](Request&) { return Response::empty(status); };
}

StreamHandler refuse_stream() {
  return [](Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
    return Response::empty(403);
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.get("/healthz", answer(200));
    router_.get("/api/v1/items/{id}", answer(200));
    router_.patch("/api/v1/items/{id}", answer(200), 1024);
    router_.del("/api/v1/items/{id}", answer(204));
    router_.get("/api/v1/items/{id}/versions/{version}/content", answer(200));
    router_.put_stream("/api/v1/items/{id}/files/{name}", refuse_stream(), 1 << 20);
    router_.get("/api/v1/items/search", answer(200));
    router_.get("/", answer(200));
  }
  Router router_;
};

TEST_F(RouterTest, LiteralPathMatches) {
  const auto match = router_.match(bhttp::verb::get, "/healthz");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/healthz");
  EXPECT_TRUE(match.params.empty());
  EXPECT_TRUE(match.allowed.empty());
}

TEST_F(RouterTest, RootMatches) {
  const auto match = router_.match(bhttp::verb::get, "/");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/");
}

TEST_F(RouterTest, ParametersAreCapturedInPatternOrder) {
  const auto match = router_.match(bhttp::verb::get, "/api/v1/items/42/versions/3/content");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/api/v1/items/{id}/versions/{version}/content");
  EXPECT_EQ(match.params, (std::vector<std::string>{"42", "3"}));
}

TEST_F(RouterTest, ParametersArePercentDecoded) {
  const auto match = router_.match(bhttp::verb::put, "/api/v1/items/7/files/na%C3%AFve%20plan.txt");
  ASSERT_NE(match.route, nullptr);
  EXPECT_TRUE(static_cast<bool>(match.route->stream));
  EXPECT_EQ(match.route->body_limit, 1U << 20);
  EXPECT_EQ(match.params, (std::vector<std::string>{"7", "na\xC3\xAFve plan.txt"}));
}

TEST_F(RouterTest, EncodedSlashStaysInsideOneParameter) {
  const auto match = router_.match(bhttp::verb::put, "/api/v1/items/7/files/a%2Fb");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.params, (std::vector<std::string>{"7", "a/b"}));
}

TEST_F(RouterTest, PlusIsNotASpaceInPaths) {
  const auto match = router_.match(bhttp::verb::put, "/api/v1/items/7/files/a+b");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.params[1], "a+b");
}

TEST_F(RouterTest, TrailingSlashDoesNotMatch) {
  const auto match = router_.match(bhttp::verb::get, "/healthz/");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_TRUE(match.allowed.empty());
}

TEST_F(RouterTest, EmptySegmentDoesNotMatchAParameter) {
  EXPECT_EQ(router_.match(bhttp::verb::get, "/api/v1/items/").route, nullptr);
  EXPECT_EQ(router_.match(bhttp::verb::get, "/api/v1/items//versions/1/content").route, nullptr);
}

TEST_F(RouterTest, ExtraOrMissingSegmentsDoNotMatch) {
  EXPECT_EQ(router_.match(bhttp::verb::get, "/api/v1/items/1/2").route, nullptr);
  EXPECT_EQ(router_.match(bhttp::verb::get, "/api/v1").route, nullptr);
  EXPECT_EQ(router_.match(bhttp::verb::get, "/nope").route, nullptr);
}

TEST_F(RouterTest, LiteralSegmentIsPreferredOverParameter) {
  const auto match = router_.match(bhttp::verb::get, "/api/v1/items/search");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/api/v1/items/search");
  EXPECT_TRUE(match.params.empty());
}

TEST_F(RouterTest, OtherMethodListsAllowedMethods) {
  const auto match = router_.match(bhttp::verb::post, "/api/v1/items/9");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_EQ(match.allowed,
            (std::vector<bhttp::verb>{bhttp::verb::get, bhttp::verb::patch, bhttp::verb::delete_}));
}

TEST_F(RouterTest, UnknownPathHasNoAllowedMethods) {
  const auto match = router_.match(bhttp::verb::post, "/api/v2/items/9");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_TRUE(match.allowed.empty());
}

TEST_F(RouterTest, MatchedRouteHasEmptyAllowedList) {
  const auto match = router_.match(bhttp::verb::delete_, "/api/v1/items/9");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->method, bhttp::verb::delete_);
  EXPECT_TRUE(match.allowed.empty());
}

TEST_F(RouterTest, PathWithoutLeadingSlashDoesNotMatch) {
  EXPECT_EQ(router_.match(bhttp::verb::get, "healthz").route, nullptr);
  EXPECT_EQ(router_.match(bhttp::verb::get, "").route, nullptr);
}

TEST(RouterFallback, AnswersGetOnPathsNoRouteMatches) {
  Router router;
  router.get("/api/v1/items/{id}", answer(200));
  router.fallback("app", answer(200));
  for (const std::string_view path : {"/", "/s/abc", "/admin", "/admin/policy", "/files/7"}) {
    const auto match = router.match(bhttp::verb::get, path);
    ASSERT_NE(match.route, nullptr) << path;
    EXPECT_EQ(match.route->pattern, "app") << path;
  }
  EXPECT_EQ(router.match(bhttp::verb::get, "/api/v1/items/7").route->pattern, "/api/v1/items/{id}");
}

TEST(RouterFallback, ReservedPrefixesKeepTheirNotFound) {
  Router router;
  router.fallback("app", answer(200));
  for (const std::string_view path :
       {"/api", "/api/v1/nothing", "/dav/x", "/healthz", "/readyz", "/metrics", "/metrics/x"}) {
    const auto match = router.match(bhttp::verb::get, path);
    EXPECT_EQ(match.route, nullptr) << path;
    EXPECT_TRUE(match.allowed.empty()) << path;
  }
  // Only whole segments are reserved: the app owns /apis and /metrics-dashboard.
  EXPECT_NE(router.match(bhttp::verb::get, "/apis").route, nullptr);
  EXPECT_NE(router.match(bhttp::verb::get, "/metrics-dashboard").route, nullptr);
}

TEST(RouterFallback, OtherMethodsAreOfferedGetOnly) {
  Router router;
  router.fallback("app", answer(200));
  const auto head = router.match(bhttp::verb::head, "/s/abc");
  EXPECT_EQ(head.route, nullptr);
  EXPECT_EQ(head.allowed, std::vector<bhttp::verb>{bhttp::verb::get});
  const auto post = router.match(bhttp::verb::post, "/s/abc");
  EXPECT_EQ(post.route, nullptr);
  EXPECT_EQ(post.allowed, std::vector<bhttp::verb>{bhttp::verb::get});  // a 405 with Allow: GET
}

TEST(RouterAdd, RefusesRouteWithoutExactlyOneHandler) {
  Router router;
  EXPECT_THROW(router.add(Route{bhttp::verb::get, "/x", 0, {}, {}}), std::invalid_argument);
  EXPECT_THROW(router.add(Route{bhttp::verb::get, "x", 0, answer(200), {}}), std::invalid_argument);
  EXPECT_TRUE(router.routes().empty());
}

}  // namespace
}  // namespace vestibule::http
