// TimeHorizon: how long an answer decided from stored state and the clock stays the answer.
// While a horizon is open on a thread, every decision that compares the clock with a stored time
// (an expiry, the end of a reverification period) notes the time at which its outcome would
// change; the earliest of them is when the answer may first differ, provided nothing stored
// changes before then. With no horizon open, noting costs one thread-local read and does nothing.
#pragma once

#include "util/clock.hpp"

#include <optional>

namespace vestibule::util {

class TimeHorizon {
 public:
  TimeHorizon();
  ~TimeHorizon();
  TimeHorizon(const TimeHorizon&) = delete;
  TimeHorizon& operator=(const TimeHorizon&) = delete;

  // The earliest time noted while this horizon was open; nullopt when nothing noted depends on
  // the clock.
  [[nodiscard]] std::optional<TimePoint> earliest() const { return earliest_; }

  // A decision on this thread would come out differently at `at`. Noting a time earlier than
  // the true change only shortens the horizon; noting a later one would be a bug.
  static void note(TimePoint at);

 private:
  std::optional<TimePoint> earliest_;
  TimeHorizon* outer_;
};

// Whether `at` has come by `now` (at <= now); when it has not, the open horizon notes it, since
// the answer changes when it comes.
inline bool has_come(TimePoint at, TimePoint now) {
  if (at <= now) {
    return true;
  }
  TimeHorizon::note(at);
  return false;
}

}  // namespace vestibule::util
