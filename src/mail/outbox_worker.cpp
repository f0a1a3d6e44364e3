#include "mail/outbox_worker.hpp"

namespace vestibule::mail {

OutboxWorker::OutboxWorker(domain::Outbox& outbox, std::chrono::milliseconds poll,
                           std::function<std::size_t()> before_delivery)
    : outbox_(outbox), poll_(poll), before_delivery_(std::move(before_delivery)) {}

OutboxWorker::~OutboxWorker() { stop(); }

void OutboxWorker::start() {
  outbox_.on_enqueue([this] { wake(); });
  thread_ = std::thread([this] { run(); });
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  outbox_.on_enqueue({});
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  cv_.notify_all();
}

void OutboxWorker::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    pending_ = false;
    lock.unlock();
    // Deliver until a pass finds nothing more to do right now.
    while ((before_delivery_ ? before_delivery_() : 0) + outbox_.deliver_due() > 0) {
      std::lock_guard check(mutex_);
      if (stopping_) {
        break;
      }
    }
    lock.lock();
    cv_.wait_for(lock, poll_, [this] { return stopping_ || pending_; });
  }
}

}  // namespace vestibule::mail
