// The engine port the repositories (store/sql) are written against: prepared statements,
// connections and transactions, implemented by store/sqlite and store/postgres. The repositories'
// SQL is one text for both engines; the PostgreSQL engine rewrites the few spellings that differ
// when it prepares a statement (postgres/database.hpp lists them).
//
// Every versioned write transaction advances the database's change counter in the same
// transaction, whichever process or node makes it. memoized_read() uses it: inside a
// util::ReadScope (one request), a read already made on this thread is answered from memory when
// the counter has not moved since, which the scope checks with one reading of the counter (how
// cheap that reading is depends on the engine: two atomic loads in shared memory for SQLite). Any
// write anywhere empties the memo, so a memoized answer is always the answer the database would
// give at the start of the request; what depends on the clock (expiries, reverification) is never
// memoized, only the rows it is decided from.
#pragma once

#include "util/read_scope.hpp"
#include "util/result.hpp"

#include <any>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace vestibule::store::sql {

// A prepared statement; binding starts over each time it is prepared again.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&&) = delete;
  Statement& operator=(Statement&&) = delete;
  virtual ~Statement() = default;

  virtual Statement& bind_int64(int index, std::int64_t value) = 0;
  virtual Statement& bind_text(int index, std::string_view value) = 0;
  virtual Statement& bind_null(int index) = 0;

  template <std::integral T>
  Statement& bind(int index, T value) {
    return bind_int64(index, static_cast<std::int64_t>(value));
  }
  Statement& bind(int index, std::string_view value) { return bind_text(index, value); }
  Statement& bind(int index, const std::string& value) { return bind_text(index, value); }
  Statement& bind(int index, const char* value) { return bind_text(index, value); }
  Statement& bind(int index, std::nullopt_t) { return bind_null(index); }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Binds the arguments to ?1, ?2, ... in order.
  template <class... Args>
  Statement& with(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // Advances; true while there is a row.
  virtual bool step() = 0;
  // Steps to completion (for statements without rows).
  void run() {
    while (step()) {
    }
  }

  [[nodiscard]] virtual std::int64_t int64(int col) const = 0;
  [[nodiscard]] virtual std::string text(int col) const = 0;
  [[nodiscard]] virtual bool is_null(int col) const = 0;
  [[nodiscard]] std::optional<std::int64_t> optional_int64(int col) const {
    if (is_null(col)) {
      return std::nullopt;
    }
    return int64(col);
  }

  virtual void reset() = 0;
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;
  virtual ~Connection() = default;

  // A cached prepared statement for `sql` (a string literal), ready for binding.
  virtual Statement& prepare(std::string_view sql) = 0;
  // Runs one or more statements without parameters (schema changes, tests).
  virtual void exec(const std::string& sql) = 0;
  // The id the last INSERT on this connection gave its row.
  virtual std::int64_t last_insert_id() = 0;
  // How many rows the last INSERT, UPDATE or DELETE changed.
  [[nodiscard]] virtual int changes() const = 0;
};

// Thrown inside a read()/write() body to end it with an expected failure (not found, conflict);
// the transaction is rolled back and the error returned.
struct Refusal {
  Error error;
};
[[noreturn]] inline void refuse(Errc code, std::string message) {
  throw Refusal{make_error(code, std::move(message))};
}

// An exclusive hold on a key among every process and node sharing the database. It lasts until
// it is destroyed and never outlives its holder: the engine ends it with the holder's process
// or its connection to the database, so a holder that dies frees the key at once.
class Hold {
 public:
  // The spaces of keys in use, one per kind of key, so that keys of two kinds never meet.
  static constexpr std::int32_t kOutbox = 1;  // a mail being sent: its message id
  static constexpr std::int32_t kBlobs = 2;   // a blob put into place or deleted: its hash
  Hold() = default;
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  Hold(Hold&&) = delete;
  Hold& operator=(Hold&&) = delete;
  virtual ~Hold() = default;
  // Whether the hold is still in force, asked of whatever ends it (a round trip to the database
  // where a lost connection ends it). When this answers true, no other holder has it now, nor
  // can have it before the database learns that this holder is gone.
  virtual bool stands() { return true; }
};

// The pool of connections to one database. read() is one read-only transaction that sees one
// snapshot; write() is one transaction, and write transactions run one at a time across every
// process and node sharing the database, so a body that reads and then writes sees no other
// write in between. Engine errors become Errc values here (unique violations kConflict, a busy
// or unreachable database kUnavailable). Thread-safe.
class Database {
 public:
  Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = delete;
  Database& operator=(Database&&) = delete;
  virtual ~Database() = default;

