#include "util/rfc3339.hpp"

#include <cctype>
#include <ctime>

namespace vestibule::util {

namespace {

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2200;

}  // namespace

std::string format_rfc3339(TimePoint t) {
  Rfc3339Buffer buffer{};
  return std::string(format_rfc3339(t, buffer));
}

std::string_view format_rfc3339(TimePoint t, Rfc3339Buffer& buffer) {
  const auto seconds = static_cast<std::time_t>(to_unix(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  const auto size = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buffer.data(), size};
}

Result<TimePoint> parse_rfc3339(std::string_view text, std::string_view field) {
  const auto refuse = [&] {
    return fail(Errc::kInvalidArgument,
                "'" + std::string(text) + "' is not a time; write it in RFC 3339 form, like " +
                    "2030-01-31T17:00:00Z",
                std::string(field));
  };
  // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z or an offset.
  if (text.size() < 20 || text.size() > 40) {
    return refuse();
  }
  const auto digits = [&](std::size_t at, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) {
        return false;
      }
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  const bool shape = digits(0, 4, year) && text[4] == '-' && digits(5, 2, month) &&
                     text[7] == '-' && digits(8, 2, day) &&
                     (text[10] == 'T' || text[10] == 't' || text[10] == ' ') &&
                     digits(11, 2, hour) && text[13] == ':' && digits(14, 2, minute) &&
                     text[16] == ':' && digits(17, 2, second);
  if (!shape || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return refuse();
  }
  // TimePoint counts nanoseconds in 64 bits, which ends in 2262: keep well inside.
  if (year < kFirstYear || year > kLastYear) {
    return fail(Errc::kInvalidArgument,
                "'" + std::string(text) + "' is outside the years " + std::to_string(kFirstYear) +
                    " to " + std::to_string(kLastYear) + "; give a time like 2030-01-31T17:00:00Z",
                std::string(field));
  }
  std::size_t at = 19;
  if (text[at] == '.') {
    ++at;
    const std::size_t start = at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0) {
      ++at;
    }
    if (at == start || at >= text.size()) {
      return refuse();
    }
  }
  long offset = 0;
  if (text[at] == 'Z' || text[at] == 'z') {
    if (at + 1 != text.size()) {
      return refuse();
    }
  } else if (text[at] == '+' || text[at] == '-') {
    int oh = 0;
    int om = 0;
    if (at + 6 != text.size() || !digits(at + 1, 2, oh) || text[at + 3] != ':' ||
        !digits(at + 4, 2, om) || oh > 23 || om > 59) {
      return refuse();
    }
    offset = (oh * 3600L + om * 60L) * (text[at] == '+' ? 1 : -1);
  } else {
    return refuse();
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t utc = timegm(&tm);
  std::tm check{};
  gmtime_r(&utc, &check);
  if (check.tm_mday != day) {
    return refuse();  // 31 April and the like
  }
  return from_unix(static_cast<std::int64_t>(utc) - offset);
}

}  // namespace vestibule::util
