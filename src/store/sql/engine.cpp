#include "store/sql/engine.hpp"

#include "util/read_scope.hpp"

#include <atomic>
#include <unordered_map>

namespace vestibule::store::sql {

namespace {

std::atomic<std::uint64_t> g_next_database_id{1};

// This thread's memoized reads: of one database, as of one value of its change counter.
struct Memo {
  std::uint64_t database = 0;
  std::uint64_t scope = 0;  // the ReadScope serial the counter was last read in
  std::int64_t generation = -1;
  std::unordered_map<std::string, std::any> entries;
};
thread_local Memo t_memo;
thread_local std::uint64_t t_memo_hits = 0;

// Bounds the memo of a thread that reads many distinct things between two writes.
constexpr std::size_t kMemoEntries = 4096;

}  // namespace

Database::Database() : id_(g_next_database_id.fetch_add(1)) {}

void Database::note_committed(Mode mode) const {
  if (mode == Mode::kWrite) {
    util::ReadScope::note_write();
  }
}

bool Database::memo_ready() {
  const std::uint64_t scope = util::ReadScope::current();
  if (scope == 0) {
    return false;
  }
  Memo& memo = t_memo;
  if (memo.database == id_ && memo.scope == scope) {
    return true;
  }
  const auto counter = change_generation();
  if (!counter) {
    return false;
  }
  if (memo.database != id_ || memo.generation != *counter) {
    memo.entries.clear();
    memo.database = id_;
    memo.generation = *counter;
  }
  memo.scope = scope;
  return true;
}

std::optional<util::StateStamp> Database::stamp() {
  if (!memo_ready()) {
    return std::nullopt;
  }
  return util::StateStamp{id_, t_memo.generation};
}

const std::any* Database::memo_find(const std::string& key) {
  const auto it = t_memo.entries.find(key);
  if (it == t_memo.entries.end()) {
    return nullptr;
  }
  ++t_memo_hits;
  return &it->second;
}

void Database::memo_store(std::string key, std::any value) {
  if (t_memo.entries.size() >= kMemoEntries) {
    t_memo.entries.clear();
  }
  t_memo.entries.insert_or_assign(std::move(key), std::move(value));
}

std::uint64_t Database::memo_hits() { return t_memo_hits; }

}  // namespace vestibule::store::sql
