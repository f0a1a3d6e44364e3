// Validation of item names (files and folders). A valid name can never address anything outside
// its folder on any platform the files may be synced to.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>

namespace vestibule::util {

inline constexpr std::size_t kMaxNameBytes = 255;

// Ok, or kInvalidArgument with a message naming the rule that was broken.
Result<void> validate_item_name(std::string_view name);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace vestibule::util
