#include "store/sqlite/database.hpp"

#include "store/sqlite/migrations.hpp"

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace vestibule::store::sqlite {

void throw_sqlite(sqlite3* db, int code, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError(db != nullptr ? sqlite3_extended_errcode(db) : code, message);
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  if (const int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) {
    throw_sqlite(db_, rc, "bind");
  }
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  if (const int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                         SQLITE_UTF8);
      rc != SQLITE_OK) {
    throw_sqlite(db_, rc, "bind");
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (const int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) {
    throw_sqlite(db_, rc, "bind");
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  throw_sqlite(db_, rc, "step");
}

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const auto n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Connection::Connection(const std::string& path, bool create) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
    std::string message = "cannot open database " + path + ": " +
                          (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 10000);
  exec("PRAGMA journal_mode = WAL");
  exec("PRAGMA synchronous = FULL");
  exec("PRAGMA foreign_keys = ON");
  exec("PRAGMA secure_delete = ON");
  // 16 MiB of pages per connection (SQLite keeps 2 MiB by default): the upper levels of the item
  // and grant B-trees stay in memory at a million items instead of being read again each time.
  exec("PRAGMA cache_size = -16384");
}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close(db_);
}

Statement& Connection::prepare(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
        rc != SQLITE_OK) {
      throw_sqlite(db_, rc, std::string("prepare ") + std::string(sql.substr(0, 60)));
    }
    std::unique_ptr<sqlite3_stmt, StmtDeleter> owned(raw);
    auto wrapper = std::make_unique<Statement>(db_, raw);
    it = statements_.emplace(std::string(sql), std::make_pair(std::move(owned), std::move(wrapper)))
             .first;
  }
  auto& statement = *it->second.second;
  statement.reset();
  used_.push_back(&statement);
  return statement;
}

void Connection::reset_statements() {
  for (auto* statement : used_) {
    statement->reset();
  }
  used_.clear();
}

void Connection::exec(const std::string& sql) {
  char* error = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error); rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError(sqlite3_extended_errcode(db_), sql.substr(0, 60) + ": " + message);
  }
}

std::int64_t Connection::last_insert_id() { return sqlite3_last_insert_rowid(db_); }
int Connection::changes() const { return sqlite3_changes(db_); }

Database::Database(std::string path, std::size_t pool_size, bool create) : path_(std::move(path)) {
  // SQLite's memory statistics take one process-wide mutex on every allocation, which the
  // serving threads then contend for; nothing here reads those statistics. Must precede the
  // first connection (afterwards the call is refused, harmlessly).
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  for (std::size_t i = 0; i < std::max<std::size_t>(pool_size, 1); ++i) {
    idle_.push_back(std::make_unique<Connection>(path_, create));
  }
  if (auto version = schema_version()) {
    counted_ = version.value() >= 6;
  }
  if (!path_.empty() && path_ != ":memory:" && !path_.starts_with("file:")) {
    std::string error;
    changes_ = SharedChangeCounter::open(path_ + "-changes", error);
    if (!changes_) {
      spdlog::error("{}; each request reads the change counter from the database instead", error);
    }
  }
}

void Database::commit(Connection& c, Mode mode) const {
  const bool write = mode != Mode::kRead;
  if (write) {
    before_commit(c);
  }
  // Marked in flight from before the COMMIT until after it (however it ends): see
  // change_feed.hpp.
  std::optional<SharedChangeCounter::Write> in_flight;
  if (mode == Mode::kWrite && counted_.load(std::memory_order_acquire)) {
    c.prepare("UPDATE change_counter SET value = value + 1 WHERE id = 1").run();
    if (changes_) {
      in_flight.emplace(changes_.get());
    }
  }
  c.reset_statements();
  c.prepare("COMMIT").run();
}

Result<void> Database::transact(const std::function<void(sql::Connection&)>& body, Mode mode) {
  auto lease = acquire();
  Connection& c = *lease;
  try {
    c.prepare(mode != Mode::kRead ? "BEGIN IMMEDIATE" : "BEGIN").run();
    try {
      body(c);
      commit(c, mode);
      return outcome::success();
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

std::optional<std::int64_t> Database::change_generation() {
  if (!counted_.load(std::memory_order_acquire)) {
    return std::nullopt;
  }
  std::int64_t counter = -1;
  if (changes_) {
    // Two atomic loads in shared memory, no transaction (change_feed.hpp).
    const auto generation = changes_->stable_generation();
    if (!generation) {
      return std::nullopt;
    }
    counter = static_cast<std::int64_t>(*generation & 0x7fff'ffff'ffff'ffffULL);
  } else {
    // One statement in autocommit mode is its own read transaction: no BEGIN and COMMIT rounds
    // for the one read every request makes.
    auto lease = acquire();
    Connection& c = *lease;
    try {
      auto& s = c.prepare("SELECT value FROM change_counter WHERE id = 1");
      counter = s.step() ? s.int64(0) : -1;
    } catch (const SqliteError& e) {
      spdlog::warn("reading the change counter failed: {}", e.what());
    }
    c.reset_statements();
  }
  if (counter < 0) {
    return std::nullopt;
  }
  return counter;
}

Database::~Database() = default;

Database::Lease Database::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty(); });
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(c));
}

