// Email addresses: normalization (surrounding spaces trimmed, lower-cased) and a syntax check
// strict enough to catch typos without refusing real addresses.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace vestibule::util {

// The canonical form of an address, or kInvalidArgument naming what is wrong with it.
Result<std::string> normalize_email(std::string_view address, std::string_view field = "email");

}  // namespace vestibule::util
