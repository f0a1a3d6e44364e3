// SignInThrottle: slows password guessing with growing delays and no permanent lockout, without
// letting one client lock a person out. Failures count per (account, client address): after
// `free_failures_per_pair`, each further failure from that client doubles its wait (1 s, 2 s, 4 s,
// ... up to `max_delay`). A client address failing on many accounts is slowed the same way after
// `free_failures_per_address`. Past `soft_failures_per_account` failures on an account from all
// clients together, every client that has failed on it waits the account's delay too — but a
// client with no failure on the account is never held back, so the real person still gets in. A
// success clears the account's and that client's counts.
//
// The counts live behind a ThrottleRepository, under a scope naming the throttle ("sign-in",
// "link-password"). The server keeps them in its database (store/sql ThrottleStore), so every
// node sharing the database counts the same failures: guesses spread over N nodes get one budget,
// not N. Each failure is recorded in one write transaction (read the three counts, add one, set
// their waits), and write transactions run one at a time across nodes, so two nodes recording at
// once never lose a count. When the counts cannot be read or written (the database is down),
// every attempt is refused as unavailable, the right password as the wrong one: a guess is never
// answered without being counted. Thread-safe.
#pragma once

#include "util/clock.hpp"
#include "util/result.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace vestibule::domain {

// What a throttle counts one failure against.
enum class ThrottleKind { kPair, kAccount, kAddress };

struct ThrottleEntry {
  int failures = 0;
  util::TimePoint blocked_until;  // the epoch when never blocked
};

// The counts of an (account, client address) pair, of the account and of the address (zero
// failures where none is recorded).
struct ThrottleEntries {
  ThrottleEntry pair;
  ThrottleEntry account;
  ThrottleEntry address;
};

class ThrottleRepository {
 public:
  virtual ~ThrottleRepository() = default;
  // The entry one more failure makes: given the entry with its count already increased, returns
  // it with its wait set.
  using Next = std::function<ThrottleEntry(ThrottleKind, ThrottleEntry after_count)>;

  virtual Result<ThrottleEntries> entries(const std::string& scope, const std::string& account,
                                          const std::string& client_address) = 0;
  // One failure more on the pair, the account and the address, atomically: no failure recorded
  // at the same time (by this process or another) is lost.
  virtual Result<void> record_failure(const std::string& scope, const std::string& account,
                                      const std::string& client_address, const Next& next) = 0;
  // Forgets the pair's and the account's counts (not the address's).
  virtual Result<void> clear(const std::string& scope, const std::string& account,
                             const std::string& client_address) = 0;
  // When the scope holds more than `above` entries, forgets those blocked until before
  // `idle_before` (bounded storage under a spray of addresses).
  virtual Result<void> prune(const std::string& scope, std::int64_t above,
                             util::TimePoint idle_before) = 0;
};

// The counts in this process's memory only: for a single process that keeps no database (tools,
// benchmarks); each process counts on its own.
class MemoryThrottleRepository;

class SignInThrottle {
 public:
  struct Options {
    int free_failures_per_pair = 5;
    int free_failures_per_address = 20;
    int soft_failures_per_account = 20;
    std::chrono::seconds max_delay{15 * 60};
    std::int64_t prune_above = 100000;  // entries per scope
  };

  // Counts in `repository` under `scope`.
  SignInThrottle(ThrottleRepository& repository, std::string scope, const util::Clock& clock,
                 Options options);
  // Counts in this process's memory.
  SignInThrottle(const util::Clock& clock, Options options);
  ~SignInThrottle();
  SignInThrottle(const SignInThrottle&) = delete;
  SignInThrottle& operator=(const SignInThrottle&) = delete;
  SignInThrottle(SignInThrottle&&) = delete;
  SignInThrottle& operator=(SignInThrottle&&) = delete;

  // Seconds `client_address` waits before another try on `account` is accepted (0: go ahead).
  // The three calls fail with kUnavailable when the counts cannot be read or written; the
  // attempt must then be refused whatever the password.
  Result<long> wait_seconds(const std::string& account, const std::string& client_address);
  Result<void> record_failure(const std::string& account, const std::string& client_address);
  Result<void> record_success(const std::string& account, const std::string& client_address);

 private:
  ThrottleEntry fail_one(ThrottleEntry entry, int free) const;
  void prune_now_and_then();

  std::unique_ptr<ThrottleRepository> owned_;
  ThrottleRepository& repository_;
  std::string scope_;
  const util::Clock& clock_;
  Options options_;
  // When this process last pruned (clock ticks), so storage is checked at most once a minute.
  std::atomic<util::TimePoint::rep> last_prune_{0};
};

}  // namespace vestibule::domain
