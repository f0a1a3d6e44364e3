#include "api/input.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace vestibule::api {

std::string cookie_value(std::string_view header, std::string_view name) {
  return std::string(cookie_view(header, name));
}

std::string_view cookie_view(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto end = header.find(';');
    auto pair = header.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') {
      pair.remove_prefix(1);
    }
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return pair.substr(eq + 1);
    }
    if (end == std::string_view::npos) {
      break;
    }
    header.remove_prefix(end + 1);
  }
  return {};
}

std::string cookie_value_of(const http::Request& req, std::string_view name) {
  return cookie_value(req.header("Cookie"), name);
}

std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() < kScheme.size() ||
      !std::equal(
          kScheme.begin(), kScheme.end(), authorization.begin(),
          [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }) ||
      (authorization.size() > kScheme.size() && authorization[kScheme.size()] != ' ')) {
    return std::nullopt;
  }
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && authorization.front() == ' ') {
    authorization.remove_prefix(1);
  }
  while (!authorization.empty() && authorization.back() == ' ') {
    authorization.remove_suffix(1);
  }
  return authorization;
}

Result<nlohmann::json> parse_object(const http::Request& req) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    return fail(
        Errc::kInvalidArgument,
        "the body is not valid JSON; send a JSON object with Content-Type: application/json");
  }
  if (!body.is_object()) {
    return fail(Errc::kInvalidArgument, R"(the body must be a JSON object, such as {"name": "x"})");
  }
  return body;
}

Result<std::string> required_string(const nlohmann::json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return fail(Errc::kInvalidArgument, std::string("the field \"") + field + "\" is required",
                field);
  }
  if (!it->is_string()) {
    return fail(Errc::kInvalidArgument, std::string("the field \"") + field + "\" must be a string",
                field);
  }
  return it->get<std::string>();
}

Result<std::optional<std::string>> optional_string(const nlohmann::json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return std::optional<std::string>{};
  }
  if (!it->is_string()) {
    return fail(Errc::kInvalidArgument, std::string("the field \"") + field + "\" must be a string",
                field);
  }
  return std::optional<std::string>{it->get<std::string>()};
}

Result<std::optional<bool>> optional_bool(const nlohmann::json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return std::optional<bool>{};
  }
  if (!it->is_boolean()) {
    return fail(Errc::kInvalidArgument,
                std::string("the field \"") + field + "\" must be true or false", field);
  }
  return std::optional<bool>{it->get<bool>()};
}

Result<std::optional<domain::Id>> optional_id(const nlohmann::json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return std::optional<domain::Id>{};
  }
  if (!it->is_number_integer()) {
    return fail(Errc::kInvalidArgument,
                std::string("the field \"") + field + "\" must be an item id (an integer)", field);
  }
  return std::optional<domain::Id>{it->get<domain::Id>()};
}

Result<domain::Id> id_param(const http::Request& req, std::size_t index, const char* what) {
  const auto& text = req.params.at(index);
  domain::Id id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
    return fail(Errc::kNotFound, std::string("no such ") + what + " '" + text + "'");
  }
  return id;
}
}  // namespace vestibule::api
