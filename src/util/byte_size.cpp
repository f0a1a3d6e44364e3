#include "util/byte_size.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>

namespace vestibule::util {

std::string format_byte_size(std::int64_t bytes) {
  if (bytes < 1024) {
    const std::int64_t n = bytes < 0 ? 0 : bytes;
    return fmt::format("{} byte{}", n, n == 1 ? "" : "s");
  }
  // The units and rounding the web pages use (web/src/lib/format.ts), so a size reads the same
  // in a message and beside the file it is about.
  static constexpr std::array<const char*, 5> kUnits = {"KB", "MB", "GB", "TB", "PB"};
  auto value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  if (value >= 10.0) {
    return fmt::format("{} {}", std::llround(value), kUnits.at(unit));
  }
  return fmt::format("{:.1f} {}", value, kUnits.at(unit));
}

}  // namespace vestibule::util
