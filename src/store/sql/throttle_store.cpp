// The throttles' failure counts (domain/sign_in_throttle.hpp), one row per (scope, kind,
// subject). Written with write_unversioned: no memoized read depends on these rows, so counting a
// failure does not empty every node's memo.
#include "store/sql/repositories.hpp"

#include <chrono>

namespace vestibule::store::sql {

using domain::ThrottleEntries;
using domain::ThrottleEntry;
using domain::ThrottleKind;

namespace {

// Microseconds since the epoch: a wait is rounded up to whole seconds from the clock's now, which
// has more precision than a second.
std::int64_t to_micros(util::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
util::TimePoint from_micros(std::int64_t us) {
  return util::TimePoint{
      std::chrono::duration_cast<util::TimePoint::duration>(std::chrono::microseconds{us})};
}

std::string pair_subject(const std::string& account, const std::string& client_address) {
  return account + '\n' + client_address;  // neither holds a line break
}

constexpr const char* kind_name(ThrottleKind kind) {
  switch (kind) {
    case ThrottleKind::kPair:
      return "pair";
    case ThrottleKind::kAccount:
      return "account";
    case ThrottleKind::kAddress:
      return "address";
  }
  return "pair";
}

// The three rows by primary key, in one statement.
ThrottleEntries read_entries(Connection& c, const std::string& scope, const std::string& account,
                             const std::string& client_address) {
  auto& s = c.prepare(
      "SELECT kind, failures, blocked_until_us FROM throttle_entries WHERE scope = ?1 AND ("
      "(kind = 'pair' AND subject = ?2) OR (kind = 'account' AND subject = ?3) OR "
      "(kind = 'address' AND subject = ?4))");
  s.with(scope, pair_subject(account, client_address), account, client_address);
  ThrottleEntries out;
  while (s.step()) {
    const auto kind = s.text(0);
    ThrottleEntry& e = kind == "pair" ? out.pair : kind == "account" ? out.account : out.address;
    e.failures = static_cast<int>(s.int64(1));
    e.blocked_until = from_micros(s.int64(2));
  }
  return out;
}

}  // namespace

Result<ThrottleEntries> ThrottleStore::entries(const std::string& scope, const std::string& account,
                                               const std::string& client_address) {
  return db_.read<ThrottleEntries>(
      [&](Connection& c) { return read_entries(c, scope, account, client_address); });
}

Result<void> ThrottleStore::record_failure(const std::string& scope, const std::string& account,
                                           const std::string& client_address, const Next& next) {
  // Write transactions run one at a time across every node, so the counts read here are the
  // latest and the increments below cannot be lost to another node's.
  return db_.write_unversioned([&](Connection& c) {
    const auto before = read_entries(c, scope, account, client_address);
    for (const auto& [kind, subject, entry] :
         {std::tuple{ThrottleKind::kPair, pair_subject(account, client_address), before.pair},
          std::tuple{ThrottleKind::kAccount, account, before.account},
          std::tuple{ThrottleKind::kAddress, client_address, before.address}}) {
      ThrottleEntry after = entry;
      ++after.failures;
      after = next(kind, after);
      c.prepare(
           "INSERT INTO throttle_entries (scope, kind, subject, failures, blocked_until_us) "
           "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (scope, kind, subject) DO UPDATE SET "
           "failures = excluded.failures, blocked_until_us = excluded.blocked_until_us")
          .with(scope, kind_name(kind), subject, after.failures, to_micros(after.blocked_until))
          .run();
    }
  });
}

Result<void> ThrottleStore::clear(const std::string& scope, const std::string& account,
                                  const std::string& client_address) {
  return db_.write_unversioned([&](Connection& c) {
    c.prepare(
         "DELETE FROM throttle_entries WHERE scope = ?1 AND ("
         "(kind = 'pair' AND subject = ?2) OR (kind = 'account' AND subject = ?3))")
        .with(scope, pair_subject(account, client_address), account)
        .run();
  });
}

Result<void> ThrottleStore::prune(const std::string& scope, std::int64_t above,
                                  util::TimePoint idle_before) {
  return db_.write_unversioned([&](Connection& c) {
    auto& count = c.prepare("SELECT count(*) FROM throttle_entries WHERE scope = ?1");
    count.with(scope);
    count.step();
    const auto held = count.int64(0);
    count.reset();
    if (held > above) {
      c.prepare("DELETE FROM throttle_entries WHERE scope = ?1 AND blocked_until_us < ?2")
          .with(scope, to_micros(idle_before))
          .run();
    }
  });
}

}  // namespace vestibule::store::sql
