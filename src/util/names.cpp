#include "util/names.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

namespace vestibule::util {

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string displayable_text(std::string_view raw, std::size_t max_bytes) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(std::min(raw.size(), max_bytes));
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libunistring's uint8_t strings
  const auto* p = reinterpret_cast<const std::uint8_t*>(raw.data());
  std::size_t i = 0;
  while (i < raw.size()) {
    ucs4_t cp = 0;
    const int n = u8_mbtoucr(&cp, p + i, raw.size() - i);
    const bool control = n > 0 && (cp < 0x20 || (cp >= 0x7F && cp < 0xA0));
    const std::string_view piece =
        n > 0 && !control ? raw.substr(i, static_cast<std::size_t>(n)) : kReplacement;
    if (out.size() + piece.size() > max_bytes) {
      break;
    }
    out += piece;
    i += n > 0 ? static_cast<std::size_t>(n) : 1;
  }
  return out;
}

namespace {

// `text` (valid UTF-8) in Unicode Normalization Form C.
Result<std::string> nfc(std::string_view text) {
  std::size_t length = 0;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libunistring's uint8_t strings
  const auto* in = reinterpret_cast<const std::uint8_t*>(text.data());
  std::uint8_t* out = u8_normalize(UNINORM_NFC, in, text.size(), nullptr, &length);
  if (out == nullptr) {
    return fail(Errc::kInvalidArgument, "invalid name: it cannot be put in Unicode NFC", "name");
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  std::string normalized(reinterpret_cast<const char*>(out), length);
  std::free(out);  // NOLINT(cppcoreguidelines-no-malloc): allocated by libunistring
  return normalized;
}

// The code points of valid UTF-8.
std::vector<char32_t> code_points(std::string_view text) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (std::size_t k = 1; k < len; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

bool is_reserved_device_name(std::string_view name) {
  // Windows device names, with or without an extension, cannot be created on synced clients.
  static constexpr std::array<std::string_view, 22> kReserved = {
      "CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
      "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
  const auto stem = name.substr(0, name.find('.'));
  std::string upper(stem);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return std::find(kReserved.begin(), kReserved.end(), upper) != kReserved.end();
}

}  // namespace

Result<std::string> normalized_item_name(std::string_view given) {
  const auto refuse = [](const std::string& why) {
    return fail(Errc::kInvalidArgument, "invalid name: " + why, "name");
  };
  if (given.empty()) {
    return refuse("a name cannot be empty");
  }
  if (!is_valid_utf8(given)) {
    return refuse("a name must be valid UTF-8");
  }
  VST_TRY(normalized, nfc(given));
  const std::string_view name = normalized;
  if (name.size() > kMaxNameBytes) {
    return refuse("a name is at most 255 bytes long");
  }
  if (name == "." || name == "..") {
    return refuse("'.' and '..' are not allowed as names");
  }
  const auto points = code_points(name);
  for (const char32_t cp : points) {
    if (cp >= 0x80 && cp <= 0x9F) {
      return refuse("a name cannot contain control characters (U+0080 to U+009F)");
    }
    if (uc_is_property_bidi_control(static_cast<ucs4_t>(cp))) {
      return refuse(
          "a name cannot contain bidirectional formatting characters (such as U+202E), which "
          "make it read differently from what it is");
    }
  }
  if (uc_is_property_white_space(static_cast<ucs4_t>(points.front())) ||
      uc_is_property_white_space(static_cast<ucs4_t>(points.back())) || points.front() == 0xFEFF) {
    return refuse("a name cannot begin or end with white space (no-break spaces included)");
  }
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '/' || c == '\\') {
      return refuse("a name cannot contain '/' or '\\'");
    }
    if (c < 0x20 || c == 0x7F) {
      return refuse("a name cannot contain control characters (such as NUL, tab or newline)");
    }
  }
  if (name.front() == ' ' || name.back() == ' ' || name.back() == '.') {
    return refuse("a name cannot begin or end with a space, or end with a '.'");
  }
  if (is_reserved_device_name(name)) {
    return refuse("'" + std::string(name) + "' is a reserved device name on Windows");
  }
  return normalized;
}

Result<void> validate_item_name(std::string_view name) {
  VST_TRYV(normalized_item_name(name));
  return outcome::success();
}

}  // namespace vestibule::util
