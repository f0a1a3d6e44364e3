#include "store/postgres/database.hpp"

#include "store/postgres/migrations.hpp"

#include <charconv>
#include <chrono>
#include <optional>

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

namespace vestibule::store::postgres {

namespace {

// The advisory lock every write transaction holds ("vest").
constexpr std::string_view kWriteLock = "SELECT pg_advisory_xact_lock(1986359156)";

std::string error_of(const PGresult* result, const pg_conn* conn) {
  std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message.empty() && conn != nullptr) {
    message = PQerrorMessage(conn);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

std::string sqlstate_of(const PGresult* result) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? state : "";
}

// The connection itself failed (the server restarted, the network dropped), not the statement.
bool connection_lost(const PgError& e) {
  return e.sqlstate().empty() || e.sqlstate().starts_with("08") || e.sqlstate() == "57P01";
}

bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string translate_sql(std::string_view sql) {
  constexpr std::string_view kIdList = "SELECT value FROM json_each(?";
  constexpr std::string_view kInstr = "instr(";
  std::string out;
  out.reserve(sql.size() + 32);
  bool quoted = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') {
      quoted = !quoted;
      out += c;
      continue;
    }
    if (quoted) {
      out += c;
      continue;
    }
    const bool word_start = i == 0 || !is_word(sql[i - 1]);
    if (sql.substr(i).starts_with(kIdList)) {
      std::size_t j = i + kIdList.size();
      const std::size_t digits = j;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') {
        ++j;
      }
      if (j > digits && j < sql.size() && sql[j] == ')') {
        out += "SELECT value::bigint FROM json_array_elements_text($";
        out += sql.substr(digits, j - digits);
        out += "::json) AS value";
        i = j;
        continue;
      }
    }
    if (word_start && sql.substr(i).starts_with(kInstr)) {
      out += "strpos(";
      i += kInstr.size() - 1;
      continue;
    }
    if (c == '?') {
      out += '$';
      continue;
    }
    out += c;
  }
  return out;
}

// --- Statement ---

Statement::Statement(Connection& connection, std::string name, int parameters)
    : connection_(connection),
      name_(std::move(name)),
      values_(static_cast<std::size_t>(parameters)),
      bound_(static_cast<std::size_t>(parameters), false) {}

Statement::~Statement() { PQclear(result_); }

Statement& Statement::bind_int64(int index, std::int64_t value) {
  return bind_text(index, std::to_string(value));
}

Statement& Statement::bind_text(int index, std::string_view value) {
  if (index < 1 || static_cast<std::size_t>(index) > values_.size()) {
    throw PgError("", "bind: no parameter " + std::to_string(index) + " in " + name_);
  }
  if (value.find('\0') != std::string_view::npos) {
    // PostgreSQL cannot store the character; SQLite would keep it and cut it short on reading.
    sql::refuse(Errc::kInvalidArgument,
                "a text value holds a NUL character, which cannot be stored; remove it and try "
                "again");
  }
  values_[static_cast<std::size_t>(index - 1)].assign(value);
  bound_[static_cast<std::size_t>(index - 1)] = true;
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (index >= 1 && static_cast<std::size_t>(index) <= values_.size()) {
    bound_[static_cast<std::size_t>(index - 1)] = false;
  }
  return *this;
}

void Statement::execute() {
  std::vector<const char*> params(values_.size(), nullptr);
  for (std::size_t i = 0; i < values_.size(); ++i) {
    if (bound_[i]) {
      params[i] = values_[i].c_str();
    }
  }
  PQclear(result_);
  result_ = nullptr;
  PGresult* result =
      PQexecPrepared(connection_.conn_, name_.c_str(), static_cast<int>(params.size()),
                     params.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    connection_.check(result, PGRES_TUPLES_OK, name_);
  }
  result_ = result;
  rows_ = PQntuples(result_);
  row_ = -1;
  const char* tuples = PQcmdTuples(result_);
  connection_.changes_ = (tuples != nullptr && *tuples != '\0') ? std::atoi(tuples) : 0;
}

