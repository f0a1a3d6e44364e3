// ReadScope: one request's view of stored state. While a scope is open on a thread, reads that a
// store marks as memoizable may be answered from that thread's memo of earlier reads, provided
// nothing at all was written to the database since they were made; the database's change counter
// is read once per scope to know that. Outside a scope every read goes to the database.
// The scope itself holds no data: it only tells the store "this is one request; reading the change
// counter once for all of it is enough".
#pragma once

#include <cstdint>

namespace vestibule::util {

// Which stored state a request reads: the database (one per process) and its change counter's
// value. Anything derived from stored state alone is the same under the same stamp.
struct StateStamp {
  std::uint64_t database = 0;
  std::int64_t generation = 0;
  bool operator==(const StateStamp&) const = default;
};

class ReadScope {
 public:
  ReadScope();
  ~ReadScope();
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;

  // A number that differs for every scope opened on this thread (and changes again when this
  // thread writes); 0 when no scope is open.
  static std::uint64_t current();
  // This thread committed a write: the next memoized read in this scope checks the counter again.
  static void note_write();
};

}  // namespace vestibule::util
