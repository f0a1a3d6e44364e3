#include "http/watchdog.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vestibule::http {

namespace asio = boost::asio;

struct Watchdog::State {
  State(const asio::any_io_executor& executor, Clock::duration period_,
        std::function<void()> on_expiry_)
      : timer(executor), period(period_), on_expiry(std::move(on_expiry_)) {}

  asio::steady_timer timer;
  Clock::duration period;
  std::function<void()> on_expiry;
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point armed_at = Clock::time_point::max();  // max: no wait pending
  bool expired = false;
  bool stopped = false;
  std::uint64_t arms = 0;
};

Watchdog::Watchdog(const asio::any_io_executor& executor, Clock::duration period,
                   std::function<void()> on_expiry)
    : state_(std::make_shared<State>(executor, std::max(period, Clock::duration{1}),
                                     std::move(on_expiry))) {}

Watchdog::~Watchdog() {
  // Usually stopped already by its owner, on its event loop; the last owner may release it on
  // another thread, where only reading the flag is safe.
  if (!state_->stopped) {
    try {
      stop();
    } catch (...) {  // cancelling a timer fails only when the event loop is already gone
    }
  }
}

void Watchdog::expire_after(Clock::duration timeout) {
  auto& s = *state_;
  if (s.stopped) {
    return;
  }
  const auto now = Clock::now();
  s.deadline = now + timeout;
  s.expired = false;
  if (s.deadline < s.armed_at) {
    arm(state_, std::min(s.deadline, now + s.period));
  }
}

bool Watchdog::expired() const { return state_->expired; }

void Watchdog::stop() {
  auto& s = *state_;
  s.stopped = true;
  s.deadline = Clock::time_point::max();
  s.on_expiry = nullptr;  // what it refers to may be gone before the cancelled wait completes
  s.timer.cancel();
}

std::uint64_t Watchdog::arms() const { return state_->arms; }

void Watchdog::arm(const std::shared_ptr<State>& state, Clock::time_point at) {
  state->armed_at = at;
  ++state->arms;
  state->timer.expires_at(at);  // a wait still pending completes as cancelled
  state->timer.async_wait([state](const boost::system::error_code& ec) {
    if (ec != asio::error::operation_aborted) {
      wake(state);
    }
  });
}

void Watchdog::wake(const std::shared_ptr<State>& state) {
  auto& s = *state;
  s.armed_at = Clock::time_point::max();
  if (s.stopped || s.deadline == Clock::time_point::max()) {
    return;
  }
  const auto now = Clock::now();
  if (now >= s.deadline) {
    s.expired = true;
    s.deadline = Clock::time_point::max();
    if (s.on_expiry) {
      s.on_expiry();
    }
    return;
  }
  arm(state, std::min(s.deadline, now + s.period));
}

}  // namespace vestibule::http
