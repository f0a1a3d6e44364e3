#include "domain/sign_in_throttle.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace vestibule::domain {

class MemoryThrottleRepository final : public ThrottleRepository {
 public:
  Result<ThrottleEntries> entries(const std::string& scope, const std::string& account,
                                  const std::string& client_address) override {
    std::lock_guard lock(mutex_);
    const auto get = [&](ThrottleKind kind, const std::string& subject) {
      const auto it = map_.find(key(scope, kind, subject));
      return it == map_.end() ? ThrottleEntry{} : it->second;
    };
    return ThrottleEntries{get(ThrottleKind::kPair, pair_subject(account, client_address)),
                           get(ThrottleKind::kAccount, account),
                           get(ThrottleKind::kAddress, client_address)};
  }

  Result<void> record_failure(const std::string& scope, const std::string& account,
                              const std::string& client_address, const Next& next) override {
    std::lock_guard lock(mutex_);
    for (const auto& [kind, subject] :
         {std::pair{ThrottleKind::kPair, pair_subject(account, client_address)},
          std::pair{ThrottleKind::kAccount, account},
          std::pair{ThrottleKind::kAddress, client_address}}) {
      auto& entry = map_[key(scope, kind, subject)];
      ++entry.failures;
      entry = next(kind, entry);
    }
    return outcome::success();
  }

  Result<void> clear(const std::string& scope, const std::string& account,
                     const std::string& client_address) override {
    std::lock_guard lock(mutex_);
    map_.erase(key(scope, ThrottleKind::kPair, pair_subject(account, client_address)));
    map_.erase(key(scope, ThrottleKind::kAccount, account));
    return outcome::success();
  }

  Result<void> prune(const std::string& /*scope*/, std::int64_t above,
                     util::TimePoint idle_before) override {
    std::lock_guard lock(mutex_);
    if (static_cast<std::int64_t>(map_.size()) > above) {
      std::erase_if(map_, [&](const auto& kv) { return kv.second.blocked_until < idle_before; });
    }
    return outcome::success();
  }

 private:
  static std::string pair_subject(const std::string& account, const std::string& client_address) {
    return account + '\n' + client_address;  // neither holds a line break
  }
  static std::string key(const std::string& scope, ThrottleKind kind, const std::string& subject) {
    return scope + '\n' + std::to_string(static_cast<int>(kind)) + '\n' + subject;
  }

  std::mutex mutex_;
  std::unordered_map<std::string, ThrottleEntry> map_;
};

namespace {

Error unavailable(const std::string& scope, const Error& cause) {
  spdlog::warn("the {} throttle could not read or write its counts: {}", scope, cause.message);
  auto error = make_error(Errc::kUnavailable,
                          "failed attempts cannot be counted at the moment, so none is checked; "
                          "try again in a moment");
  error.retry_after_seconds = 1;
  return error;
}

}  // namespace

SignInThrottle::SignInThrottle(ThrottleRepository& repository, std::string scope,
                               const util::Clock& clock, Options options)
    : repository_(repository), scope_(std::move(scope)), clock_(clock), options_(options) {}

SignInThrottle::SignInThrottle(const util::Clock& clock, Options options)
    : owned_(std::make_unique<MemoryThrottleRepository>()),
      repository_(*owned_),
      scope_("memory"),
      clock_(clock),
      options_(options) {}

SignInThrottle::~SignInThrottle() = default;

Result<long> SignInThrottle::wait_seconds(const std::string& account,
                                          const std::string& client_address) {
  auto found = repository_.entries(scope_, account, client_address);
  if (!found) {
    return fail(unavailable(scope_, found.error()));
  }
  const auto& e = found.value();
  const auto now = clock_.now();
  // The account-wide count holds back only clients that have failed on this account.
  const bool pair_failed = e.pair.failures > 0;
  long wait = 0;
  for (const ThrottleEntry* entry : {&e.pair, pair_failed ? &e.account : nullptr, &e.address}) {
    if (entry != nullptr && entry->blocked_until > now) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(entry->blocked_until - now).count();
      wait = std::max(wait, static_cast<long>(left));
    }
  }
  return wait;
}

ThrottleEntry SignInThrottle::fail_one(ThrottleEntry entry, int free) const {
  if (entry.failures > free) {
    const int doublings = std::min(entry.failures - free - 1, 20);
    const auto delay = std::min(std::chrono::seconds{1LL << doublings}, options_.max_delay);
    entry.blocked_until = clock_.now() + delay;
  }
  return entry;
}

Result<void> SignInThrottle::record_failure(const std::string& account,
                                            const std::string& client_address) {
  prune_now_and_then();
  auto recorded = repository_.record_failure(
      scope_, account, client_address, [&](ThrottleKind kind, ThrottleEntry entry) {
        switch (kind) {
          case ThrottleKind::kPair:
            return fail_one(entry, options_.free_failures_per_pair);
          case ThrottleKind::kAccount:
            return fail_one(entry, options_.soft_failures_per_account);
          case ThrottleKind::kAddress:
            return fail_one(entry, options_.free_failures_per_address);
        }
        return entry;
      });
  if (!recorded) {
    return fail(unavailable(scope_, recorded.error()));
  }
  return outcome::success();
}

Result<void> SignInThrottle::record_success(const std::string& account,
                                            const std::string& client_address) {
  auto cleared = repository_.clear(scope_, account, client_address);
  if (!cleared) {
    return fail(unavailable(scope_, cleared.error()));
  }
  return outcome::success();
}

void SignInThrottle::prune_now_and_then() {
  // Entries idle past the maximum delay are forgotten once the scope holds many; counting them is
  // not free on a database, so each process looks at most once a minute (of the server's clock).
  const auto now = clock_.now();
  const auto last = util::TimePoint{util::TimePoint::duration{last_prune_.load()}};
  if (now - last < std::chrono::minutes{1}) {
    return;
  }
  auto expected = last.time_since_epoch().count();
  if (!last_prune_.compare_exchange_strong(expected, now.time_since_epoch().count())) {
    return;  // another thread is at it
  }
  if (auto pruned = repository_.prune(scope_, options_.prune_above, now - options_.max_delay);
      !pruned) {
    spdlog::warn("could not prune the {} throttle's counts: {}", scope_, pruned.error().message);
  }
}

}  // namespace vestibule::domain
