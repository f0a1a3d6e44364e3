// Runs Outbox::deliver_due() on its own thread — after `before_delivery` (which turns code
// requests into queued mail) — at once when woken, and every `poll` otherwise (retries become due
// as the clock moves). stop() finishes the pass in progress.
#pragma once

#include "domain/outbox.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace vestibule::mail {

class OutboxWorker {
 public:
  OutboxWorker(domain::Outbox& outbox, std::chrono::milliseconds poll,
               std::function<std::size_t()> before_delivery = {});
  ~OutboxWorker();
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  void start();
  void stop();
  void wake();

 private:
  void run();

  domain::Outbox& outbox_;
  std::chrono::milliseconds poll_;
  std::function<std::size_t()> before_delivery_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool pending_ = false;
  std::thread thread_;
};

}  // namespace vestibule::mail
