#include "util/names.hpp"

#include <algorithm>
#include <array>
#include <cctype>

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

namespace {

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

Result<void> validate_item_name(std::string_view name) {
  const auto refuse = [](const std::string& why) {
    return fail(Errc::kInvalidArgument, "invalid name: " + why, "name");
  };
  if (name.empty()) {
    return refuse("a name cannot be empty");
  }
  if (name.size() > kMaxNameBytes) {
    return refuse("a name is at most 255 bytes long");
  }
  if (name == "." || name == "..") {
    return refuse("'.' and '..' are not allowed as names");
  }
  if (!is_valid_utf8(name)) {
    return refuse("a name must be valid UTF-8");
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
  return outcome::success();
}

}  // namespace vestibule::util
