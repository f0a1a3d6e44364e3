// The one table from domain error codes to HTTP statuses and error codes.
#pragma once

#include "http/message.hpp"
#include "util/result.hpp"

#include <string_view>

#include <nlohmann/json.hpp>

namespace vestibule::api {

unsigned http_status(Errc code);
std::string_view error_code(Errc code);
// {"error":{"code","message"[,"field"][,"refused"]}}.
nlohmann::json error_json(const Error& error);
// error_json() with the mapped status (and Retry-After for rate limits); the members of `extra`
// (an object) are added beside "error", for answers that say more than the error (a dead link's
// state).
http::Response to_response(const Error& error, const nlohmann::json& extra = nullptr);
// 415 `unsupported_media_type`, in the same envelope: content that cannot be served the way it
// was asked for (a file type that is not viewed inline). It is decided in the API layer, not the
// domain, so it has no Errc (src/http/server.cpp switches over every Errc for upload failures).
http::Response unsupported_media_type(std::string_view message);

}  // namespace vestibule::api
