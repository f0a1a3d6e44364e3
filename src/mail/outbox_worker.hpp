// Runs Outbox::deliver_due() on its own thread: at once when a message is queued, and every
// `poll` otherwise (retries become due as the clock moves). stop() finishes the pass in progress.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "domain/outbox.hpp"

namespace vestibule::mail {

class OutboxWorker {
 public:
  OutboxWorker(domain::Outbox& outbox, std::chrono::milliseconds poll);
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
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool pending_ = false;
  std::thread thread_;
};

}  // namespace vestibule::mail
