#include "http/access_log.hpp"

#include "util/crypto.hpp"

#include <ctime>

#include <boost/beast/core/string.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace vestibule::http {

namespace {

constexpr std::string_view kLoggerName = "access";
constexpr std::size_t kTokenHashDigits = 8;

void append_sanitized(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    } else {
      out.push_back(c);
    }
  }
}

bool is_share_marker(std::string_view segment) {
  const auto decoded = percent_decode(segment);
  return boost::beast::iequals(decoded, "s") || boost::beast::iequals(decoded, "shares");
}

std::string iso8601_utc(std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

}  // namespace

std::string redact_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  bool secret = false;
  std::size_t start = 0;
  for (;;) {
    const auto slash = path.find('/', start);
    const auto segment =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (secret && !segment.empty()) {
      out.push_back('~');
      out += util::sha256_hex(segment).substr(0, kTokenHashDigits);
    } else {
      append_sanitized(out, segment);
      secret = secret || is_share_marker(segment);
    }
    if (slash == std::string_view::npos) {
      break;
    }
    out.push_back('/');
    start = slash + 1;
  }
  return out;
}

AccessLog::AccessLog(AccessLogFormat format) : format_(format) {
  if (format_ == AccessLogFormat::kOff) {
    return;
  }
  logger_ = spdlog::get(std::string(kLoggerName));
  if (logger_) {
    return;
  }
  try {
    logger_ = spdlog::stdout_color_mt(std::string(kLoggerName));
    // JSON lines must be nothing but JSON; text lines get a timestamp.
    logger_->set_pattern(format_ == AccessLogFormat::kJson ? "%v" : "[%Y-%m-%d %H:%M:%S.%e] %v");
  } catch (const spdlog::spdlog_ex&) {
    logger_ = spdlog::get(std::string(kLoggerName));  // registered concurrently by someone else
  }
}

void AccessLog::write(const AccessLogEntry& entry) const {
  if (format_ == AccessLogFormat::kOff || !logger_) {
    return;
  }
  logger_->info(format_line(format_, entry, std::chrono::system_clock::now()));
}

std::string AccessLog::format_line(AccessLogFormat format, const AccessLogEntry& entry,
                                   std::chrono::system_clock::time_point now) {
  const double milliseconds = static_cast<double>(entry.duration.count()) / 1e6;
  std::string method;
  append_sanitized(method, entry.method);
  std::string client;
  append_sanitized(client, entry.client);
  const std::string path = redact_path(entry.path);
  if (format == AccessLogFormat::kJson) {
    const nlohmann::json line = {{"ts", iso8601_utc(now)},
                                 {"request_id", entry.request_id},
                                 {"client", client},
                                 {"method", method},
                                 {"path", path},
                                 {"status", entry.status},
                                 {"bytes_in", entry.bytes_in},
                                 {"bytes_out", entry.bytes_out},
                                 {"duration_ms", milliseconds},
                                 {"route", entry.route}};
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string request_id;
  append_sanitized(request_id, entry.request_id);
  return fmt::format("{} \"{} {}\" {} {} {:.1f}ms rid={}", client, method, path, entry.status,
                     entry.bytes_out, milliseconds, request_id);
}

}  // namespace vestibule::http
