// AccessLog: one line per answered request on the "access" spdlog logger, as text or JSON lines
// (the [http] access_log key), or nothing. Never writes headers (cookies, authorization) or query
// strings, and replaces path segments after "s"/"shares" (share tokens) by a short hash, so
// secrets cannot reach the log. Thread-safe.
#pragma once

#include "http/server.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace vestibule::http {

struct AccessLogEntry {
  std::string_view client;
  std::string_view method;
  std::string_view path;   // raw path without the query; redacted when written
  std::string_view route;  // the matched pattern, or "unmatched"
  std::string_view request_id;
  unsigned status = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::chrono::nanoseconds duration{0};
};

class AccessLog {
 public:
  // Uses the "access" logger if the application registered one, else creates it on stdout.
  explicit AccessLog(AccessLogFormat format);

  void write(const AccessLogEntry& entry) const;

  // The line `write` logs, without the logger's own prefix.
  static std::string format_line(AccessLogFormat format, const AccessLogEntry& entry,
                                 std::chrono::system_clock::time_point now);

 private:
  AccessLogFormat format_;
  std::shared_ptr<spdlog::logger> logger_;
};

// The path with every segment after "s" or "shares" replaced by "~" and the first 8 hex digits of
// its SHA-256, and bytes outside printable ASCII (and '"', '\') percent-encoded.
std::string redact_path(std::string_view path);

}  // namespace vestibule::http
