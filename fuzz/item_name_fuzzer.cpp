// Item names as they arrive in a path segment: percent-decoded by the router, then
// util::normalized_item_name. Properties of every accepted name: it normalizes to itself again
// (idempotent), and so does its NFD spelling; it is valid UTF-8 in NFC, at most 255 bytes, never
// "." or "..", and holds no '/', '\', NUL or other control character (C0, DEL, C1) — so it can
// never address anything outside its folder. util::is_valid_utf8 agrees with libunistring.
#include "check.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "util/names.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <uninorm.h>
#include <unistr.h>

namespace {

using vestibule::util::normalized_item_name;

std::string normalized_form(std::string_view text, uninorm_t form) {
  std::size_t length = 0;
  auto* out = u8_normalize(form, reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
                           nullptr, &length);
  FUZZ_CHECK(out != nullptr);
  std::string result(reinterpret_cast<const char*>(out), length);
  std::free(out);
  return result;
}

bool utf8_per_libunistring(std::string_view text) {
  return u8_check(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) == nullptr;
}

void check_name(std::string_view given) {
  FUZZ_CHECK(vestibule::util::is_valid_utf8(given) == utf8_per_libunistring(given));
  const auto result = normalized_item_name(given);
  FUZZ_CHECK(result.has_value() == vestibule::util::validate_item_name(given).has_value());
  if (!result) {
    FUZZ_CHECK(result.error().code == vestibule::Errc::kInvalidArgument);
    return;
  }
  const std::string& name = result.value();
  FUZZ_CHECK(!name.empty() && name.size() <= vestibule::util::kMaxNameBytes);
  FUZZ_CHECK(name != "." && name != "..");
  FUZZ_CHECK(utf8_per_libunistring(name));
  FUZZ_CHECK(normalized_form(name, UNINORM_NFC) == name);
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c >= 0x20 && c != 0x7F && c != '/' && c != '\\');
  }
  for (std::size_t i = 0; i + 1 < name.size(); ++i) {  // C1 controls: U+0080..U+009F
    FUZZ_CHECK(!(static_cast<unsigned char>(name[i]) == 0xC2 &&
                 static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
                 static_cast<unsigned char>(name[i + 1]) <= 0x9F));
  }
  const auto again = normalized_item_name(name);
  FUZZ_CHECK(again.has_value() && again.value() == name);
  const auto decomposed = normalized_item_name(normalized_form(name, UNINORM_NFD));
  FUZZ_CHECK(decomposed.has_value() && decomposed.value() == name);
}

const vestibule::http::Router& router() {
  static const vestibule::http::Router routes = [] {
    vestibule::http::Router r;
    r.get("/api/v1/items/{id}/files/{name}",
          [](vestibule::http::Request&) { return vestibule::http::Response::empty(200); });
    return r;
  }();
  return routes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_name(input);
  // The same bytes as a path segment: what the router hands the handler is the decoded segment,
  // and a '/' in it (from %2F) stays inside the one parameter.
  const auto match =
      router().match(boost::beast::http::verb::get, "/api/v1/items/7/files/" + std::string(input));
  if (match.route != nullptr) {
    FUZZ_CHECK(match.params.size() == 2 && match.params[0] == "7");
    FUZZ_CHECK(match.params[1] == vestibule::http::percent_decode(input));
    check_name(match.params[1]);
  }
  return 0;
}