bool Statement::step() {
  if (result_ == nullptr) {
    execute();
  }
  ++row_;
  return row_ < rows_;
}

const char* Statement::value(int col) const {
  if (result_ == nullptr || row_ < 0 || row_ >= rows_ || col < 0 || col >= PQnfields(result_)) {
    throw PgError("", "column " + std::to_string(col) + " read outside a row of " + name_);
  }
  return PQgetvalue(result_, row_, col);
}

std::int64_t Statement::int64(int col) const {
  const char* text = value(col);
  // Booleans (comparisons in a select list) read as 1 and 0, as SQLite gives them.
  if (text[0] == 't' && text[1] == '\0') {
    return 1;
  }
  if (text[0] == 'f' && text[1] == '\0') {
    return 0;
  }
  std::int64_t out = 0;
  const char* end = text + PQgetlength(result_, row_, col);
  std::from_chars(text, end, out);  // an empty (NULL) value reads as 0, as in SQLite
  return out;
}

std::string Statement::text(int col) const {
  const char* text = value(col);
  return {text, static_cast<std::size_t>(PQgetlength(result_, row_, col))};
}

bool Statement::is_null(int col) const {
  (void)value(col);
  return PQgetisnull(result_, row_, col) != 0;
}

void Statement::reset() {
  PQclear(result_);
  result_ = nullptr;
  rows_ = 0;
  row_ = -1;
  std::fill(bound_.begin(), bound_.end(), false);
}

// --- Connection ---

Connection::Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("", "cannot connect to PostgreSQL at " + Database::redact(url) + ": " + message);
  }
  // Notices (such as "relation already exists, skipping") are not worth a log line each.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
  statements_.clear();
  PQfinish(conn_);
}

pg_result* Connection::check(pg_result* result, int expected, std::string_view context) {
  const auto status = PQresultStatus(result);
  if (result != nullptr &&
      (status == expected || status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) {
    return result;
  }
  std::string message = std::string(context.substr(0, 80)) + ": " + error_of(result, conn_);
  std::string state = sqlstate_of(result);
  PQclear(result);
  throw PgError(std::move(state), message);
}

Statement& Connection::prepare(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    const std::string name = "s" + std::to_string(statements_.size() + 1);
    const std::string text = translate_sql(sql);
    PQclear(check(PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr), PGRES_COMMAND_OK,
                  "prepare " + text));
    PGresult* described =
        check(PQdescribePrepared(conn_, name.c_str()), PGRES_COMMAND_OK, "describe " + text);
    const int parameters = PQnparams(described);
    PQclear(described);
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(*this, name, parameters))
             .first;
  }
  auto& statement = *it->second;
  statement.reset();
  return statement;
}

void Connection::exec(const std::string& sql) {
  PGresult* result = check(PQexec(conn_, sql.c_str()), PGRES_COMMAND_OK, sql);
  const char* tuples = PQcmdTuples(result);
  changes_ = (tuples != nullptr && *tuples != '\0') ? std::atoi(tuples) : 0;
  PQclear(result);
}

std::optional<std::string> Connection::scalar(const std::string& sql) {
  PGresult* result = check(PQexec(conn_, sql.c_str()), PGRES_TUPLES_OK, sql);
  std::optional<std::string> out;
  if (PQntuples(result) > 0 && PQnfields(result) > 0 && PQgetisnull(result, 0, 0) == 0) {
    out.emplace(PQgetvalue(result, 0, 0), static_cast<std::size_t>(PQgetlength(result, 0, 0)));
  }
  PQclear(result);
  return out;
}

std::int64_t Connection::last_insert_id() {
  const auto id = scalar("SELECT lastval()");
  std::int64_t out = 0;
  if (id) {
    std::from_chars(id->data(), id->data() + id->size(), out);
  }
  return out;
}

bool Connection::reconnect() {
  statements_.clear();
  PQreset(conn_);
  return PQstatus(conn_) == CONNECTION_OK;
}

