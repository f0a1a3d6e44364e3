#include "api/errors.hpp"

#include <nlohmann/json.hpp>

namespace vestibule::api {

unsigned http_status(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return 400;
    case Errc::kUnauthenticated:
      return 401;
    case Errc::kForbidden:
      return 403;
    case Errc::kNotFound:
      return 404;
    case Errc::kConflict:
      return 409;
    case Errc::kPayloadTooLarge:
      return 413;
    case Errc::kInsufficientStorage:
      return 507;
    case Errc::kRangeNotSatisfiable:
      return 416;
    case Errc::kPolicyRefused:
      return 422;
    case Errc::kGone:
      return 410;
    case Errc::kTooManyRequests:
      return 429;
    case Errc::kUnavailable:
      return 503;
    case Errc::kInternal:
      return 500;
  }
  return 500;
}

std::string_view error_code(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return "invalid_argument";
    case Errc::kUnauthenticated:
      return "unauthenticated";
    case Errc::kForbidden:
      return "forbidden";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kConflict:
      return "conflict";
    case Errc::kPayloadTooLarge:
      return "payload_too_large";
    case Errc::kInsufficientStorage:
      return "insufficient_storage";
    case Errc::kRangeNotSatisfiable:
      return "range_not_satisfiable";
    case Errc::kPolicyRefused:
      return "policy_refused";
    case Errc::kGone:
      return "gone";
    case Errc::kTooManyRequests:
      return "too_many_requests";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kInternal:
      return "internal";
  }
  return "internal";
}

nlohmann::json error_json(const Error& error) {
  nlohmann::json body = {{"code", error_code(error.code)}, {"message", error.message}};
  if (!error.field.empty()) {
    body["field"] = error.field;
  }
  if (!error.refused.empty()) {
    nlohmann::json refused = nlohmann::json::array();
    for (const auto& r : error.refused) {
      refused.push_back({{"address", r.address}, {"rule", r.rule}, {"message", r.message}});
    }
    body["refused"] = std::move(refused);
  }
  return {{"error", body}};
}

http::Response to_response(const Error& error, const nlohmann::json& extra) {
  nlohmann::json body = error_json(error);
  if (extra.is_object()) {
    for (const auto& [key, value] : extra.items()) {
      body[key] = value;
    }
  }
  auto response = http::Response::json(http_status(error.code), body);
  if ((error.code == Errc::kTooManyRequests || error.code == Errc::kUnavailable) &&
      error.retry_after_seconds > 0) {
    response.set("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return response;
}

http::Response unsupported_media_type(std::string_view message) {
  return http::error_response(415, "unsupported_media_type", message);
}

}  // namespace vestibule::api