  template <class T>
  Result<T> read(const std::function<T(Connection&)>& body) {
    return run<T>(body, Mode::kRead);
  }
  template <class T>
  Result<T> write(const std::function<T(Connection&)>& body) {
    return run<T>(body, Mode::kWrite);
  }
  // write() for rows no memoized read depends on (the audit log's own entries): the change
  // counter stays, so recording an event does not empty every thread's memo.
  Result<void> write_unversioned(const std::function<void(Connection&)>& body) {
    return run<void>(body, Mode::kWriteUnversioned);
  }
  // read(), answered from this thread's memo when the same `key` was read since the last write
  // to the database and a ReadScope is open; `key` names the query and its arguments, and `body`
  // must depend on nothing else (not on the clock). Failures are not memoized.
  // `body` becomes a std::function only when the memo cannot answer: a hit allocates nothing for
  // it.
  template <class T, class Body>
  Result<T> memoized_read(std::string key, Body&& body);
  // How many memoized reads this thread answered without the database (for tests).
  static std::uint64_t memo_hits();
  // The state this request reads, as its ReadScope knows it (the counter read once per scope,
  // as for memoized reads); nullopt outside a scope or when the counter cannot be known. Read
  // before deciding anything from stored state, it names the state the decision was made from.
  std::optional<util::StateStamp> stamp();

  // Applies the migrations not yet applied; returns the schema version reached.
  virtual Result<int> migrate() = 0;
  [[nodiscard]] virtual int latest_schema_version() const = 0;
  virtual Result<int> schema_version() = 0;
  // Makes sure rows just overwritten (scrubbed secrets) survive in no old copy the engine keeps
  // beside the live data, where it keeps one. Best effort.
  virtual void checkpoint_truncate() {}
  // "ok" or the problems the engine's own consistency check reports.
  virtual Result<std::string> integrity_check() = 0;
  // Takes the hold on `key` within `space` when nobody holds it, without waiting: nullptr when
  // another holder (any thread, process or node) has it.
  virtual Result<std::unique_ptr<Hold>> try_hold(std::int32_t space, std::int64_t key) = 0;
  // Runs inside every write transaction just before it commits (the audit log appends the
  // entries announced for the change there). Set once, before the database is shared.
  void set_before_commit(std::function<void(Connection&)> hook) {
    before_commit_ = std::move(hook);
  }

 protected:
  enum class Mode { kRead, kWrite, kWriteUnversioned };
  // Runs `body` in one transaction of `mode`: a write calls before_commit() and, when
  // versioned, advances the change counter before it commits. A Refusal or an engine error
  // rolls back and becomes the error returned.
  virtual Result<void> transact(const std::function<void(Connection&)>& body, Mode mode) = 0;
  // The change counter's value now, or nullopt when it cannot be known (no memo then).
  virtual std::optional<std::int64_t> change_generation() = 0;
  void before_commit(Connection& c) const {
    if (before_commit_) {
      before_commit_(c);
    }
  }

 private:
  template <class T>
  Result<T> run(const std::function<T(Connection&)>& body, Mode mode);
  // Whether this thread's memo may answer now (a scope is open and the counter is read for it).
  bool memo_ready();
  [[nodiscard]] static const std::any* memo_find(const std::string& key);
  static void memo_store(std::string key, std::any value);
  void note_committed(Mode mode) const;

  std::function<void(Connection&)> before_commit_;
  const std::uint64_t id_;  // tells this thread's memo which database it holds
};

template <class T>
Result<T> Database::run(const std::function<T(Connection&)>& body, Mode mode) {
  if constexpr (std::is_void_v<T>) {
    auto done = transact(body, mode);
    if (done) {
      note_committed(mode);
    }
    return done;
  } else {
    std::optional<T> value;
    auto done = transact([&](Connection& c) { value.emplace(body(c)); }, mode);
    if (!done) {
      return fail(std::move(done).error());
    }
    note_committed(mode);
    return std::move(*value);
  }
}

template <class T, class Body>
Result<T> Database::memoized_read(std::string key, Body&& body) {
  if (!memo_ready()) {
    return read<T>(std::forward<Body>(body));
  }
  if (const std::any* hit = memo_find(key)) {
    return std::any_cast<const T&>(*hit);
  }
  auto value = read<T>(std::forward<Body>(body));
  if (value) {
    memo_store(std::move(key), std::any(value.value()));
  }
  return value;
}

}  // namespace vestibule::store::sql
