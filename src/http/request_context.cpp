#include "http/request_context.hpp"

#include <utility>

namespace vestibule::http {

namespace {

thread_local std::string t_request_id;  // NOLINT: per-thread by design, see the header

}  // namespace

RequestIdScope::RequestIdScope(std::string_view id) : previous_(std::move(t_request_id)) {
  t_request_id.assign(id);
}

RequestIdScope::~RequestIdScope() { t_request_id = std::move(previous_); }

std::string_view current_request_id() {
  if (t_request_id.empty()) {
    return "-";
  }
  return t_request_id;
}

}  // namespace vestibule::http
