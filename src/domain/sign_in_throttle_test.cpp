#include "domain/sign_in_throttle.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

TEST(SignInThrottle, AllowsFreeFailuresThenGrowsTheDelay) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(throttle.wait_seconds("ada@example.org", "10.0.0.1"), 0);
    throttle.record_failure("ada@example.org", "10.0.0.1");
  }
  EXPECT_EQ(throttle.wait_seconds("ada@example.org", "10.0.0.1"), 0);
  throttle.record_failure("ada@example.org", "10.0.0.1");
  EXPECT_EQ(throttle.wait_seconds("ada@example.org", "10.0.0.2"), 1);
  clock.advance(std::chrono::seconds{1});
  throttle.record_failure("ada@example.org", "10.0.0.1");
  EXPECT_EQ(throttle.wait_seconds("ada@example.org", "10.0.0.3"), 2);
}

TEST(SignInThrottle, NeverLocksOutForGood) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  for (int i = 0; i < 200; ++i) {
    throttle.record_failure("ada@example.org", "10.0.0.1");
  }
  EXPECT_LE(throttle.wait_seconds("ada@example.org", "10.0.0.1"), 15 * 60);
  clock.advance(std::chrono::minutes{15});
  EXPECT_EQ(throttle.wait_seconds("ada@example.org", "10.0.0.1"), 0);
}

TEST(SignInThrottle, SuccessClearsTheAccountButNotTheAddress) {
  util::ManualClock clock;
  SignInThrottle throttle(clock, {});
  for (int i = 0; i < 30; ++i) {
    throttle.record_failure("ada@example.org", "10.0.0.1");
  }
  throttle.record_success("ada@example.org");
  EXPECT_EQ(throttle.wait_seconds("ada@example.org", "10.0.0.9"), 0);
  EXPECT_GT(throttle.wait_seconds("bob@example.org", "10.0.0.1"), 0);
}

}  // namespace
}  // namespace vestibule::domain
