#include "http/metrics.hpp"

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include <fmt/format.h>

namespace vestibule::http {

namespace {

// Upper bounds of the latency histogram, in seconds; +Inf is implicit.
constexpr std::array<double, 12> kBucketBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25,  0.5,   1.0,  2.5,   5.0,  10.0};
constexpr unsigned kMinStatus = 100;
constexpr unsigned kMaxStatus = 599;

struct RouteStats {
  // Non-cumulative counts per bucket; the last slot counts observations above every bound.
  std::array<std::atomic<std::uint64_t>, kBucketBounds.size() + 1> buckets{};
  std::atomic<std::uint64_t> sum_nanoseconds{0};
  std::array<std::atomic<std::uint64_t>, kMaxStatus - kMinStatus + 1> by_status{};
};

// Prometheus label values escape backslash, double quote and newline.
std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

struct Metrics::State {
  mutable std::shared_mutex mutex;  // guards the map's shape; the counters are atomics
  std::map<std::string, std::unique_ptr<RouteStats>, std::less<>> routes;
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::int64_t> open_connections{0};

  RouteStats& stats_for(std::string_view route) {
    {
      std::shared_lock lock(mutex);
      const auto it = routes.find(route);
      if (it != routes.end()) {
        return *it->second;
      }
    }
    std::unique_lock lock(mutex);
    auto& slot = routes[std::string(route)];
    if (!slot) {
      slot = std::make_unique<RouteStats>();
    }
    return *slot;
  }
};

Metrics::Metrics() : state_(new State) {}

Metrics::~Metrics() { delete state_; }

void Metrics::record_request(std::string_view route, unsigned status,
                             std::chrono::nanoseconds latency, std::uint64_t bytes_in,
                             std::uint64_t bytes_out) {
  auto& stats = state_->stats_for(route);
  const unsigned clamped =
      status < kMinStatus ? kMinStatus : (status > kMaxStatus ? kMaxStatus : status);
  stats.by_status[clamped - kMinStatus].fetch_add(1, std::memory_order_relaxed);

  const auto nanoseconds = latency.count() < 0 ? 0 : static_cast<std::uint64_t>(latency.count());
  const double seconds = static_cast<double>(nanoseconds) / 1e9;
  std::size_t bucket = 0;
  while (bucket < kBucketBounds.size() && seconds > kBucketBounds[bucket]) {
    ++bucket;
  }
  stats.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  stats.sum_nanoseconds.fetch_add(nanoseconds, std::memory_order_relaxed);

  state_->bytes_received.fetch_add(bytes_in, std::memory_order_relaxed);
  state_->bytes_sent.fetch_add(bytes_out, std::memory_order_relaxed);
}

void Metrics::connection_opened() {
  state_->open_connections.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::connection_closed() {
  state_->open_connections.fetch_sub(1, std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  std::shared_lock lock(state_->mutex);

  out +=
      "# HELP vestibule_http_requests_total HTTP requests answered, by route pattern and status.\n"
      "# TYPE vestibule_http_requests_total counter\n";
  for (const auto& [route, stats] : state_->routes) {
    const auto label = escape_label(route);
    for (unsigned status = kMinStatus; status <= kMaxStatus; ++status) {
      const auto n = stats->by_status[status - kMinStatus].load(std::memory_order_relaxed);
      if (n != 0) {
        out += fmt::format("vestibule_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                           label, status, n);
      }
    }
  }

  out +=
      "# HELP vestibule_http_request_duration_seconds Time from request head to response sent.\n"
      "# TYPE vestibule_http_request_duration_seconds histogram\n";
  for (const auto& [route, stats] : state_->routes) {
    const auto label = escape_label(route);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
      cumulative += stats->buckets[i].load(std::memory_order_relaxed);
      out += fmt::format(
          "vestibule_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
          kBucketBounds[i], cumulative);
    }
    cumulative += stats->buckets[kBucketBounds.size()].load(std::memory_order_relaxed);
    out += fmt::format(
        "vestibule_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
        cumulative);
    const auto sum = static_cast<double>(stats->sum_nanoseconds.load(std::memory_order_relaxed));
    out += fmt::format("vestibule_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label,
                       sum / 1e9);
    // _count equals the +Inf bucket so the series stays consistent within one scrape.
    out += fmt::format("vestibule_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label,
                       cumulative);
  }

  out += fmt::format(
      "# HELP vestibule_http_bytes_received_total Request bytes read (heads and bodies).\n"
      "# TYPE vestibule_http_bytes_received_total counter\n"
      "vestibule_http_bytes_received_total {}\n"
      "# HELP vestibule_http_bytes_sent_total Response bytes written (heads and bodies).\n"
      "# TYPE vestibule_http_bytes_sent_total counter\n"
      "vestibule_http_bytes_sent_total {}\n"
      "# HELP vestibule_http_open_connections Client connections currently open.\n"
      "# TYPE vestibule_http_open_connections gauge\n"
      "vestibule_http_open_connections {}\n",
      state_->bytes_received.load(std::memory_order_relaxed),
      state_->bytes_sent.load(std::memory_order_relaxed),
      state_->open_connections.load(std::memory_order_relaxed));
  return out;
}

}  // namespace vestibule::http
