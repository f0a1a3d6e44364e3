// Durations as written in settings and configuration: `90s`, `10m`, `12h`, `30d`, or `0`.
#pragma once

#include "util/result.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace vestibule::util {

Result<std::chrono::seconds> parse_duration(std::string_view text);
// The shortest exact spelling: 3600s -> "1h", 0 -> "0".
std::string format_duration(std::chrono::seconds d);

}  // namespace vestibule::util
