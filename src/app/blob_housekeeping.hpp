// BlobHousekeeping: the blob store's daily sweeps while the server runs. Start-up removes what
// interrupted uploads left and collects the blobs no version refers to; a node that then runs
// for months would otherwise keep every crashed upload of another node and every blob whose
// release fell within the grace period. run_if_due() is called on every pass of the background
// worker and runs both steps once `every` has passed on the server's clock since the last run
// (the first run one `every` after construction: start-up has just done the same). What each
// step removes is decided on the store's own time (file mtimes, the S3 store's Date), so moving
// the test clock schedules the steps but never makes a running upload look old.
#pragma once

#include "util/clock.hpp"
#include "util/result.hpp"

#include <chrono>
#include <cstddef>
#include <functional>

namespace vestibule::app {

class BlobHousekeeping {
 public:
  using Step = std::function<Result<std::size_t>()>;
  struct Steps {
    Step sweep_temporaries;  // what interrupted uploads left, older than any running upload
    Step collect_garbage;    // blobs that no version refers to, past the grace period
  };

  BlobHousekeeping(const util::Clock& clock, std::chrono::seconds every, Steps steps);

  // Runs both steps when due; a step that fails (a store that is down) is logged and retried at
  // the next run, and never stops the other step or the caller's pass. True when it ran.
  bool run_if_due();

 private:
  const util::Clock& clock_;
  std::chrono::seconds every_;
  Steps steps_;
  util::TimePoint last_run_;
};

}  // namespace vestibule::app
