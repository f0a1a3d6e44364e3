// RFC 3339 timestamps as the API writes and reads them: `2026-11-23T10:00:00Z`, with an optional
// fraction of a second (ignored) and a `Z` or `±hh:mm` offset.
#pragma once

#include "util/clock.hpp"
#include "util/result.hpp"

#include <array>
#include <string>
#include <string_view>

namespace vestibule::util {

std::string format_rfc3339(TimePoint t);
// The same text in a buffer of the caller's (no allocation, for reports of many rows); the
// returned view points into it.
using Rfc3339Buffer = std::array<char, 32>;
std::string_view format_rfc3339(TimePoint t, Rfc3339Buffer& buffer);
// kInvalidArgument naming `field` when the text is not such a timestamp.
Result<TimePoint> parse_rfc3339(std::string_view text, std::string_view field);

}  // namespace vestibule::util
