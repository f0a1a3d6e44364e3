#include "app/blob_housekeeping.hpp"

#include <exception>
#include <string>

#include <spdlog/spdlog.h>

namespace vestibule::app {

namespace {

// A step's failure, or an exception out of it, is a warning: the pass it rides on goes on.
Result<std::size_t> run_step(const BlobHousekeeping::Step& step) {
  if (!step) {
    return std::size_t{0};
  }
  try {
    return step();
  } catch (const std::exception& e) {
    return fail(Errc::kInternal, e.what());
  }
}

}  // namespace

BlobHousekeeping::BlobHousekeeping(const util::Clock& clock, std::chrono::seconds every,
                                   Steps steps)
    : clock_(clock), every_(every), steps_(std::move(steps)), last_run_(clock.now()) {}

bool BlobHousekeeping::run_if_due() {
  const auto now = clock_.now();
  if (now < last_run_) {
    last_run_ = now;  // the clock was set back: count the interval from here
    return false;
  }
  if (now - last_run_ < every_) {
    return false;
  }
  last_run_ = now;
  if (auto swept = run_step(steps_.sweep_temporaries); !swept) {
    spdlog::warn(
        "blob store: daily removal of what interrupted uploads left failed (retried in {} h): {}",
        std::chrono::duration_cast<std::chrono::hours>(every_).count(), swept.error().message);
  } else if (swept.value() > 0) {
    spdlog::info("blob store: daily sweep removed {} unfinished upload(s) older than a day",
                 swept.value());
  }
  if (auto collected = run_step(steps_.collect_garbage); !collected) {
    spdlog::warn("blob store: daily collection of unreferenced blobs failed (retried in {} h): {}",
                 std::chrono::duration_cast<std::chrono::hours>(every_).count(),
                 collected.error().message);
  } else {
    spdlog::info("blob store: daily collection released {} unreferenced blob(s)",
                 collected.value());
  }
  return true;
}

}  // namespace vestibule::app
