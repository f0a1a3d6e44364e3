// JSON request bodies: api::parse_object and the field readers every handler uses, and the id
// path parameter. Properties: nothing throws (an escaping exception would be a 500); anything
// that is not a JSON object is kInvalidArgument; each reader either returns a value of its type
// or kInvalidArgument naming the field; an id parameter is a positive integer or kNotFound; and
// an accepted body can be answered back as JSON (Response::json never throws, even on invalid
// UTF-8).
#include "api/input.hpp"
#include "check.hpp"
#include "http/message.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using vestibule::Errc;

template <class R>
void check_reader(const R& result, const nlohmann::json& body, const std::string& field) {
  if (!result) {
    FUZZ_CHECK(result.error().code == Errc::kInvalidArgument);
    FUZZ_CHECK(result.error().field == field);
    FUZZ_CHECK(!result.error().message.empty());
    return;
  }
  if (result.value()) {
    FUZZ_CHECK(body.contains(field));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vestibule::http::Request request;
  request.body.assign(reinterpret_cast<const char*>(data), size);

  request.params = {request.body};
  const auto id = vestibule::api::id_param(request, 0, "item");
  FUZZ_CHECK(id ? id.value() > 0 : id.error().code == Errc::kNotFound);

  const auto parsed = vestibule::api::parse_object(request);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == Errc::kInvalidArgument);
    return 0;
  }
  const nlohmann::json& body = parsed.value();
  FUZZ_CHECK(body.is_object());
  std::ignore = vestibule::http::Response::json(200, body);

  // The fields handlers read, and every key the body has.
  std::vector<std::string> fields = {"name",    "email",      "password", "parent_id", "notify",
                                     "message", "expires_at", "role",     "kind",      "code"};
  for (const auto& [key, value] : body.items()) {
    if (key.find('\0') == std::string::npos) {
      fields.push_back(key);
    }
  }
  for (const auto& field : fields) {
    const char* name = field.c_str();
    const auto text = vestibule::api::required_string(body, name);
    if (text) {
      FUZZ_CHECK(body.at(field).is_string());
    } else {
      FUZZ_CHECK(text.error().code == Errc::kInvalidArgument && text.error().field == field);
    }
    check_reader(vestibule::api::optional_string(body, name), body, field);
    check_reader(vestibule::api::optional_bool(body, name), body, field);
    check_reader(vestibule::api::optional_id(body, name), body, field);
  }
  return 0;
}
