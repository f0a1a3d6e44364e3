// Where the request the current thread is handling came from (the client address, trusted
// proxies resolved, and its User-Agent), for records written while handling it (the audit log).
// Handlers run synchronously on one thread, so a thread-local is exact.
#pragma once

#include <string>

namespace vestibule::util {

struct RequestOrigin {
  std::string client_ip;
  std::string user_agent;
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
