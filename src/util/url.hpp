// Percent-encoding of text for URLs (RFC 3986) and for RFC 6266 `filename*` parameters.
#pragma once

#include <string>
#include <string_view>

namespace vestibule::util {

// Every byte except the unreserved characters (ALPHA, DIGIT, '-', '.', '_', '~') as `%XX` with
// upper-case hex digits: safe as a query value, a path segment and an RFC 8187 value.
std::string percent_encode(std::string_view text);

}  // namespace vestibule::util
