#include "domain/sign_in_throttle.hpp"

#include <string>

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

constexpr const char* kAda = "ada@example.org";

TEST(SignInThrottle, AllowsFreeFailuresPerClientThenGrowsItsDelay) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(throttle.wait_seconds(kAda, "10.0.0.1"), 0);
    throttle.record_failure(kAda, "10.0.0.1");
  }
  EXPECT_EQ(throttle.wait_seconds(kAda, "10.0.0.1"), 0);
  throttle.record_failure(kAda, "10.0.0.1");
  EXPECT_EQ(throttle.wait_seconds(kAda, "10.0.0.1"), 1);
  clock.advance(std::chrono::seconds{1});
  throttle.record_failure(kAda, "10.0.0.1");
  EXPECT_EQ(throttle.wait_seconds(kAda, "10.0.0.1"), 2);
}

TEST(SignInThrottle, OneClientsFailuresNeverHoldBackAnotherClient) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  for (int i = 0; i < 200; ++i) {
    throttle.record_failure(kAda, "10.0.0.1");
  }
  EXPECT_GT(throttle.wait_seconds(kAda, "10.0.0.1"), 0);
  EXPECT_EQ(throttle.wait_seconds(kAda, "10.0.0.2"), 0);  // the real Ada, elsewhere
}

TEST(SignInThrottle, TheSoftAccountLimitHoldsBackOnlyClientsThatFailedOnIt) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  // A spray from many addresses, one failure each: no single pair reaches its limit...
  for (int i = 0; i < 25; ++i) {
    throttle.record_failure(kAda, "198.51.100." + std::to_string(i));
  }
  // ...but past the account's soft limit each of them waits,
  EXPECT_GT(throttle.wait_seconds(kAda, "198.51.100.3"), 0);
  // while a client with no failure on the account goes ahead, and other accounts are untouched.
  EXPECT_EQ(throttle.wait_seconds(kAda, "203.0.113.7"), 0);
  EXPECT_EQ(throttle.wait_seconds("bob@example.org", "198.51.100.3"), 0);
}

TEST(SignInThrottle, NeverLocksOutForGood) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  for (int i = 0; i < 200; ++i) {
    throttle.record_failure(kAda, "10.0.0.1");
  }
  EXPECT_LE(throttle.wait_seconds(kAda, "10.0.0.1"), 15 * 60);
  clock.advance(std::chrono::minutes{15});
  EXPECT_EQ(throttle.wait_seconds(kAda, "10.0.0.1"), 0);
}

TEST(SignInThrottle, SuccessClearsTheAccountButNotTheAddress) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  for (int i = 0; i < 30; ++i) {
    throttle.record_failure(kAda, "10.0.0.1");
  }
  throttle.record_success(kAda, "10.0.0.9");
  EXPECT_EQ(throttle.wait_seconds(kAda, "10.0.0.9"), 0);
  // The address failed on many tries: it is still slowed on every account.
  EXPECT_GT(throttle.wait_seconds("bob@example.org", "10.0.0.1"), 0);
}

}  // namespace
}  // namespace vestibule::domain
