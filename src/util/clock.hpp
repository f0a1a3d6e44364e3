// Clock: the one source of "now" for everything whose behaviour depends on time (sessions,
// expiries, rate limits), so tests can move time instead of sleeping. Implementations are
// thread-safe.
#pragma once

#include <atomic>
#include <chrono>

namespace vestibule::util {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to; used by tests and by `serve --test-clock`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'800'000'000}})
      : now_ns_(start.time_since_epoch().count()) {}
  [[nodiscard]] TimePoint now() const override {
    return TimePoint{TimePoint::duration{now_ns_.load()}};
  }
  void advance(TimePoint::duration d) { now_ns_ += d.count(); }
  void set(TimePoint t) { now_ns_ = t.time_since_epoch().count(); }

 private:
  std::atomic<TimePoint::duration::rep> now_ns_;
};

// Unix seconds, the form times are stored in.
inline long long to_unix(TimePoint t) {
  return std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix(long long s) { return TimePoint{Seconds{s}}; }

}  // namespace vestibule::util
