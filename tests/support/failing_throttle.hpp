// A throttle repository over another whose reads or writes fail on demand, as they do when the
// database is gone.
#pragma once

#include "domain/sign_in_throttle.hpp"

#include <string>

namespace vestibule::testing {

struct FailingThrottleRepository final : domain::ThrottleRepository {
  explicit FailingThrottleRepository(domain::ThrottleRepository& wrapped) : inner(wrapped) {}
  Result<domain::ThrottleEntries> entries(const std::string& scope, const std::string& account,
                                          const std::string& client_address) override {
    if (fail_reads) {
      return fail(Errc::kUnavailable, "the database is not reachable");
    }
    return inner.entries(scope, account, client_address);
  }
  Result<void> record_failure(const std::string& scope, const std::string& account,
                              const std::string& client_address, const Next& next) override {
    if (fail_writes) {
      return fail(Errc::kUnavailable, "the database is not reachable");
    }
    return inner.record_failure(scope, account, client_address, next);
  }
  Result<void> clear(const std::string& scope, const std::string& account,
                     const std::string& client_address) override {
    if (fail_writes) {
      return fail(Errc::kUnavailable, "the database is not reachable");
    }
    return inner.clear(scope, account, client_address);
  }
  Result<void> prune(const std::string& scope, std::int64_t above,
                     util::TimePoint idle_before) override {
    return inner.prune(scope, above, idle_before);
  }
  domain::ThrottleRepository& inner;
  bool fail_reads = false;
  bool fail_writes = false;
};

}  // namespace vestibule::testing
