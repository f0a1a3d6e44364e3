// The SQLite engine (store/sql/engine.hpp): a small pool of connections to one file (WAL, foreign
// keys, busy timeout, secure delete), each with its prepared statements cached and reused. A
// write is one IMMEDIATE transaction, so concurrent writers queue instead of failing on lock
// upgrades; the change counter is kept in shared memory as well (change_feed.hpp), so the memo's
// check is two atomic loads.
#pragma once

#include "store/sql/engine.hpp"
#include "store/sqlite/change_feed.hpp"
#include "util/result.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
class Statement final : public sql::Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  Statement& bind_int64(int index, std::int64_t value) override;
  Statement& bind_text(int index, std::string_view value) override;
  Statement& bind_null(int index) override;
  bool step() override;
  [[nodiscard]] std::int64_t int64(int col) const override;
  [[nodiscard]] std::string text(int col) const override;
  [[nodiscard]] bool is_null(int col) const override;
  void reset() override;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection final : public sql::Connection {
 public:
  Connection(const std::string& path, bool create);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  // A cached prepared statement for `sql` (a string literal), reset and ready for binding.
  Statement& prepare(std::string_view sql) override;
  void exec(const std::string& sql) override;
  std::int64_t last_insert_id() override;
  [[nodiscard]] int changes() const override;
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

using sql::Refusal;
using sql::refuse;

[[noreturn]] void throw_sqlite(sqlite3* db, int code, std::string_view context);

class Database final : public sql::Database {
 public:
  // Opens (creating when asked) the database file and prepares `pool_size` connections.
  Database(std::string path, std::size_t pool_size, bool create = true);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = delete;
  Database& operator=(Database&&) = delete;

  Result<int> migrate() override;
  [[nodiscard]] int latest_schema_version() const override;
  Result<int> schema_version() override;
  // Copies the WAL into the database and empties the WAL file, so that rows just overwritten
  // (scrubbed secrets) survive in no old frame. Best effort.
  void checkpoint_truncate() override;
  // "ok" or the problems `PRAGMA integrity_check` reports.
  Result<std::string> integrity_check() override;
  // An open file description's lock (F_OFD_SETLK) on one byte of the file beside the database
  // named by `path` + "-holds" (offset: `space` and the low 40 bits of `key`), which the kernel
  // ends when the process dies; threads of this process exclude each other too. An in-memory
  // database has holds within this process only.
  Result<std::unique_ptr<sql::Hold>> try_hold(std::int32_t space, std::int64_t key) override;

 protected:
  Result<void> transact(const std::function<void(sql::Connection&)>& body, Mode mode) override;
  std::optional<std::int64_t> change_generation() override;

 private:
  class Lease;
  Lease acquire();
  void give_back(std::unique_ptr<Connection> c);
  Error translate(const SqliteError& e) const;
  // Ends a transaction whose body succeeded; a versioned write also advances the change counter.
  void commit(Connection& c, Mode mode) const;

  class FileHold;
  void release_hold(std::int32_t space, std::int64_t key);

  std::string path_;
  std::mutex hold_mutex_;
  std::set<std::pair<std::int32_t, std::int64_t>> held_;
  // The change counter in shared memory (change_feed.hpp); absent for an in-memory database or
  // when it cannot be mapped (then the counter row is read instead).
  std::unique_ptr<SharedChangeCounter> changes_;
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

}  // namespace vestibule::store::sqlite
