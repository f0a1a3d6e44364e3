#include "http/request_context.hpp"

namespace vestibule::http {

namespace {

// A view of the id the scope was given, which outlives the scope: setting it allocates nothing.
thread_local std::string_view t_request_id;  // NOLINT: per-thread by design, see the header

}  // namespace

RequestIdScope::RequestIdScope(std::string_view id) : previous_(t_request_id) { t_request_id = id; }

RequestIdScope::~RequestIdScope() { t_request_id = previous_; }

std::string_view current_request_id() {
  if (t_request_id.empty()) {
    return "-";
  }
  return t_request_id;
}

}  // namespace vestibule::http
