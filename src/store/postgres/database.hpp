// The PostgreSQL engine (store/sql/engine.hpp) over libpq: a pool of connections to one database,
// each with its statements prepared once (PQprepare) and reused. The repositories' SQL is written
// once for both engines; preparing rewrites the spellings PostgreSQL does not share with SQLite
// (translate_sql). Write transactions take one advisory lock, so they run one at a time across
// every node, as SQLite's IMMEDIATE transactions do on one machine: a body that reads and then
// writes sees no other write in between. Reads run in REPEATABLE READ, one snapshot each, as a
// SQLite read transaction does.
//
// The change counter is a row (change_counter, id 1) that every versioned write advances and
// announces (NOTIFY vestibule_changes with the new value) in its transaction. Each node keeps the
// newest value it knows in memory, from its own commits at once and from the others' through one
// listening connection (LISTEN), which also reads the row once a second in case a notification
// was lost. So while nothing changes a request makes no round trip for its memo, a change is in
// force at the next request on the node that made it, and on every node within about a second at
// worst (milliseconds when the notification arrives). While the listening connection is down,
// each request reads the row instead, until it is back.
#pragma once

#include "store/sql/engine.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace vestibule::store::postgres {

// An error PostgreSQL or libpq reported; `sqlstate` is empty when the connection failed.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& what)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  [[nodiscard]] const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// The repositories' SQL as PostgreSQL reads it: `?N` placeholders become `$N`; `instr(` becomes
// `strpos(`; a list of ids bound as a JSON array, `SELECT value FROM json_each(?N)`, becomes
// `SELECT value::bigint FROM json_array_elements_text($N::json) AS value`. Text inside quotes
// is left as it is.
std::string translate_sql(std::string_view sql);

class Connection;

class Statement final : public sql::Statement {
 public:
  Statement(Connection& connection, std::string name, int parameters);
  ~Statement() override;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&&) = delete;
  Statement& operator=(Statement&&) = delete;

  Statement& bind_int64(int index, std::int64_t value) override;
  Statement& bind_text(int index, std::string_view value) override;
  Statement& bind_null(int index) override;
  bool step() override;
  [[nodiscard]] std::int64_t int64(int col) const override;
  [[nodiscard]] std::string text(int col) const override;
  [[nodiscard]] bool is_null(int col) const override;
  void reset() override;

 private:
  void execute();
  [[nodiscard]] const char* value(int col) const;

  Connection& connection_;
  std::string name_;
  std::vector<std::string> values_;
  std::vector<bool> bound_;
  pg_result* result_ = nullptr;
  int rows_ = 0;
  int row_ = -1;
};

class Connection final : public sql::Connection {
 public:
  // Connects to `url` (a libpq connection URI); PgError when the database cannot be reached.
  explicit Connection(const std::string& url);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  Statement& prepare(std::string_view sql) override;
  void exec(const std::string& sql) override;
  std::int64_t last_insert_id() override;
  [[nodiscard]] int changes() const override { return changes_; }

  // Runs `sql` (no parameters) and returns its first column of its first row, if any.
  std::optional<std::string> scalar(const std::string& sql);
  // Connects again after the connection was lost (its statements are prepared again on next use);
  // whether that worked.
  bool reconnect();
  [[nodiscard]] pg_conn* handle() const { return conn_; }

 private:
  friend class Statement;
  // Throws PgError for a result that is not `expected` (and frees it).
  pg_result* check(pg_result* result, int expected, std::string_view context);

  pg_conn* conn_ = nullptr;
  int changes_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

class Database final : public sql::Database {
 public:
  // Connects `pool_size` connections to `url`; PgError naming the host when it cannot.
  Database(std::string url, std::size_t pool_size);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = delete;
  Database& operator=(Database&&) = delete;

  Result<int> migrate() override;
  [[nodiscard]] int latest_schema_version() const override;
  Result<int> schema_version() override;
  // PostgreSQL checks its pages itself; this reports whether the database answers and holds the
  // schema this program expects.
  Result<std::string> integrity_check() override;
  // A session-level advisory lock (two-key form, `key` taken modulo 2^31) on a connection of
  // its own: the database ends it when the node's connection closes, so a node that dies or
  // loses the database frees its holds at once.
  Result<std::unique_ptr<sql::Hold>> try_hold(std::int32_t space, std::int64_t key) override;

  // `url` with its password hidden, for messages.
  [[nodiscard]] static std::string redact(std::string_view url);
  // Whether the listening connection is up, so the memo's check needs no round trip.
  [[nodiscard]] bool listening() const { return listening_.load(std::memory_order_acquire); }

 protected:
  Result<void> transact(const std::function<void(sql::Connection&)>& body, Mode mode) override;
  std::optional<std::int64_t> change_generation() override;

 private:
  class Lease;
  Lease acquire();
  void give_back(std::unique_ptr<Connection> c);
  [[nodiscard]] Error translate(const PgError& e) const;
  // Raises the newest known value of the change counter to `value`.
  void learn(std::int64_t value);
  // The listening connection's thread: LISTEN, take notifications, read the row each second,
  // connect again after a failure; until the database is destroyed.
  void listen_loop();

  class AdvisoryHold;
  void release_hold(std::int32_t space, std::int64_t key, std::uint64_t session);
  // Whether the session that took a hold is still the live connection: one round trip on it.
  bool hold_session_stands(std::uint64_t session);

  std::string url_;
  // The connection that carries the holds, its session number (raised at each new connection:
  // a hold from an older session was ended with it) and the holds taken in this process.
  std::mutex hold_mutex_;
  std::unique_ptr<Connection> hold_connection_;
  std::uint64_t hold_session_ = 0;
  std::set<std::pair<std::int32_t, std::int64_t>> held_;
  std::atomic<std::int64_t> known_{-1};
  std::atomic<bool> listening_{false};
  std::atomic<bool> stopping_{false};
  std::thread listener_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace vestibule::store::postgres
