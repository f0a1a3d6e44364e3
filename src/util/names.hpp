// Validation of item names (files and folders). A valid name can never address anything outside
// its folder on any platform the files may be synced to.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>

namespace vestibule::util {

inline constexpr std::size_t kMaxNameBytes = 255;

// The name as stored: valid UTF-8 in Unicode NFC (so the NFD and NFC spellings of one name are
// one name), or kInvalidArgument with a message naming the rule that was broken — control
// characters (C0, DEL, C1), bidirectional formatting characters (U+202E and the like, which make a
// name read differently from what it is), white space (no-break spaces included) at either end.
Result<std::string> normalized_item_name(std::string_view name);
// The same check, for a caller that keeps the name as given.
Result<void> validate_item_name(std::string_view name);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(std::string_view text);

// Text from outside (a User-Agent header) as kept for display: well-formed UTF-8 in which every
// byte that starts no valid character and every control character reads as U+FFFD, cut at a
// character boundary to at most `max_bytes`. Every database engine stores it as it is.
std::string displayable_text(std::string_view raw, std::size_t max_bytes);

}  // namespace vestibule::util
