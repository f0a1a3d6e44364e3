#include "util/duration.hpp"

#include <charconv>
#include <limits>

namespace vestibule::util {

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return fail(Errc::kInvalidArgument,
                "'" + std::string(text) +
                    "' is not a duration; write a whole number followed by s, m, h or d, "
                    "such as 90s, 10m, 12h or 30d (or 0)");
  };
  if (text == "0") {
    return std::chrono::seconds{0};
  }
  if (text.size() < 2) {
    return bad();
  }
  long long unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return bad();
  }
  const auto digits = text.substr(0, text.size() - 1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || value < 0 ||
      value > std::numeric_limits<long long>::max() / unit / 1000) {
    return bad();
  }
  return std::chrono::seconds{value * unit};
}

std::string format_duration(std::chrono::seconds d) {
  const auto s = d.count();
  if (s == 0) {
    return "0";
  }
  if (s % 86400 == 0) {
    return std::to_string(s / 86400) + "d";
  }
  if (s % 3600 == 0) {
    return std::to_string(s / 3600) + "h";
  }
  if (s % 60 == 0) {
    return std::to_string(s / 60) + "m";
  }
  return std::to_string(s) + "s";
}

}  // namespace vestibule::util
