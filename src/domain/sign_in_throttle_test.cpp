// The throttle's rules, over the database the server keeps its counts in (SQLite here; the
// storage contract runs the repository on PostgreSQL too) and over the in-memory counts.
#include "domain/sign_in_throttle.hpp"

#include "store/sql/repositories.hpp"
#include "store/sqlite/database.hpp"
#include "support/failing_throttle.hpp"
#include "support/temp_dir.hpp"

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

constexpr const char* kAda = "ada@example.org";

// A throttle over one kind of storage, with a clock the test moves.
struct Counts {
  virtual ~Counts() = default;
  util::ManualClock clock;
  virtual SignInThrottle& throttle() = 0;
  long wait(const std::string& account, const std::string& address) {
    return throttle().wait_seconds(account, address).value();
  }
  void failure(const std::string& account, const std::string& address) {
    ASSERT_TRUE(throttle().record_failure(account, address));
  }
  void success(const std::string& account, const std::string& address) {
    ASSERT_TRUE(throttle().record_success(account, address));
  }
};

struct SqliteCounts final : Counts {
  testing::TempDir dir;
  store::sqlite::Database db{(dir.path() / "throttle.db").string(), 2};
  store::sql::ThrottleStore store{db};
  SignInThrottle sign_in{store, "sign-in", clock, {}};
  SqliteCounts() { EXPECT_TRUE(db.migrate()); }
  SignInThrottle& throttle() override { return sign_in; }
};

struct MemoryCounts final : Counts {
  SignInThrottle memory{clock, {}};
  SignInThrottle& throttle() override { return memory; }
};

using Factory = std::function<std::unique_ptr<Counts>()>;

class SignInThrottleRules : public ::testing::TestWithParam<std::pair<const char*, Factory>> {
 protected:
  void SetUp() override { counts_ = GetParam().second(); }
  Counts& t() { return *counts_; }
  util::ManualClock& clock() { return counts_->clock; }

 private:
  std::unique_ptr<Counts> counts_;
};

TEST_P(SignInThrottleRules, AllowsFreeFailuresPerClientThenGrowsItsDelay) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t().wait(kAda, "10.0.0.1"), 0);
    t().failure(kAda, "10.0.0.1");
  }
  EXPECT_EQ(t().wait(kAda, "10.0.0.1"), 0);
  t().failure(kAda, "10.0.0.1");
  EXPECT_EQ(t().wait(kAda, "10.0.0.1"), 1);
  clock().advance(std::chrono::seconds{1});
  t().failure(kAda, "10.0.0.1");
  EXPECT_EQ(t().wait(kAda, "10.0.0.1"), 2);
}

TEST_P(SignInThrottleRules, OneClientsFailuresNeverHoldBackAnotherClient) {
  for (int i = 0; i < 200; ++i) {
    t().failure(kAda, "10.0.0.1");
  }
  EXPECT_GT(t().wait(kAda, "10.0.0.1"), 0);
  EXPECT_EQ(t().wait(kAda, "10.0.0.2"), 0);  // the real Ada, elsewhere
}

TEST_P(SignInThrottleRules, TheSoftAccountLimitHoldsBackOnlyClientsThatFailedOnIt) {
  // A spray from many addresses, one failure each: no single pair reaches its limit...
  for (int i = 0; i < 25; ++i) {
    t().failure(kAda, "198.51.100." + std::to_string(i));
  }
  // ...but past the account's soft limit each of them waits,
  EXPECT_GT(t().wait(kAda, "198.51.100.3"), 0);
  // while a client with no failure on the account goes ahead, and other accounts are untouched.
  EXPECT_EQ(t().wait(kAda, "203.0.113.7"), 0);
  EXPECT_EQ(t().wait("bob@example.org", "198.51.100.3"), 0);
}

TEST_P(SignInThrottleRules, NeverLocksOutForGood) {
  for (int i = 0; i < 200; ++i) {
    t().failure(kAda, "10.0.0.1");
  }
  EXPECT_LE(t().wait(kAda, "10.0.0.1"), 15 * 60);
  clock().advance(std::chrono::minutes{15});
  EXPECT_EQ(t().wait(kAda, "10.0.0.1"), 0);
}

TEST_P(SignInThrottleRules, SuccessClearsTheAccountButNotTheAddress) {
  for (int i = 0; i < 30; ++i) {
    t().failure(kAda, "10.0.0.1");
  }
  t().success(kAda, "10.0.0.9");
  EXPECT_EQ(t().wait(kAda, "10.0.0.9"), 0);
  // The address failed on many tries: it is still slowed on every account.
  EXPECT_GT(t().wait("bob@example.org", "10.0.0.1"), 0);
}

