// Watchdog: one timer for every deadline of a connection. Setting a deadline only writes a time;
// the timer is armed at most `period` ahead and, when it wakes before the deadline, follows it.
// A kept-alive connection therefore costs a timer system call every `period`, not one per read
// and per write. It is re-armed at once only when a deadline comes earlier than the armed time.
// Not thread-safe: use it from the connection's event loop only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>  // before asio's headers under g++ 12 (see src/http/server.cpp)

#include <boost/asio/any_io_executor.hpp>

namespace vestibule::http {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expiry` runs on the executor when a deadline passes (typically: cancel the socket's
  // operations). `period` is at most the shortest deadline the owner sets, so that setting one
  // never re-arms.
  Watchdog(const boost::asio::any_io_executor& executor, Clock::duration period,
           std::function<void()> on_expiry);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The deadline is now + `timeout`; the previous one no longer applies.
  void expire_after(Clock::duration timeout);
  // Whether the current deadline passed and `on_expiry` ran for it.
  [[nodiscard]] bool expired() const;
  // No deadline from now on, and the timer's wait ends (a stopped watchdog stays stopped).
  void stop();
  // How many times the timer was armed, for tests.
  [[nodiscard]] std::uint64_t arms() const;

 private:
  struct State;
  static void arm(const std::shared_ptr<State>& state, Clock::time_point at);
  static void wake(const std::shared_ptr<State>& state);

  // Shared with the timer's pending wait, which may complete after the watchdog is gone.
  std::shared_ptr<State> state_;
};

}  // namespace vestibule::http
