#include "domain/sign_in_throttle.hpp"

#include <algorithm>

namespace vestibule::domain {

std::string SignInThrottle::pair_key(const std::string& account,
                                     const std::string& client_address) {
  return account + '\n' + client_address;  // neither holds a line break
}

long SignInThrottle::wait_seconds(const std::string& account, const std::string& client_address) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  const auto find = [](std::unordered_map<std::string, Entry>& map,
                       const std::string& key) -> const Entry* {
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  };
  const Entry* pair = find(pairs_, pair_key(account, client_address));
  // The account-wide count holds back only clients that have failed on this account.
  const Entry* account_wide =
      pair != nullptr && pair->failures > 0 ? find(accounts_, account) : nullptr;
  long wait = 0;
  for (const Entry* entry : {pair, account_wide, find(addresses_, client_address)}) {
    if (entry != nullptr && entry->blocked_until > now) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(entry->blocked_until - now).count();
      wait = std::max(wait, static_cast<long>(left));
    }
  }
  return wait;
}

void SignInThrottle::fail_one(std::unordered_map<std::string, Entry>& map, const std::string& key,
                              int free) {
  auto& entry = map[key];
  ++entry.failures;
  if (entry.failures > free) {
    const int doublings = std::min(entry.failures - free - 1, 20);
    const auto delay = std::min(std::chrono::seconds{1LL << doublings}, options_.max_delay);
    entry.blocked_until = clock_.now() + delay;
  }
}

void SignInThrottle::record_failure(const std::string& account, const std::string& client_address) {
  std::lock_guard lock(mutex_);
  prune();
  fail_one(pairs_, pair_key(account, client_address), options_.free_failures_per_pair);
  fail_one(accounts_, account, options_.soft_failures_per_account);
  fail_one(addresses_, client_address, options_.free_failures_per_address);
}

void SignInThrottle::record_success(const std::string& account, const std::string& client_address) {
  std::lock_guard lock(mutex_);
  pairs_.erase(pair_key(account, client_address));
  accounts_.erase(account);
}

void SignInThrottle::prune() {
  // Bounded memory under a spray of addresses: entries idle past the maximum delay are forgotten.
  constexpr std::size_t kPruneAbove = 100000;
  const auto now = clock_.now();
  for (auto* map : {&pairs_, &accounts_, &addresses_}) {
    if (map->size() > kPruneAbove) {
      std::erase_if(
          *map, [&](const auto& kv) { return kv.second.blocked_until + options_.max_delay < now; });
    }
  }
}

}  // namespace vestibule::domain