void Database::give_back(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }
  available_.notify_one();
}

Error Database::translate(const SqliteError& e) const {
  const int primary = e.code() & 0xff;
  if (e.code() == SQLITE_CONSTRAINT_UNIQUE || e.code() == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return make_error(Errc::kConflict, "already exists");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return make_error(Errc::kUnavailable, "the database is busy; try again in a moment");
  }
  if (primary == SQLITE_FULL) {
    return make_error(Errc::kUnavailable, "the disk is full; free space and try again");
  }
  spdlog::error("database error on {}: {}", path_, e.what());
  return make_error(Errc::kInternal, "a storage error occurred");
}

int Database::latest_schema_version() const { return static_cast<int>(migrations().size()); }

Result<int> Database::schema_version() {
  return read<int>([](sql::Connection& c) {
    auto& s = c.prepare("PRAGMA user_version");
    s.step();
    return static_cast<int>(s.int64(0));
  });
}

Result<int> Database::migrate() {
  auto reached = write<int>([](sql::Connection& c) {
    auto& s = c.prepare("PRAGMA user_version");
    s.step();
    auto version = static_cast<int>(s.int64(0));
    s.reset();
    const auto& all = migrations();
    if (version > static_cast<int>(all.size())) {
      throw Refusal{make_error(Errc::kUnavailable,
                               "the database schema (version " + std::to_string(version) +
                                   ") is newer than this program knows (" +
                                   std::to_string(all.size()) + "); run a newer vestibule")};
    }
    for (; version < static_cast<int>(all.size()); ++version) {
      c.exec(std::string(all[static_cast<std::size_t>(version)]));
      c.exec("PRAGMA user_version = " + std::to_string(version + 1));
      spdlog::info("database migrated to schema version {}", version + 1);
    }
    return version;
  });
  if (reached) {
    counted_ = reached.value() >= 6;
  }
  return reached;
}

class Database::FileHold final : public sql::Hold {
 public:
  FileHold(Database& db, std::int32_t space, std::int64_t key, int fd)
      : db_(db), space_(space), key_(key), fd_(fd) {}
  FileHold(const FileHold&) = delete;
  FileHold& operator=(const FileHold&) = delete;
  FileHold(FileHold&&) = delete;
  FileHold& operator=(FileHold&&) = delete;
  ~FileHold() override {
    if (fd_ >= 0) {
      ::close(fd_);  // ends the lock
    }
    db_.release_hold(space_, key_);
  }

 private:
  Database& db_;
  std::int32_t space_;
  std::int64_t key_;
  int fd_;
};

Result<std::unique_ptr<sql::Hold>> Database::try_hold(std::int32_t space, std::int64_t key) {
  std::lock_guard lock(hold_mutex_);
  if (held_.contains({space, key})) {
    return std::unique_ptr<sql::Hold>{};
  }
  int fd = -1;
  if (!path_.empty() && path_ != ":memory:" && !path_.starts_with("file:")) {
    const std::string holds = path_ + "-holds";
    fd = ::open(holds.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      const int error = errno;
      spdlog::error("cannot open {}: {}", holds, std::strerror(error));
      return fail(Errc::kInternal, "a storage error occurred");
    }
    constexpr std::int64_t kKeyBits = 40;
    struct flock range {};
    range.l_type = F_WRLCK;
    range.l_whence = SEEK_SET;
    range.l_start = static_cast<off_t>((static_cast<std::int64_t>(space) << kKeyBits) |
                                       (key & ((std::int64_t{1} << kKeyBits) - 1)));
    range.l_len = 1;
    if (::fcntl(fd, F_OFD_SETLK, &range) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EAGAIN || error == EACCES) {
        return std::unique_ptr<sql::Hold>{};
      }
      spdlog::error("cannot lock {}: {}", holds, std::strerror(error));
      return fail(Errc::kInternal, "a storage error occurred");
    }
  }
  held_.insert({space, key});
  return std::unique_ptr<sql::Hold>(std::make_unique<FileHold>(*this, space, key, fd));
}

void Database::release_hold(std::int32_t space, std::int64_t key) {
  std::lock_guard lock(hold_mutex_);
  held_.erase({space, key});
}

Result<std::string> Database::integrity_check() {
  return read<std::string>([](sql::Connection& c) {
    auto& s = c.prepare("PRAGMA integrity_check");
    std::string out;
    while (s.step()) {
      if (!out.empty()) {
        out += "\n";
      }
      out += s.text(0);
    }
    return out;
  });
}

void Database::checkpoint_truncate() {
  auto lease = acquire();
  // Best effort: with readers active the WAL cannot be emptied now; the next call tries again.
  sqlite3_wal_checkpoint_v2((*lease).handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                            nullptr);
}

}  // namespace vestibule::store::sqlite