// --- Database ---

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

Database::Database(std::string url, std::size_t pool_size) : url_(std::move(url)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(pool_size, 1); ++i) {
    idle_.push_back(std::make_unique<Connection>(url_));
  }
}

Database::~Database() {
  stopping_.store(true);
  if (listener_.joinable()) {
    listener_.join();
  }
}

std::string Database::redact(std::string_view url) {
  // postgres://user:password@host... → postgres://user:***@host...
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) {
    return std::string(url);
  }
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string_view::npos || colon > at) {
    return std::string(url);
  }
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

Database::Lease Database::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty(); });
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return {*this, std::move(c)};
}

void Database::give_back(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }
  available_.notify_one();
}

class Database::AdvisoryHold final : public sql::Hold {
 public:
  AdvisoryHold(Database& db, std::int32_t space, std::int64_t key, std::uint64_t session)
      : db_(db), space_(space), key_(key), session_(session) {}
  AdvisoryHold(const AdvisoryHold&) = delete;
  AdvisoryHold& operator=(const AdvisoryHold&) = delete;
  AdvisoryHold(AdvisoryHold&&) = delete;
  AdvisoryHold& operator=(AdvisoryHold&&) = delete;
  ~AdvisoryHold() override { db_.release_hold(space_, key_, session_); }
  bool stands() override { return db_.hold_session_stands(session_); }

 private:
  Database& db_;
  std::int32_t space_;
  std::int64_t key_;
  std::uint64_t session_;
};

namespace {

std::string advisory_arguments(std::int32_t space, std::int64_t key) {
  return std::to_string(space) + ", " + std::to_string(key & 0x7fffffff);
}

}  // namespace

Result<std::unique_ptr<sql::Hold>> Database::try_hold(std::int32_t space, std::int64_t key) {
  std::lock_guard lock(hold_mutex_);
  // A session's advisory locks are re-entrant: threads of this process exclude each other here.
  if (held_.contains({space, key})) {
    return std::unique_ptr<sql::Hold>{};
  }
  const auto connect = [&] {
    hold_connection_.reset();
    hold_connection_ = std::make_unique<Connection>(url_);
    ++hold_session_;
  };
  const std::string take = "SELECT pg_try_advisory_lock(" + advisory_arguments(space, key) + ")";
  try {
    if (!hold_connection_ || PQstatus(hold_connection_->handle()) != CONNECTION_OK) {
      connect();
    }
    std::optional<std::string> taken;
    try {
      taken = hold_connection_->scalar(take);
    } catch (const PgError& e) {
      // Found lost (a restart of the server): the holds it carried are gone with it.
      if (!connection_lost(e)) {
        throw;
      }
      connect();
      taken = hold_connection_->scalar(take);
    }
    if (taken != "t") {
      return std::unique_ptr<sql::Hold>{};
    }
  } catch (const PgError& e) {
    hold_connection_.reset();
    return fail(translate(e));
  }
  held_.insert({space, key});
  return std::unique_ptr<sql::Hold>(
      std::make_unique<AdvisoryHold>(*this, space, key, hold_session_));
}

bool Database::hold_session_stands(std::uint64_t session) {
  std::lock_guard lock(hold_mutex_);
  if (!hold_connection_ || session != hold_session_) {
    return false;  // the session that held it has ended, and the lock with it
  }
  try {
    // Answered by the server, so the session (and every advisory lock of it) was alive then.
    return hold_connection_->scalar("SELECT 1") == "1";
  } catch (const PgError&) {
    hold_connection_.reset();
    return false;
  }
}

void Database::release_hold(std::int32_t space, std::int64_t key, std::uint64_t session) {
  std::lock_guard lock(hold_mutex_);
  held_.erase({space, key});
  if (!hold_connection_ || session != hold_session_) {
    return;  // the session that held it has ended, and the lock with it
  }
  try {
    hold_connection_->scalar("SELECT pg_advisory_unlock(" + advisory_arguments(space, key) + ")");
  } catch (const PgError& e) {
    // The connection is gone, and every lock it held with it.
    spdlog::warn("database: releasing a hold failed ({}); its connection is closed", e.what());
    hold_connection_.reset();
  }
}

