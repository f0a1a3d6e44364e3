// The input of an API request read without any service: cookies, the bearer credentials, the
// JSON object body and its fields, id path parameters. Every malformed input is kInvalidArgument
// (kNotFound for an id in the path) with a message saying what is wrong; nothing here throws.
// Stateless and thread-safe; fuzzed by fuzz/json_body_fuzzer.cpp and fuzz/headers_fuzzer.cpp.
#pragma once

#include "domain/model.hpp"
#include "http/message.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vestibule::api {

// The value of the cookie `name` in a Cookie header ("a=1; b=2"), or "" when it is not there.
std::string cookie_value(std::string_view header, std::string_view name);
// The same as a view into `header`.
std::string_view cookie_view(std::string_view header, std::string_view name);
// The value of one cookie of the request, or "".
std::string cookie_value_of(const http::Request& req, std::string_view name);

// The credentials of an `Authorization: Bearer <value>` header (the scheme in any case, spaces
// around the value dropped), or nullopt for another scheme (a proxy's Basic credentials) or none.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

// A JSON object body, or kInvalidArgument saying what is wrong with it.
Result<nlohmann::json> parse_object(const http::Request& req);
// Field readers: absent optional fields give nullopt; wrong types are kInvalidArgument.
Result<std::string> required_string(const nlohmann::json& body, const char* field);
Result<std::optional<std::string>> optional_string(const nlohmann::json& body, const char* field);
Result<std::optional<bool>> optional_bool(const nlohmann::json& body, const char* field);
Result<std::optional<domain::Id>> optional_id(const nlohmann::json& body, const char* field);
// A path parameter that must be an id.
Result<domain::Id> id_param(const http::Request& req, std::size_t index, const char* what);

}  // namespace vestibule::api
