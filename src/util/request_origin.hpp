// Where the request the current thread is handling came from (the client address, trusted
// proxies resolved, and its User-Agent), for records written while handling it (the audit log).
// Handlers run synchronously on one thread, so a thread-local is exact.
#pragma once

#include <string_view>

namespace vestibule::util {

// Views of the request's own strings, valid while its scope is open (the handler runs inside it):
// nothing is copied for the requests that record nothing.
struct RequestOrigin {
  std::string_view client_ip;
  std::string_view user_agent;
};

class RequestOriginScope {
 public:
  explicit RequestOriginScope(RequestOrigin origin);
  ~RequestOriginScope();
  RequestOriginScope(const RequestOriginScope&) = delete;
  RequestOriginScope& operator=(const RequestOriginScope&) = delete;

 private:
  RequestOrigin previous_;
};

// Empty fields outside a request (the CLI, background work).
const RequestOrigin& current_request_origin();

}  // namespace vestibule::util
