// The throttles' counts on PostgreSQL with two nodes (two Database objects, each its own pool of
// connections) on one database: failures recorded through one make the other wait, and failures
// recorded at once through both are all counted.
#include "domain/sign_in_throttle.hpp"
#include "store/postgres/database.hpp"
#include "store/sql/repositories.hpp"
#include "support/postgres_server.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

constexpr const char* kAda = "ada@example.org";

std::int64_t change_counter(sql::Database& db) {
  return db
      .read<std::int64_t>([](sql::Connection& c) {
        auto& s = c.prepare("SELECT value FROM change_counter WHERE id = 1");
        EXPECT_TRUE(s.step());
        return s.int64(0);
      })
      .value();
}

struct TwoNodes {
  std::string url = testing::PostgresServer::shared().fresh_database();
  util::ManualClock clock;
  postgres::Database db_a{url, 3};
  postgres::Database db_b{url, 3};
  sql::ThrottleStore store_a{db_a};
  sql::ThrottleStore store_b{db_b};
  domain::SignInThrottle a{store_a, "sign-in", clock, {}};
  domain::SignInThrottle b{store_b, "sign-in", clock, {}};
  TwoNodes() { EXPECT_TRUE(db_a.migrate()); }
};

TEST(PostgresThrottle, TwoNodesOnOneDatabaseShareOneBudget) {
  TwoNodes n;
  // Five free failures per client, spread over both nodes: the sixth failure blocks on both, as
  // on one node (counted per node, neither would have reached its limit).
  for (int i = 0; i < 6; ++i) {
    auto& node = i % 2 == 0 ? n.a : n.b;
    EXPECT_EQ(node.wait_seconds(kAda, "10.0.0.1").value(), 0) << "try " << i;
    ASSERT_TRUE(node.record_failure(kAda, "10.0.0.1"));
  }
  EXPECT_EQ(n.a.wait_seconds(kAda, "10.0.0.1").value(), 1);
  EXPECT_EQ(n.b.wait_seconds(kAda, "10.0.0.1").value(), 1);
  n.clock.advance(std::chrono::seconds{1});
  ASSERT_TRUE(n.a.record_failure(kAda, "10.0.0.1"));
  EXPECT_EQ(n.b.wait_seconds(kAda, "10.0.0.1").value(), 2);
  // Another client still goes ahead, and a success through one node clears the count for both.
  EXPECT_EQ(n.b.wait_seconds(kAda, "10.0.0.2").value(), 0);
  ASSERT_TRUE(n.b.record_success(kAda, "10.0.0.1"));
  EXPECT_EQ(n.a.wait_seconds(kAda, "10.0.0.1").value(), 0);
}

TEST(PostgresThrottle, FailuresRecordedAtOnceOnTwoNodesAreAllCountedWithoutMovingTheCounter) {
  TwoNodes n;
  const auto counter_before = change_counter(n.db_a);
  constexpr int kEach = 25;
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
  // Counting failures empties no node's read memo.
  EXPECT_EQ(change_counter(n.db_b), counter_before);
}

}  // namespace
}  // namespace vestibule::store