Error Database::translate(const PgError& e) const {
  const auto& state = e.sqlstate();
  if (state == "23505") {
    return make_error(Errc::kConflict, "already exists");
  }
  if (state.empty() || state.starts_with("08") || state == "57P01" || state == "57P03") {
    spdlog::error("database unavailable ({}): {}", redact(url_), e.what());
    return make_error(Errc::kUnavailable, "the database cannot be reached; try again in a moment");
  }
  if (state == "40001" || state == "40P01" || state == "55P03") {
    return make_error(Errc::kUnavailable, "the database is busy; try again in a moment");
  }
  if (state == "22021" || state == "22P05") {
    return make_error(Errc::kInvalidArgument,
                      "a text value is not valid UTF-8; send the text in UTF-8 and try again");
  }
  if (state == "53100") {
    return make_error(Errc::kUnavailable, "the database's disk is full; free space and try again");
  }
  spdlog::error("database error on {}: {}", redact(url_), e.what());
  return make_error(Errc::kInternal, "a storage error occurred");
}

Result<void> Database::transact(const std::function<void(sql::Connection&)>& body, Mode mode) {
  auto lease = acquire();
  Connection& c = *lease;
  const auto begin = [&] {
    if (mode == Mode::kRead) {
      c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    } else {
      c.exec("BEGIN");
      c.exec(std::string(kWriteLock));
    }
  };
  try {
    try {
      begin();
    } catch (const PgError& e) {
      // A connection lost while idle (a restart of the server) is found here, before anything
      // of the transaction ran: connect again and begin once more.
      if (!connection_lost(e) || !c.reconnect()) {
        throw;
      }
      begin();
    }
    try {
      body(c);
      if (mode != Mode::kRead) {
        before_commit(c);
      }
      std::optional<std::int64_t> counted;
      if (mode == Mode::kWrite) {
        // The notification is delivered at COMMIT, and only if it commits.
        const auto value = c.scalar(
            "WITH v AS (UPDATE change_counter SET value = value + 1 WHERE id = 1 "
            "RETURNING value) SELECT value, pg_notify('vestibule_changes', value::text) FROM v");
        if (value) {
          counted = std::stoll(*value);
        }
      }
      c.exec("COMMIT");
      if (counted) {
        learn(*counted);
      }
      return outcome::success();
    } catch (...) {
      PQclear(PQexec(c.handle(), "ROLLBACK"));
      throw;
    }
  } catch (const PgError& e) {
    return fail(translate(e));
  } catch (sql::Refusal& r) {
    return fail(std::move(r.error));
  }
}

std::optional<std::int64_t> Database::change_generation() {
  if (listening_.load(std::memory_order_acquire)) {
    return known_.load(std::memory_order_acquire);
  }
  auto lease = acquire();
  Connection& c = *lease;
  try {
    if (PQstatus(c.handle()) != CONNECTION_OK && !c.reconnect()) {
      return std::nullopt;
    }
    auto& s = c.prepare("SELECT value FROM change_counter WHERE id = 1");
    if (!s.step()) {
      return std::nullopt;
    }
    const auto value = s.int64(0);
    s.reset();
    return value;
  } catch (const PgError& e) {
    spdlog::warn("reading the change counter failed: {}", e.what());
    return std::nullopt;
  }
}

void Database::learn(std::int64_t value) {
  auto known = known_.load(std::memory_order_relaxed);
  while (value > known && !known_.compare_exchange_weak(known, value, std::memory_order_release,
                                                        std::memory_order_relaxed)) {
  }
}

