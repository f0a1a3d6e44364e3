#include "http/metrics.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vestibule::http {
namespace {

using std::chrono::milliseconds;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Metrics, CountsRequestsByRouteAndStatus) {
  Metrics metrics;
  metrics.record_request("/healthz", 200, milliseconds(2), 100, 50);
  metrics.record_request("/healthz", 200, milliseconds(2), 100, 50);
  metrics.record_request("unmatched", 404, milliseconds(1), 10, 5);
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "# TYPE vestibule_http_requests_total counter\n"));
  EXPECT_TRUE(
      contains(text, "vestibule_http_requests_total{route=\"/healthz\",status=\"200\"} 2\n"));
  EXPECT_TRUE(
      contains(text, "vestibule_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
  EXPECT_TRUE(contains(text, "vestibule_http_bytes_received_total 210\n"));
  EXPECT_TRUE(contains(text, "vestibule_http_bytes_sent_total 105\n"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics metrics;
  metrics.record_request("/a", 200, milliseconds(3), 0, 0);           // <= 0.005
  metrics.record_request("/a", 200, milliseconds(700), 0, 0);         // <= 1
  metrics.record_request("/a", 200, std::chrono::seconds(60), 0, 0);  // +Inf only
  const auto text = metrics.render();
  EXPECT_TRUE(contains(text, "# TYPE vestibule_http_request_duration_seconds histogram\n"));
  EXPECT_TRUE(contains(
      text, "vestibule_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.001\"} 0\n"));
  EXPECT_TRUE(contains(
      text, "vestibule_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"));
  EXPECT_TRUE(
      contains(text, "vestibule_http_request_duration_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"));
  EXPECT_TRUE(
      contains(text, "vestibule_http_request_duration_seconds_bucket{route=\"/a\",le=\"10\"} 2\n"));
  EXPECT_TRUE(contains(
      text, "vestibule_http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(contains(text, "vestibule_http_request_duration_seconds_count{route=\"/a\"} 3\n"));
  EXPECT_TRUE(contains(text, "vestibule_http_request_duration_seconds_sum{route=\"/a\"} 60.703\n"));
}

TEST(Metrics, OpenConnectionsGauge) {
  Metrics metrics;
  metrics.connection_opened();
  metrics.connection_opened();
  metrics.connection_closed();
  EXPECT_TRUE(contains(metrics.render(),
                       "# TYPE vestibule_http_open_connections gauge\n"
                       "vestibule_http_open_connections 1\n"));
}

TEST(Metrics, EscapesLabelValues) {
  Metrics metrics;
  metrics.record_request("/a\"b\\c", 200, milliseconds(1), 0, 0);
  EXPECT_TRUE(contains(metrics.render(), "route=\"/a\\\"b\\\\c\""));
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kPerThread; ++i) {
        metrics.record_request(t % 2 == 0 ? "/even" : "/odd", 200, milliseconds(1), 1, 1);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const auto text = metrics.render();
  EXPECT_TRUE(
      contains(text, "vestibule_http_requests_total{route=\"/even\",status=\"200\"} 20000\n"));
  EXPECT_TRUE(
      contains(text, "vestibule_http_requests_total{route=\"/odd\",status=\"200\"} 20000\n"));
  EXPECT_TRUE(contains(text, "vestibule_http_bytes_received_total 40000\n"));
}

}  // namespace
}  // namespace vestibule::http
