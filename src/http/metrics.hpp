// Metrics: request counts by route and status, a latency histogram, bytes in and out, and open
// connections, rendered in the Prometheus text format. Thread-safe; recording is lock-free on
// the hot path except for the first sighting of a (route, status) pair.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace vestibule::http {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void record_request(std::string_view route, unsigned status, std::chrono::nanoseconds latency,
                      std::uint64_t bytes_in, std::uint64_t bytes_out);
  void connection_opened();
  void connection_closed();

  [[nodiscard]] std::string render() const;

 private:
  struct State;
  State* state_;
};

}  // namespace vestibule::http
