#include "http/message.hpp"

#include "http/request_context.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vestibule::http {
namespace {

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(percent_decode("a%20b%2Fc%c3%a9"), "a b/c\xC3\xA9");
}

TEST(PercentDecode, KeepsMalformedEscapesLiterally) {
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("%%41"), "%A");
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b%2B", true), "a b+");
}

TEST(PercentDecode, DecodesNulByte) { EXPECT_EQ(percent_decode("a%00b"), std::string("a\0b", 3)); }

TEST(RequestQueryParam, FindsDecodedValues) {
  Request request;
  request.query = "q=hello+world&path=%2Fdocs%2Fa&flag&empty=&q=second";
  EXPECT_EQ(request.query_param("q"), "hello world");  // the first one wins
  EXPECT_EQ(request.query_param("path"), "/docs/a");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_EQ(request.query_param("empty"), "");
  EXPECT_EQ(request.query_param("missing"), std::nullopt);
}

TEST(RequestQueryParam, MatchesDecodedKeys) {
  Request request;
  request.query = "a%20b=1&&c=2";
  EXPECT_EQ(request.query_param("a b"), "1");
  EXPECT_EQ(request.query_param("c"), "2");
}

TEST(RequestQueryParam, EmptyQueryHasNoParams) {
  Request request;
  EXPECT_EQ(request.query_param("q"), std::nullopt);
}

TEST(RequestHeader, IsCaseInsensitiveAndEmptyWhenAbsent) {
  Request request;
  request.headers.set("X-Thing", "value");
  EXPECT_EQ(request.header("x-thing"), "value");
  EXPECT_EQ(request.header("X-Other"), "");
}

TEST(ErrorResponse, HasJsonShapeAndContentType) {
  const auto response = error_response(404, "not_found", "no such item");
  EXPECT_EQ(response.status, 404U);
  ASSERT_EQ(response.headers.size(), 1U);
  EXPECT_EQ(response.headers[0].first, "Content-Type");
  EXPECT_EQ(response.headers[0].second, "application/json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body,
            (nlohmann::json{{"error", {{"code", "not_found"}, {"message", "no such item"}}}}));
}

TEST(ResponseJson, InvalidUtf8DoesNotThrow) {
  const auto response = Response::json(200, {{"name", "bad\xFF"}});
  EXPECT_EQ(response.status, 200U);
  EXPECT_TRUE(nlohmann::json::accept(response.body));
}

TEST(ResponseEmpty, HasNoBodyOrHeaders) {
  const auto response = Response::empty(204);
  EXPECT_EQ(response.status, 204U);
  EXPECT_TRUE(response.body.empty());
  EXPECT_TRUE(response.headers.empty());
  EXPECT_FALSE(response.file.has_value());
}

TEST(ResponseSet, ReplacesCaseInsensitivelyOrAppends) {
  auto response = Response::json(200, nlohmann::json::object());
  response.set("content-type", "text/plain").set("ETag", "\"x\"");
  ASSERT_EQ(response.headers.size(), 2U);
  EXPECT_EQ(response.headers[0].first, "Content-Type");
  EXPECT_EQ(response.headers[0].second, "text/plain");
  EXPECT_EQ(response.headers[1].second, "\"x\"");
}

TEST(FileHandle, ClosesItsDescriptorAndMovesOwnership) {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  {
    FileHandle first(fd);
    FileHandle second(std::move(first));
    EXPECT_EQ(first.get(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(second.get(), fd);
    FileHandle third;
    third = std::move(second);
    EXPECT_EQ(third.get(), fd);
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed exactly once, by `third`
}

TEST(RequestIdScope, SetsAndRestoresTheCurrentId) {
  EXPECT_EQ(current_request_id(), "-");
  {
    RequestIdScope outer("outer");
    EXPECT_EQ(current_request_id(), "outer");
    {
      RequestIdScope inner("inner");
      EXPECT_EQ(current_request_id(), "inner");
    }
    EXPECT_EQ(current_request_id(), "outer");
  }
  EXPECT_EQ(current_request_id(), "-");
}

}  // namespace
}  // namespace vestibule::http
