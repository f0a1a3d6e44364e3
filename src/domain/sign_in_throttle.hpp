// SignInThrottle: slows password guessing with growing delays and no permanent lockout, without
// letting one client lock a person out. Failures count per (account, client address): after
// `free_failures_per_pair`, each further failure from that client doubles its wait (1 s, 2 s, 4 s,
// ... up to `max_delay`). A client address failing on many accounts is slowed the same way after
// `free_failures_per_address`. Past `soft_failures_per_account` failures on an account from all
// clients together, every client that has failed on it waits the account's delay too — but a
// client with no failure on the account is never held back, so the real person still gets in. A
// success clears the account's and that client's counts. State is held in this process; with
// several nodes each counts on its own. Thread-safe.
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
    int free_failures_per_pair = 5;
    int free_failures_per_address = 20;
    int soft_failures_per_account = 20;
    std::chrono::seconds max_delay{15 * 60};
  };

  SignInThrottle(const util::Clock& clock, Options options) : clock_(clock), options_(options) {}

  // Seconds `client_address` waits before another try on `account` is accepted (0: go ahead).
  long wait_seconds(const std::string& account, const std::string& client_address);
  void record_failure(const std::string& account, const std::string& client_address);
  void record_success(const std::string& account, const std::string& client_address);

 private:
  struct Entry {
    int failures = 0;
    util::TimePoint blocked_until;
  };
  void fail_one(std::unordered_map<std::string, Entry>& map, const std::string& key, int free);
  static std::string pair_key(const std::string& account, const std::string& client_address);
  void prune();

  const util::Clock& clock_;
  Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> pairs_;
  std::unordered_map<std::string, Entry> accounts_;
  std::unordered_map<std::string, Entry> addresses_;
};

}  // namespace vestibule::domain