void Database::listen_loop() {
  using std::chrono::steady_clock;
  bool reported = false;
  while (!stopping_.load()) {
    try {
      Connection c(url_);
      c.exec("LISTEN vestibule_changes");
      // Read after LISTEN: a change committed in between is in the row or notified, or both.
      const auto read_row = [&] {
        // (Spelled unlike the requests' read, so that statement counts tell the two apart.)
        if (const auto value = c.scalar("SELECT max(value) FROM change_counter")) {
          learn(std::stoll(*value));
        }
      };
      read_row();
      listening_.store(true, std::memory_order_release);
      if (reported) {
        spdlog::info("listening for changes from other nodes again");
        reported = false;
      }
      auto last_read = steady_clock::now();
      while (!stopping_.load()) {
        pollfd ready{PQsocket(c.handle()), POLLIN, 0};
        if (::poll(&ready, 1, 200) > 0 && PQconsumeInput(c.handle()) == 0) {
          throw PgError("", PQerrorMessage(c.handle()));
        }
        while (PGnotify* n = PQnotifies(c.handle())) {
          std::int64_t value = 0;
          const std::string_view payload(n->extra);
          if (std::from_chars(payload.data(), payload.data() + payload.size(), value).ec ==
              std::errc{}) {
            learn(value);
          }
          PQfreemem(n);
        }
        // A lost notification (or a dead connection that reports nothing) costs at most this.
        if (steady_clock::now() - last_read >= std::chrono::seconds(1)) {
          read_row();
          last_read = steady_clock::now();
        }
      }
    } catch (const PgError& e) {
      listening_.store(false, std::memory_order_release);
      if (!reported) {
        spdlog::warn(
            "not listening for changes from other nodes ({}); each request reads the "
            "change counter until it is back",
            e.what());
        reported = true;
      }
      for (int i = 0; i < 10 && !stopping_.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  listening_.store(false, std::memory_order_release);
}

int Database::latest_schema_version() const { return static_cast<int>(migrations().size()); }

Result<int> Database::schema_version() {
  return read<int>([](sql::Connection& base) {
    auto& c = static_cast<Connection&>(base);
    if (!c.scalar("SELECT to_regclass('schema_version')")) {
      return 0;
    }
    const auto version = c.scalar("SELECT version FROM schema_version");
    return version ? std::stoi(*version) : 0;
  });
}

Result<int> Database::migrate() {
  // Unversioned: before the first migration there is no change counter to advance.
  int reached = 0;
  auto done = transact(
      [&](sql::Connection& base) {
        auto& c = static_cast<Connection&>(base);
        c.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        auto version = 0;
        if (const auto stored = c.scalar("SELECT version FROM schema_version")) {
          version = std::stoi(*stored);
        } else {
          c.exec("INSERT INTO schema_version (version) VALUES (0)");
        }
        const auto& all = migrations();
        if (version > static_cast<int>(all.size())) {
          sql::refuse(Errc::kUnavailable,
                      "the database schema (version " + std::to_string(version) +
                          ") is newer than this program knows (" + std::to_string(all.size()) +
                          "); run a newer vestibule");
        }
        for (; version < static_cast<int>(all.size()); ++version) {
          c.exec(std::string(all[static_cast<std::size_t>(version)]));
          c.exec("UPDATE schema_version SET version = " + std::to_string(version + 1));
          spdlog::info("database migrated to schema version {}", version + 1);
        }
        reached = version;
      },
      Mode::kWriteUnversioned);
  if (!done) {
    return fail(std::move(done).error());
  }
  // The change counter exists from here on: start listening for other nodes' changes.
  if (!listener_.joinable()) {
    listener_ = std::thread([this] { listen_loop(); });
  }
  return reached;
}

Result<std::string> Database::integrity_check() {
  VST_TRY(version, schema_version());
  if (version != latest_schema_version()) {
    return std::string("schema version ") + std::to_string(version) + ", expected " +
           std::to_string(latest_schema_version()) + "; run vestibule migrate";
  }
  return std::string("ok");
}

}  // namespace vestibule::store::postgres
