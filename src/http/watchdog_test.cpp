#include "http/watchdog.hpp"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace vestibule::http {
namespace {

using namespace std::chrono_literals;

TEST(Watchdog, ADeadlineThatPassesRunsTheExpiryOnce) {
  boost::asio::io_context loop;
  int expiries = 0;
  Watchdog watchdog(loop.get_executor(), 1s, [&] { ++expiries; });
  watchdog.expire_after(20ms);
  loop.run_for(200ms);
  EXPECT_EQ(expiries, 1);
  EXPECT_TRUE(watchdog.expired());
}

TEST(Watchdog, MovingTheDeadlineLaterNeverReArmsAndStillExpiresAtTheNewTime) {
  boost::asio::io_context loop;
  int expiries = 0;
  Watchdog watchdog(loop.get_executor(), 30ms, [&] { ++expiries; });
  watchdog.expire_after(30ms);
  const auto armed = watchdog.arms();
  // A kept-alive connection sets a deadline before every read and write.
  for (int i = 0; i < 1000; ++i) {
    watchdog.expire_after(1s);
  }
  EXPECT_EQ(watchdog.arms(), armed);
  loop.run_for(200ms);  // the timer wakes at its armed time and follows the deadline
  EXPECT_EQ(expiries, 0);
  EXPECT_FALSE(watchdog.expired());
  EXPECT_GT(watchdog.arms(), armed);
  loop.run_for(2s);
  EXPECT_EQ(expiries, 1);
}

TEST(Watchdog, ADeadlineEarlierThanTheArmedTimeReArms) {
  boost::asio::io_context loop;
  int expiries = 0;
  Watchdog watchdog(loop.get_executor(), 10s, [&] { ++expiries; });
  watchdog.expire_after(10s);
  watchdog.expire_after(20ms);
  loop.run_for(300ms);
  EXPECT_EQ(expiries, 1);
}

TEST(Watchdog, ANewDeadlineClearsTheExpiryOfTheOldOne) {
  boost::asio::io_context loop;
  Watchdog watchdog(loop.get_executor(), 1s, [] {});
  watchdog.expire_after(10ms);
  loop.run_for(100ms);
  ASSERT_TRUE(watchdog.expired());
  watchdog.expire_after(10s);
  EXPECT_FALSE(watchdog.expired());
}

TEST(Watchdog, AStoppedWatchdogNeverExpiresAndLetsTheLoopFinish) {
  boost::asio::io_context loop;
  int expiries = 0;
  Watchdog watchdog(loop.get_executor(), 1s, [&] { ++expiries; });
  watchdog.expire_after(10ms);
  watchdog.stop();
  watchdog.expire_after(10ms);
  const auto ran = loop.run_for(2s);
  EXPECT_EQ(expiries, 0);
  EXPECT_GE(ran, 1U);  // the cancelled wait completed, and then the loop had nothing left
  EXPECT_TRUE(loop.stopped());
}

TEST(Watchdog, APendingWaitOutlivesTheWatchdogSafely) {
  boost::asio::io_context loop;
  int expiries = 0;
  {
    Watchdog watchdog(loop.get_executor(), 1s, [&] { ++expiries; });
    watchdog.expire_after(10ms);
  }
  loop.run_for(100ms);
  EXPECT_EQ(expiries, 0);
}

}  // namespace
}  // namespace vestibule::http
