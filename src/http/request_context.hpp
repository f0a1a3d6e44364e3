// The id of the request the current thread is handling, so every log line written while handling
// it carries the id (the logger's pattern reads it). Handlers run synchronously on one thread, so
// a thread-local is exact.
#pragma once

#include <string_view>

namespace vestibule::http {

// `id` must outlive the scope (the server passes its exchange's own).
class RequestIdScope {
 public:
  explicit RequestIdScope(std::string_view id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string_view previous_;
};

// "-" outside a request.
std::string_view current_request_id();

}  // namespace vestibule::http
