#include "app/blob_housekeeping.hpp"

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace vestibule::app {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// What the default logger writes while it lives, restored afterwards.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  [[nodiscard]] std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

struct Counted {
  util::ManualClock clock;
  int swept = 0;
  int collected = 0;
  BlobHousekeeping housekeeping{clock,
                                hours{24},
                                {[this]() -> Result<std::size_t> {
                                   ++swept;
                                   return std::size_t{2};
                                 },
                                 [this]() -> Result<std::size_t> {
                                   ++collected;
                                   return std::size_t{3};
                                 }}};
};

TEST(BlobHousekeeping, RunsBothStepsOnceADayOnTheServersClockNotAtStartUp) {
  Counted c;
  EXPECT_FALSE(c.housekeeping.run_if_due());  // start-up has just swept
  c.clock.advance(hours{23} + minutes{59});
  EXPECT_FALSE(c.housekeeping.run_if_due());
  EXPECT_EQ(c.swept + c.collected, 0);

  c.clock.advance(minutes{1});
  EXPECT_TRUE(c.housekeeping.run_if_due());
  EXPECT_EQ(c.swept, 1);
  EXPECT_EQ(c.collected, 1);
  EXPECT_FALSE(c.housekeeping.run_if_due());  // the next pass, same moment: not again
  c.clock.advance(hours{12});
  EXPECT_FALSE(c.housekeeping.run_if_due());
  c.clock.advance(hours{12});
  EXPECT_TRUE(c.housekeeping.run_if_due());
  EXPECT_EQ(c.swept, 2);
  EXPECT_EQ(c.collected, 2);
}

TEST(BlobHousekeeping, AJumpOfSeveralDaysRunsOnceAndAClockSetBackWaitsAFullDay) {
  Counted c;
  c.clock.advance(hours{24 * 5});
  EXPECT_TRUE(c.housekeeping.run_if_due());
  EXPECT_FALSE(c.housekeeping.run_if_due());
  EXPECT_EQ(c.swept, 1);

  c.clock.advance(-hours{48});
  EXPECT_FALSE(c.housekeeping.run_if_due());
  c.clock.advance(hours{23});
  EXPECT_FALSE(c.housekeeping.run_if_due());
  c.clock.advance(hours{1});
  EXPECT_TRUE(c.housekeeping.run_if_due());
  EXPECT_EQ(c.swept, 2);
}

TEST(BlobHousekeeping, LogsWhatItRemoved) {
  CapturedLog log;
  Counted c;
  c.clock.advance(hours{24});
  ASSERT_TRUE(c.housekeeping.run_if_due());
  EXPECT_NE(log.text().find("info blob store: daily sweep removed 2 unfinished upload(s)"),
            std::string::npos)
      << log.text();
  EXPECT_NE(log.text().find("info blob store: daily collection released 3 unreferenced blob(s)"),
            std::string::npos)
      << log.text();
}

TEST(BlobHousekeeping, AStoreThatIsDownIsAWarningAndTheOtherStepStillRuns) {
  CapturedLog log;
  util::ManualClock clock;
  int collected = 0;
  BlobHousekeeping housekeeping(clock, hours{24},
                                {[]() -> Result<std::size_t> {
                                   return fail(Errc::kUnavailable,
                                               "cannot reach the S3 store at http://127.0.0.1:9");
                                 },
                                 [&collected]() -> Result<std::size_t> {
                                   ++collected;
                                   throw std::runtime_error("database is locked");
                                 }});
  clock.advance(hours{24});
  EXPECT_TRUE(housekeeping.run_if_due());  // neither failure escapes the pass
  EXPECT_EQ(collected, 1);
  const auto text = log.text();
  EXPECT_NE(text.find("warning blob store: daily removal of what interrupted uploads left failed "
                      "(retried in 24 h): cannot reach the S3 store at http://127.0.0.1:9"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("warning blob store: daily collection of unreferenced blobs failed "
                      "(retried in 24 h): database is locked"),
            std::string::npos)
      << text;
  // Retried at the next run, a day later, not on every pass in between.
  EXPECT_FALSE(housekeeping.run_if_due());
  clock.advance(hours{24});
  EXPECT_TRUE(housekeeping.run_if_due());
  EXPECT_EQ(collected, 2);
}

}  // namespace
}  // namespace vestibule::app
