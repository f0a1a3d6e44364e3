#include "util/email.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include <idn2.h>

namespace vestibule::util {

Result<std::string> domain_to_ascii(std::string_view domain, std::string_view field) {
  const std::string input(domain);
  const bool ascii =
      std::all_of(input.begin(), input.end(), [](unsigned char c) { return c < 0x80; });
  if (ascii) {
    std::string out = input;
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  }
  char* converted = nullptr;
  const int rc = idn2_to_ascii_8z(input.c_str(), &converted, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  const std::unique_ptr<char, decltype(&idn2_free)> owned(converted, &idn2_free);
  if (rc != IDN2_OK || converted == nullptr) {
    return fail(Errc::kInvalidArgument,
                "'" + input + "' is not a valid international domain name: " + idn2_strerror(rc) +
                    " (write it like bücher.example or xn--bcher-kva.example)",
                std::string(field));
  }
  std::string out(converted);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

namespace {

// Why `address` (trimmed) is not shaped like an address, or "" when it is.
std::string shape_problem(std::string_view address) {
  if (address.empty()) {
    return "it is empty";
  }
  if (address.size() > 254) {
    return "it is longer than 254 characters";
  }
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return "it needs a name, an '@' and a domain";
  }
  const auto local = address.substr(0, at);
  const auto domain = address.substr(at + 1);
  if (local.size() > 64) {
    return "the part before '@' is longer than 64 characters";
  }
  for (const char ch : address) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      continue;  // UTF-8 of an international domain or mailbox name
    }
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' ||
        c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']') {
      return "it contains a space or a character not allowed in addresses";
    }
  }
  if (local.find('@') != std::string_view::npos) {
    return "it contains more than one '@'";
  }
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return "the domain must have at least two labels, like example.org";
  }
  return {};
}

}  // namespace

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
  if (auto problem = shape_problem(address); !problem.empty()) {
    return refuse(problem);
  }
  const auto at = address.rfind('@');
  const auto local = address.substr(0, at);
  VST_TRY(ascii_domain, domain_to_ascii(address.substr(at + 1), field));
  std::string out(local);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  out += "@" + ascii_domain;
  // The stored form must read back as itself: refused when writing the domain in ASCII made the
  // address too long or misshapen (IDNA drops ignorable characters: "x." followed by U+034F becomes
  // "x."), or gave a domain that converts to something else again.
  if (out.size() > 254) {
    return refuse("it is longer than 254 characters once its domain is written in ASCII");
  }
  if (!shape_problem(out).empty()) {
    return refuse("its domain written in ASCII is not a valid domain");
  }
  if (auto again = domain_to_ascii(ascii_domain, field); !again || again.value() != ascii_domain) {
    return refuse("its domain has no stable ASCII form");
  }
  return out;
}

}  // namespace vestibule::util