TEST_P(SignInThrottleRules, AWaitIsRoundedUpFromAClockFinerThanASecond) {
  clock().advance(std::chrono::milliseconds{250});
  for (int i = 0; i < 6; ++i) {
    t().failure(kAda, "10.0.0.1");
  }
  clock().advance(std::chrono::milliseconds{600});
  EXPECT_EQ(t().wait(kAda, "10.0.0.1"), 1);
  clock().advance(std::chrono::milliseconds{400});
  EXPECT_EQ(t().wait(kAda, "10.0.0.1"), 0);
}

INSTANTIATE_TEST_SUITE_P(Storage, SignInThrottleRules,
                         ::testing::Values(std::make_pair("sqlite", Factory([] {
                                                            return std::make_unique<SqliteCounts>();
                                                          })),
                                           std::make_pair("memory", Factory([] {
                                                            return std::make_unique<MemoryCounts>();
                                                          }))),
                         [](const auto& p) { return std::string(p.param.first); });

// Two Database objects on one file stand for two processes (or nodes) on one database.
struct TwoNodes {
  testing::TempDir dir;
  util::ManualClock clock;
  store::sqlite::Database db_a{(dir.path() / "shared.db").string(), 2};
  store::sqlite::Database db_b{(dir.path() / "shared.db").string(), 2};
  store::sql::ThrottleStore store_a{db_a};
  store::sql::ThrottleStore store_b{db_b};
  SignInThrottle a{store_a, "sign-in", clock, {}};
  SignInThrottle b{store_b, "sign-in", clock, {}};
  TwoNodes() { EXPECT_TRUE(db_a.migrate()); }
};

TEST(SignInThrottleShared, FailuresSpreadOverTwoProcessesShareOneBudget) {
  TwoNodes n;
  for (int i = 0; i < 6; ++i) {
    auto& node = i % 2 == 0 ? n.a : n.b;
    EXPECT_EQ(node.wait_seconds(kAda, "10.0.0.1").value(), 0) << "try " << i;
    ASSERT_TRUE(node.record_failure(kAda, "10.0.0.1"));
  }
  // Six failures in all, three through each: both wait as one process would.
  EXPECT_EQ(n.a.wait_seconds(kAda, "10.0.0.1").value(), 1);
  EXPECT_EQ(n.b.wait_seconds(kAda, "10.0.0.1").value(), 1);
  // A success through one clears the count for both.
  ASSERT_TRUE(n.b.record_success(kAda, "10.0.0.1"));
  EXPECT_EQ(n.a.wait_seconds(kAda, "10.0.0.1").value(), 0);
}

TEST(SignInThrottleShared, FailuresRecordedAtOnceByTwoProcessesAreAllCounted) {
  TwoNodes n;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  for (auto* node : {&n.a, &n.a, &n.b, &n.b}) {
    threads.emplace_back([node] {
      for (int i = 0; i < kEach; ++i) {
        EXPECT_TRUE(node->record_failure(kAda, "10.0.0.1"));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const auto counted = n.store_b.entries("sign-in", kAda, "10.0.0.1").value();
  EXPECT_EQ(counted.pair.failures, 4 * kEach);
  EXPECT_EQ(counted.account.failures, 4 * kEach);
  EXPECT_EQ(counted.address.failures, 4 * kEach);
}

TEST(SignInThrottleUnavailable, CountsThatCannotBeReadOrWrittenAreUnavailableNeverZero) {
  testing::TempDir dir;
  store::sqlite::Database db((dir.path() / "t.db").string(), 1);
  ASSERT_TRUE(db.migrate());
  store::sql::ThrottleStore store(db);
  testing::FailingThrottleRepository failing(store);
  util::ManualClock clock;
  SignInThrottle throttle(failing, "sign-in", clock, {});
  failing.fail_reads = true;
  const auto wait = throttle.wait_seconds(kAda, "10.0.0.1");
  ASSERT_FALSE(wait);
  EXPECT_EQ(wait.error().code, Errc::kUnavailable);
  EXPECT_NE(wait.error().message.find("try again in a moment"), std::string::npos);
  EXPECT_EQ(wait.error().retry_after_seconds, 1);
  failing.fail_reads = false;
  failing.fail_writes = true;
  EXPECT_EQ(throttle.record_failure(kAda, "10.0.0.1").error().code, Errc::kUnavailable);
  EXPECT_EQ(throttle.record_success(kAda, "10.0.0.1").error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace vestibule::domain
