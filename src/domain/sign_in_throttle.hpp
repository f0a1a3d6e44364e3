// SignInThrottle: slows password guessing per account and per client address with growing
// delays and no permanent lockout. After `free_failures` consecutive failures, each further
// failure doubles the wait (1 s, 2 s, 4 s, ... up to `max_delay`). A success clears the
// account's count. State is held in this process; with several nodes each counts on its own.
// Thread-safe.
#pragma once

#include "util/clock.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vestibule::domain {

class SignInThrottle {
 public:
  struct Options {
    int free_failures_per_account = 5;
    int free_failures_per_address = 20;
    std::chrono::seconds max_delay{15 * 60};
  };

  SignInThrottle(const util::Clock& clock, Options options) : clock_(clock), options_(options) {}

  // Seconds to wait before another try is accepted (0: go ahead).
  long wait_seconds(const std::string& account, const std::string& client_address);
  void record_failure(const std::string& account, const std::string& client_address);
  void record_success(const std::string& account);

 private:
  struct Entry {
    int failures = 0;
    util::TimePoint blocked_until;
  };
  void fail_one(std::unordered_map<std::string, Entry>& map, const std::string& key, int free);
  void prune();

  const util::Clock& clock_;
  Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> accounts_;
  std::unordered_map<std::string, Entry> addresses_;
};

}  // namespace vestibule::domain
