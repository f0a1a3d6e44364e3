#include "util/email.hpp"

#include <algorithm>
#include <cctype>

namespace vestibule::util {

Result<std::string> normalize_email(std::string_view address, std::string_view field) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!address.empty() && is_space(address.front())) {
    address.remove_prefix(1);
  }
  while (!address.empty() && is_space(address.back())) {
    address.remove_suffix(1);
  }
  const std::string shown(address);
  const auto refuse = [&](const std::string& why) {
    return fail(Errc::kInvalidArgument,
                "'" + shown + "' is not a valid email address: " + why +
                    " (write it like name@example.org)",
                std::string(field));
  };
  if (address.empty()) {
    return refuse("it is empty");
  }
  if (address.size() > 254) {
    return refuse("it is longer than 254 characters");
  }
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return refuse("it needs a name, an '@' and a domain");
  }
  const auto local = address.substr(0, at);
  const auto domain = address.substr(at + 1);
  if (local.size() > 64) {
    return refuse("the part before '@' is longer than 64 characters");
  }
  for (const char ch : address) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' ||
        c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']') {
      return refuse("it contains a space or a character not allowed in addresses");
    }
  }
  if (local.find('@') != std::string_view::npos) {
    return refuse("it contains more than one '@'");
  }
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return refuse("the domain must have at least two labels, like example.org");
  }
  std::string out(address);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace vestibule::util
