#include "http/access_log.hpp"

#include "util/crypto.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vestibule::http {
namespace {

TEST(RedactPath, HashesShareTokens) {
  const auto hash = "~" + util::sha256_hex("SECRETTOKEN").substr(0, 8);
  EXPECT_EQ(redact_path("/s/SECRETTOKEN"), "/s/" + hash);
  EXPECT_EQ(redact_path("/api/v1/shares/SECRETTOKEN"), "/api/v1/shares/" + hash);
}

TEST(RedactPath, HashesEverySegmentAfterTheMarker) {
  const auto redacted = redact_path("/s/SECRETTOKEN/files/report.pdf");
  EXPECT_EQ(redacted.find("SECRETTOKEN"), std::string::npos);
  EXPECT_EQ(redacted.find("report"), std::string::npos);
  EXPECT_EQ(redacted.rfind("/s/~", 0), 0U);
}

TEST(RedactPath, SeesThroughEncodedMarkers) {
  EXPECT_EQ(redact_path("/%73hares/SECRETTOKEN").find("SECRETTOKEN"), std::string::npos);
  EXPECT_EQ(redact_path("/S/SECRETTOKEN").find("SECRETTOKEN"), std::string::npos);
}

TEST(RedactPath, LeavesOtherPathsAlone) {
  EXPECT_EQ(redact_path("/api/v1/items/42/content"), "/api/v1/items/42/content");
  EXPECT_EQ(redact_path("/api/v1/shares"), "/api/v1/shares");
  EXPECT_EQ(redact_path("/"), "/");
}

TEST(RedactPath, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(redact_path("/a\"b\nc"), "/a%22b%0Ac");
}

AccessLogEntry sample_entry() {
  AccessLogEntry entry;
  entry.client = "127.0.0.1";
  entry.method = "GET";
  entry.path = "/s/SECRETTOKEN";
  entry.route = "/s/{token}";
  entry.request_id = "rid-1";
  entry.status = 200;
  entry.bytes_in = 10;
  entry.bytes_out = 20;
  entry.duration = std::chrono::microseconds(1500);
  return entry;
}

TEST(AccessLogLine, TextFormat) {
  const auto line = AccessLog::format_line(AccessLogFormat::kText, sample_entry(),
                                           std::chrono::system_clock::now());
  const auto hash = "~" + util::sha256_hex("SECRETTOKEN").substr(0, 8);
  EXPECT_EQ(line, "127.0.0.1 \"GET /s/" + hash + "\" 200 20 1.5ms rid=rid-1");
}

TEST(AccessLogLine, JsonFormat) {
  const auto line = AccessLog::format_line(AccessLogFormat::kJson, sample_entry(),
                                           std::chrono::system_clock::now());
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["request_id"], "rid-1");
  EXPECT_EQ(json["client"], "127.0.0.1");
  EXPECT_EQ(json["method"], "GET");
  EXPECT_EQ(json["status"], 200);
  EXPECT_EQ(json["bytes_in"], 10);
  EXPECT_EQ(json["bytes_out"], 20);
  EXPECT_EQ(json["route"], "/s/{token}");
  EXPECT_DOUBLE_EQ(json["duration_ms"].get<double>(), 1.5);
  EXPECT_TRUE(json.contains("ts"));
  EXPECT_EQ(line.find("SECRETTOKEN"), std::string::npos);
}

}  // namespace
}  // namespace vestibule::http
