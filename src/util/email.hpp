// Email addresses: normalization (surrounding spaces trimmed, lower-cased, international domain
// names in their ASCII "xn--" form) and a syntax check strict enough to catch typos without
// refusing real addresses.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>

namespace vestibule::util {

// The canonical form of an address, or kInvalidArgument naming what is wrong with it.
Result<std::string> normalize_email(std::string_view address, std::string_view field = "email");
// A domain name in lower-case ASCII (IDNA 2008, NFC input), or kInvalidArgument.
Result<std::string> domain_to_ascii(std::string_view domain, std::string_view field = "domain");

}  // namespace vestibule::util
