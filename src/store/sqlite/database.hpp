// Database: a small pool of SQLite connections to one file (WAL, foreign keys, busy timeout,
// secure delete), each with its prepared statements cached and reused. Repositories run their
// work through read() and write(); write() is one IMMEDIATE transaction, so concurrent writers
// queue instead of failing on lock upgrades. Engine errors become Errc values at this boundary
// (unique violations kConflict, busy kUnavailable). Thread-safe.
//
// Every write transaction also advances the change counter (schema 6) in the same transaction,
// whichever process or node makes it. memoized_read() uses it: inside a util::ReadScope (one
// request), a read already made on this thread is answered from memory when the counter has not
// moved since, which the scope checks with one read of the counter (kept in shared memory as
// well, so that check is two atomic loads: change_feed.hpp). Any write anywhere empties
// the memo, so a memoized answer is always the answer the database would give at the start of
// the request; what depends on the clock (expiries, reverification) is never memoized, only the
// rows it is decided from.
#pragma once

#include "store/sqlite/change_feed.hpp"
#include "util/read_scope.hpp"
#include "util/result.hpp"

#include <any>
#include <atomic>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

namespace vestibule::store::sqlite {

// Thrown inside a read()/write() body; turned into an Error at the boundary.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

// A prepared statement, reset and cleared when the next use begins.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  Statement& bind_int64(int index, std::int64_t value);
  template <std::integral T>
  Statement& bind(int index, T value) {
    return bind_int64(index, static_cast<std::int64_t>(value));
  }
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::nullopt_t);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }

  // Binds the arguments to ?1, ?2, ... in order.
  template <class... Args>
  Statement& with(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // Advances; true while there is a row.
  bool step();
  // Steps to completion (for statements without rows).
  void run();

  [[nodiscard]] std::int64_t int64(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] bool is_null(int col) const;
  [[nodiscard]] std::optional<std::int64_t> optional_int64(int col) const;

  void reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  Connection(const std::string& path, bool create);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A cached prepared statement for `sql` (a string literal), reset and ready for binding.
  Statement& prepare(std::string_view sql);
  void exec(const std::string& sql);
  [[nodiscard]] std::int64_t last_insert_id() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }
  // Resets every statement prepared since the last call. A statement left on a row keeps its
  // read snapshot open after COMMIT, so later transactions on this connection would not see
  // other connections' (or processes') writes and could not write; this ends them all.
  void reset_statements();

 private:
  sqlite3* db_ = nullptr;
  std::vector<Statement*> used_;
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unordered_map<std::string, std::pair<std::unique_ptr<sqlite3_stmt, StmtDeleter>,
                                            std::unique_ptr<Statement>>>
      statements_;
};

// Thrown inside a read()/write() body to end it with an expected failure (not found, conflict);
// the transaction is rolled back and the error returned.
struct Refusal {
  Error error;
};
[[noreturn]] inline void refuse(Errc code, std::string message) {
  throw Refusal{make_error(code, std::move(message))};
}

[[noreturn]] void throw_sqlite(sqlite3* db, int code, std::string_view context);

class Database {
 public:
  // Opens (creating when asked) the database file and prepares `pool_size` connections.
  Database(std::string path, std::size_t pool_size, bool create = true);
  ~Database();

  template <class T>
  Result<T> read(const std::function<T(Connection&)>& body) {
    return run<T>(body, false);
  }
  template <class T>
  Result<T> write(const std::function<T(Connection&)>& body) {
    return run<T>(body, true);
  }
  // write() for rows no memoized read depends on (the audit log's own entries): the change
  // counter stays, so recording an event does not empty every thread's memo.
  Result<void> write_unversioned(const std::function<void(Connection&)>& body) {
    return run<void>(body, true, false);
  }
  // read(), answered from this thread's memo when the same `key` was read since the last write
  // to the database and a ReadScope is open; `key` names the query and its arguments, and `body`
  // must depend on nothing else (not on the clock). Failures are not memoized.
  template <class T>
  Result<T> memoized_read(std::string key, const std::function<T(Connection&)>& body);
  // How many memoized reads this thread answered without the database (for tests).
  static std::uint64_t memo_hits();

  // Applies the migrations not yet applied; returns the schema version reached.
  Result<int> migrate();
  [[nodiscard]] static int latest_schema_version();
  Result<int> schema_version();
  // Copies the WAL into the database and empties the WAL file, so that rows just overwritten
  // (scrubbed secrets) survive in no old frame. Best effort.
  void checkpoint_truncate();
  // "ok" or the problems `PRAGMA integrity_check` reports.
  Result<std::string> integrity_check();
  // Runs inside every write transaction just before it commits (the audit log appends the
  // entries announced for the change there). Set once, before the database is shared.
  void set_before_commit(std::function<void(Connection&)> hook) {
    before_commit_ = std::move(hook);
  }

 private:
  class Lease;
  Lease acquire();
  void give_back(std::unique_ptr<Connection> c);
  Error translate(const SqliteError& e) const;

  template <class T>
  Result<T> run(const std::function<T(Connection&)>& body, bool write, bool versioned = true);
  // Ends a transaction whose body succeeded; a versioned write also advances the change counter.
  void commit(Connection& c, bool write, bool versioned = true) const;
  // Whether this thread's memo may answer now (a scope is open and the counter is read for it).
  bool memo_ready();
  [[nodiscard]] const std::any* memo_find(const std::string& key) const;
  void memo_store(std::string key, std::any value);

  std::string path_;
  // The change counter in shared memory (change_feed.hpp); absent for an in-memory database or
  // when it cannot be mapped (then the counter row is read instead).
  std::unique_ptr<SharedChangeCounter> changes_;
  std::function<void(Connection&)> before_commit_;
  const std::uint64_t id_;            // tells this thread's memo which database it holds
  std::atomic<bool> counted_{false};  // the change counter exists (schema 6 reached)
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

class Database::Lease {
 public:
  Lease(Database& db, std::unique_ptr<Connection> c) : db_(db), connection_(std::move(c)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() {
    if (connection_) {
      db_.give_back(std::move(connection_));
    }
  }
  Connection& operator*() { return *connection_; }

 private:
  Database& db_;
  std::unique_ptr<Connection> connection_;
};

template <class T>
Result<T> Database::run(const std::function<T(Connection&)>& body, bool write, bool versioned) {
  auto lease = acquire();
  Connection& c = *lease;
  try {
    c.prepare(write ? "BEGIN IMMEDIATE" : "BEGIN").run();
    try {
      if constexpr (std::is_void_v<T>) {
        body(c);
        commit(c, write, versioned);
        return outcome::success();
      } else {
        T value = body(c);
        commit(c, write, versioned);
        return value;
      }
    } catch (...) {
      c.reset_statements();
      sqlite3_exec(c.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } catch (const SqliteError& e) {
    return fail(translate(e));
  } catch (Refusal& r) {
    return fail(std::move(r.error));
  }
}

template <class T>
Result<T> Database::memoized_read(std::string key, const std::function<T(Connection&)>& body) {
  if (!memo_ready()) {
    return read<T>(body);
  }
  if (const std::any* hit = memo_find(key)) {
    return std::any_cast<const T&>(*hit);
  }
  auto value = read<T>(body);
  if (value) {
    memo_store(std::move(key), std::any(value.value()));
  }
  return value;
}

}  // namespace vestibule::store::sqlite
