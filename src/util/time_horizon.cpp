#include "util/time_horizon.hpp"

namespace vestibule::util {

namespace {
thread_local TimeHorizon* t_open = nullptr;
}  // namespace

TimeHorizon::TimeHorizon() : outer_(t_open) { t_open = this; }

TimeHorizon::~TimeHorizon() { t_open = outer_; }

// Every open horizon: an enclosing one depends on what is decided inside a nested one too.
void TimeHorizon::note(TimePoint at) {
  for (TimeHorizon* h = t_open; h != nullptr; h = h->outer_) {
    if (!h->earliest_ || at < *h->earliest_) {
      h->earliest_ = at;
    }
  }
}

}  // namespace vestibule::util
