// SharedChangeCounter: the database's change counter in shared memory, so that telling whether
// anything was written since a memo was filled costs two atomic loads instead of an SQLite read
// transaction per request.
//
// Every process that opens the database file maps `<file>-changes` (created on first use, never
// removed while a process may have it mapped). A versioned write marks itself as in flight just
// before its COMMIT (a slot holding its process id) and, after the COMMIT, advances the
// generation and clears its slot. A reader that finds a slot taken does not answer from its memo
// (it reads the database); otherwise the generation it reads names the state its memo may hold. A
// change is therefore seen by every request that starts after the writer's call returned, in this
// process or any other.
//
// A writer that dies between its mark and its clear leaves its slot behind: readers then keep
// reading the database (correct, slower) and, at most every 100 ms, look for slots whose process
// is gone, clear them and advance the generation (the dead writer may have committed). Every
// process sharing a database file must run the same Vestibule version on the same machine (one
// process-id namespace). Thread-safe; lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace vestibule::store::sqlite {

class SharedChangeCounter {
 public:
  // Maps `path` (created 0600 when missing); nullptr with `error` set when it cannot.
  static std::unique_ptr<SharedChangeCounter> open(const std::string& path, std::string& error);
  ~SharedChangeCounter();
  SharedChangeCounter(const SharedChangeCounter&) = delete;
  SharedChangeCounter& operator=(const SharedChangeCounter&) = delete;

  // The generation to key a memo with, or nullopt while a writer is in flight (read the
  // database instead).
  std::optional<std::uint64_t> stable_generation();

  // Held by a versioned write from just before its COMMIT until after it, however it ends.
  class Write {
   public:
    explicit Write(SharedChangeCounter* counter);
    ~Write();
    Write(const Write&) = delete;
    Write& operator=(const Write&) = delete;

   private:
    SharedChangeCounter* counter_;
    int slot_ = -1;
  };

  // Clears the slots of writers whose process is gone; returns how many. Rate-limited unless
  // `now` is set (tests).
  int recover(bool now = false);

  struct Layout;

 private:
  SharedChangeCounter(int fd, Layout* layout);
  int fd_;
  Layout* layout_;
  std::atomic<std::int64_t> last_recovery_ns_{0};
};

}  // namespace vestibule::store::sqlite
