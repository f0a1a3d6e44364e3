// The one table from domain error codes to HTTP statuses and error codes.
#pragma once

#include "http/message.hpp"
#include "util/result.hpp"

#include <string_view>

namespace vestibule::api {

unsigned http_status(Errc code);
std::string_view error_code(Errc code);
// {"error":{"code","message"}} with the mapped status (and Retry-After for rate limits).
http::Response to_response(const Error& error);

}  // namespace vestibule::api
