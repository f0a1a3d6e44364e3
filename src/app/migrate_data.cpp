#include "app/migrate_data.hpp"

#include "app/application.hpp"
#include "blob/s3/s3_blob_store.hpp"
#include "store/postgres/database.hpp"
#include "store/sqlite/migrations.hpp"
#include "util/crypto.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <fcntl.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

namespace vestibule::app {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kStateTable = "vestibule_migrate_data";
// The PostgreSQL engine's own bookkeeping, not data: the schema version (its migrations write
// it) and the change counter, whose one row the first migration seeds and the copy overwrites.
bool is_engine_table(std::string_view name) {
  return name == "schema_version" || name == "change_counter";
}
constexpr std::size_t kCopyBufferBytes = std::size_t{1} << 20;
constexpr std::size_t kFileChunkBytes = std::size_t{1} << 20;

// A failure that ends the run with an exit status and a message.
struct Stop {
  int status;
  std::string message;
};

[[noreturn]] void stop(int status, std::string message) { throw Stop{status, std::move(message)}; }

std::string ident(std::string_view name) {
  std::string q = "\"";
  for (const char ch : name) {
    q += ch;
    if (ch == '"') {
      q += '"';
    }
  }
  return q + "\"";
}

std::string literal(std::string_view text) {
  std::string q = "'";
  for (const char ch : text) {
    q += ch;
    if (ch == '\'') {
      q += '\'';
    }
  }
  return q + "'";
}

// ---- the source: the data folder's SQLite database, read-only, one snapshot ----

class Source {
 public:
  explicit Source(const fs::path& path) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      stop(2, "cannot open " + path.string() + " read-only: " + why);
    }
    sqlite3_busy_timeout(db_, 5000);
    // One read transaction for the whole run: every table is copied, counted and compared as of
    // one moment.
    exec("BEGIN");
    rows("SELECT count(*) FROM sqlite_schema");
  }
  ~Source() {
    if (db_ != nullptr) {
      sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(db_);
    }
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  Source(Source&&) = delete;
  Source& operator=(Source&&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string why = message != nullptr ? message : "unknown error";
      sqlite3_free(message);
      stop(2, "reading the source database failed (" + sql + "): " + why);
    }
  }

  // Every row of `sql`, each value as text (NULL as nullopt).
  std::vector<std::vector<std::optional<std::string>>> rows(const std::string& sql) {
    std::vector<std::vector<std::optional<std::string>>> result;
    each(sql, [&](sqlite3_stmt* s) {
      std::vector<std::optional<std::string>> row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        if (sqlite3_column_type(s, i) == SQLITE_NULL) {
          row.emplace_back();
        } else {
          row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, i)));
        }
      }
      result.push_back(std::move(row));
    });
    return result;
  }

  template <class F>
  void each(const std::string& sql, F&& on_row) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      stop(2, "reading the source database failed (" + sql + "): " + sqlite3_errmsg(db_));
    }
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      on_row(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
      stop(2, "reading the source database failed (" + sql + "): " + sqlite3_errmsg(db_));
    }
  }

  std::int64_t integer(const std::string& sql) {
    const auto r = rows(sql);
    return r.empty() || r[0].empty() || !r[0][0] ? 0 : std::stoll(*r[0][0]);
  }

  [[nodiscard]] sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

struct Table {
  std::string name;
  std::vector<std::string> columns;
  std::set<std::string> parents;  // tables its foreign keys refer to, itself excluded
  std::int64_t rows = 0;
};

// Every table of the source (SQLite's internal ones aside), parents before children: each is
// committed on its own, so the rows a foreign key refers to must be there first. A table that
// refers to itself (items.parent_id) is one COPY, checked at its end.
std::vector<Table> source_tables(Source& source) {
  std::map<std::string, Table> tables;
  for (const auto& row :
       source.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                   "'sqlite\\_%' ESCAPE '\\' ORDER BY name")) {
    Table t;
    t.name = *row[0];
    for (const auto& column : source.rows("PRAGMA table_info(" + ident(t.name) + ")")) {
      t.columns.push_back(*column[1]);
    }
    for (const auto& key : source.rows("PRAGMA foreign_key_list(" + ident(t.name) + ")")) {
      if (*key[2] != t.name) {
        t.parents.insert(*key[2]);
      }
    }
    t.rows = source.integer("SELECT count(*) FROM " + ident(t.name));
    tables.emplace(t.name, std::move(t));
  }
  std::vector<Table> ordered;
  std::set<std::string> placed;
  while (placed.size() < tables.size()) {
    bool progress = false;
    for (auto& [name, table] : tables) {
      if (placed.count(name) != 0) {
        continue;
      }
      const bool ready = std::all_of(
          table.parents.begin(), table.parents.end(),
          [&](const std::string& p) { return placed.count(p) != 0 || tables.count(p) == 0; });
      if (ready) {
        ordered.push_back(table);
        placed.insert(name);
        progress = true;
      }
    }
    if (!progress) {
      stop(2, "the source's tables refer to each other in a cycle; this version cannot copy it");
    }
  }
  return ordered;
}

// What identifies this source in this state: a run finding the target's progress table made
// from another fingerprint is not resuming the same migration.
std::string fingerprint(Source& source, const std::vector<Table>& tables) {
  std::string text;
  for (const auto& t : tables) {
    text += t.name + ":" + std::to_string(t.rows);
    // The change counter moves with every write, and max(rowid) with every insert.
    sqlite3_stmt* s = nullptr;
    const std::string sql = "SELECT max(rowid) FROM " + ident(t.name);
    if (sqlite3_prepare_v2(source.handle(), sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      text += ":" + std::to_string(sqlite3_column_int64(s, 0));
    }
    sqlite3_finalize(s);
    text += ";";
  }
  for (const auto& t : tables) {
    if (t.name == "change_counter") {
      text += "counter:" + std::to_string(source.integer("SELECT max(value) FROM change_counter"));
    }
  }
  return util::sha256_hex(text);
}

// Whether another process (a running server, a `vestibule` command) has the SQLite database
// open: every connection to a WAL database holds a shared lock on one byte of its `-shm` file
// (SQLite's "DMS" lock at offset 128) for as long as it is open. F_GETLK asks without taking it.
std::optional<pid_t> held_by(const fs::path& db) {
  const std::string shm = db.string() + "-shm";
  const int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 128;
  lock.l_len = 1;
  const int rc = ::fcntl(fd, F_GETLK, &lock);
  ::close(fd);
  if (rc != 0 || lock.l_type == F_UNLCK) {
    return std::nullopt;
  }
  return lock.l_pid;
}

// ---- the target: one PostgreSQL connection ----

using PgRows = std::vector<std::vector<std::optional<std::string>>>;

PgRows query(store::postgres::Connection& c, const std::string& sql) {
  PGresult* r = PQexec(c.handle(), sql.c_str());
  const auto status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string why = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c.handle());
    while (!why.empty() && why.back() == '\n') {
      why.pop_back();
    }
    PQclear(r);
    throw store::postgres::PgError("", why);
  }
  PgRows rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::vector<std::optional<std::string>> row;
    for (int j = 0; j < PQnfields(r); ++j) {
      if (PQgetisnull(r, i, j) != 0) {
        row.emplace_back();
      } else {
        row.emplace_back(PQgetvalue(r, i, j));
      }
    }
    rows.push_back(std::move(row));
  }
  PQclear(r);
  return rows;
}

std::set<std::string> target_tables(store::postgres::Connection& c) {
  std::set<std::string> names;
  for (const auto& row :
       query(c,
             "SELECT table_name FROM information_schema.tables WHERE table_schema = "
             "current_schema() AND table_type = 'BASE TABLE'")) {
    names.insert(*row[0]);
  }
  return names;
}

std::int64_t count_rows(store::postgres::Connection& c, const std::string& table) {
  return std::stoll(*query(c, "SELECT count(*) FROM " + ident(table))[0][0]);
}

// Appends one SQLite value in COPY's text format.
void append_copy_value(sqlite3_stmt* s, int col, const Table& t, std::string& out) {
  switch (sqlite3_column_type(s, col)) {
    case SQLITE_NULL:
      out += "\\N";
      return;
    case SQLITE_INTEGER:
      out += std::to_string(sqlite3_column_int64(s, col));
      return;
    case SQLITE_FLOAT: {
      std::array<char, 40> buf{};
      std::snprintf(buf.data(), buf.size(), "%.17g", sqlite3_column_double(s, col));
      out += buf.data();
      return;
    }
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
      const int n = sqlite3_column_bytes(s, col);
      for (int i = 0; i < n; ++i) {
        const char ch = text[i];
        switch (ch) {
          case '\0':
            stop(1, "table " + t.name + ", column " + t.columns[static_cast<std::size_t>(col)] +
                        ": a value holds a NUL character, which PostgreSQL cannot store");
          case '\\':
            out += "\\\\";
            break;
          case '\t':
            out += "\\t";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          default:
            out += ch;
        }
      }
      return;
    }
    default:
      stop(1, "table " + t.name + ", column " + t.columns[static_cast<std::size_t>(col)] +
                  ": a binary value, which the PostgreSQL schema has no column for");
  }
}

void put_copy(PGconn* pg, std::string& buffer) {
  if (!buffer.empty() && PQputCopyData(pg, buffer.data(), static_cast<int>(buffer.size())) != 1) {
    throw store::postgres::PgError("", PQerrorMessage(pg));
  }
  buffer.clear();
}

// Copies one table in one transaction that also records it as done.
void copy_table(Source& source, store::postgres::Connection& c, const Table& t) {
  std::string columns;
  for (const auto& column : t.columns) {
    columns += (columns.empty() ? "" : ", ") + ident(column);
  }
  query(c, "BEGIN");
  try {
    // User triggers off: what they maintain (spaces.used_bytes from versions, removals cleared
    // by grants) is copied as it stands, not computed again. Foreign keys stay checked.
    query(c, "ALTER TABLE " + ident(t.name) + " DISABLE TRIGGER USER");
    // Rows a migration seeds (the change counter) give way to the source's.
    query(c, "DELETE FROM " + ident(t.name));
    PGresult* r =
        PQexec(c.handle(), ("COPY " + ident(t.name) + " (" + columns + ") FROM STDIN").c_str());
    if (PQresultStatus(r) != PGRES_COPY_IN) {
      const std::string why = PQresultErrorMessage(r);
      PQclear(r);
      throw store::postgres::PgError("", why);
    }
    PQclear(r);
    std::string buffer;
    source.each("SELECT " + columns + " FROM " + ident(t.name), [&](sqlite3_stmt* s) {
      for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
        if (i != 0) {
          buffer += '\t';
        }
        append_copy_value(s, i, t, buffer);
      }
      buffer += '\n';
      if (buffer.size() >= kCopyBufferBytes) {
        put_copy(c.handle(), buffer);
      }
    });
    put_copy(c.handle(), buffer);
    if (PQputCopyEnd(c.handle(), nullptr) != 1) {
      throw store::postgres::PgError("", PQerrorMessage(c.handle()));
    }
    r = PQgetResult(c.handle());
    const bool copied = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string why = copied ? "" : PQresultErrorMessage(r);
    PQclear(r);
    while ((r = PQgetResult(c.handle())) != nullptr) {
      PQclear(r);
    }
    if (!copied) {
      throw store::postgres::PgError("", why);
    }
    query(c, "ALTER TABLE " + ident(t.name) + " ENABLE TRIGGER USER");
    query(c, "INSERT INTO " + std::string(kStateTable) + " (name, value) VALUES (" +
                 literal("table:" + t.name) + ", " + literal(std::to_string(t.rows)) + ")");
    query(c, "COMMIT");
  } catch (...) {
    PQexec(c.handle(), "ROLLBACK");
    throw;
  }
}

// Sets every identity of the target past the largest id copied (or SQLite's AUTOINCREMENT
// high-water mark, which can be above it), so new rows never take an id the source gave.
void set_identities(Source& source, store::postgres::Connection& c) {
  std::map<std::string, std::int64_t> high;
  const bool has_sequence =
      source.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_sequence'") != 0;
  if (has_sequence) {
    for (const auto& row : source.rows("SELECT name, seq FROM sqlite_sequence")) {
      high[*row[0]] = row[1] ? std::stoll(*row[1]) : 0;
    }
  }
  query(c, "BEGIN");
  for (const auto& row :
       query(c,
             "SELECT table_name, column_name FROM information_schema.columns WHERE "
             "table_schema = current_schema() AND is_identity = 'YES'")) {
    const std::string& table = *row[0];
    const std::string& column = *row[1];
    const auto max =
        query(c, "SELECT COALESCE(max(" + ident(column) + "), 0) FROM " + ident(table))[0][0];
    std::int64_t top = std::stoll(*max);
    if (const auto it = high.find(table); it != high.end()) {
      top = std::max(top, it->second);
    }
    query(c, "SELECT setval(pg_get_serial_sequence(" + literal(ident(table)) + ", " +
                 literal(column) + "), " + std::to_string(std::max<std::int64_t>(top, 1)) + ", " +
                 (top > 0 ? "true" : "false") + ")");
  }
  query(c, "COMMIT");
}

// ---- blobs ----

struct LocalBlob {
  std::string sha256;
  fs::path path;
  std::int64_t size = 0;
};

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

std::vector<LocalBlob> local_blobs(const fs::path& data_dir) {
  std::vector<LocalBlob> blobs;
  const fs::path root = data_dir / "blobs";
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    return blobs;
  }
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && is_sha256_hex(it->path().filename().string())) {
      blobs.push_back(
          {it->path().filename().string(), it->path(), static_cast<std::int64_t>(it->file_size())});
    }
  }
  if (ec) {
    stop(2, "cannot list " + root.string() + ": " + ec.message());
  }
  std::sort(blobs.begin(), blobs.end(),
            [](const LocalBlob& a, const LocalBlob& b) { return a.sha256 < b.sha256; });
  return blobs;
}

// Sends one local blob up through the store's own writer (one PUT, or a multipart upload for a
// large one, under its content key once whole).
void upload(blob::s3::S3BlobStore& store, const LocalBlob& b) {
  std::ifstream in(b.path, std::ios::binary);
  if (!in) {
    stop(1, "cannot read " + b.path.string());
  }
  auto writer = store.begin_write();
  if (!writer) {
    stop(1, "blob " + b.sha256 + ": " + writer.error().message);
  }
  std::string chunk(kFileChunkBytes, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) {
      break;
    }
    if (auto w = writer.value()->write(std::string_view(chunk.data(), n)); !w) {
      stop(1, "blob " + b.sha256 + ": " + w.error().message);
    }
  }
  if (in.bad()) {
    stop(1, "cannot read " + b.path.string());
  }
  auto ref = writer.value()->commit();
  if (!ref) {
    stop(1, "blob " + b.sha256 + ": " + ref.error().message);
  }
  if (ref.value().sha256 != b.sha256) {
    stop(1, "the local blob " + b.path.string() + " is damaged: its bytes hash to " +
                ref.value().sha256 + "; restore it from a backup");
  }
}

// The SHA-256 and size of what the target holds for `b`, read back streamed; an error message
// naming the blob when they are not its key and size.
std::optional<std::string> check_blob(blob::s3::S3BlobStore* store, const LocalBlob& b) {
  util::Sha256Stream hash;
  std::int64_t size = 0;
  if (store != nullptr) {
    auto reader = store->read(b.sha256, 0, -1);
    if (!reader) {
      return "blob " + b.sha256 + ": " +
             (reader.error().code == Errc::kNotFound ? std::string("not in the bucket")
                                                     : reader.error().message);
    }
    std::string chunk;
    for (;;) {
      auto more = reader.value()->next(chunk);
      if (!more) {
        return "blob " + b.sha256 + ": " + more.error().message;
      }
      if (!more.value()) {
        break;
      }
      hash.update(chunk);
      size += static_cast<std::int64_t>(chunk.size());
    }
  } else {
    std::ifstream in(b.path, std::ios::binary);
    std::string chunk(kFileChunkBytes, '\0');
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      hash.update(std::string_view(chunk.data(), n));
      size += static_cast<std::int64_t>(n);
    }
    if (in.bad()) {
      return "blob " + b.sha256 + ": cannot read " + b.path.string();
    }
  }
  const std::string got = hash.final_hex();
  if (got != b.sha256) {
    return "blob " + b.sha256 + ": the target's bytes hash to " + got + " (" +
           std::to_string(size) + " bytes)";
  }
  if (size != b.size) {
    return "blob " + b.sha256 + ": " + std::to_string(size) + " bytes in the target, " +
           std::to_string(b.size) + " in the data folder";
  }
  return std::nullopt;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Test hooks: the process stops as a kill would, right after this many tables were committed
// (..._TABLES) or blobs sent (..._BLOBS).
int kill_after(const char* what) {
  const char* value = std::getenv(what);
  return value != nullptr ? std::atoi(value) : -1;
}

int run(const MigrateDataOptions& options, std::ostream& out, std::ostream& err) {
  const Config& config = options.config;
  const fs::path dir = config.server.data_dir;
  const std::string& url = config.database.url;
  if (dir.empty()) {
    stop(2, "--from-data-dir: required, the data folder of the single-node installation");
  }
  if (url.empty()) {
    stop(2,
         "--to-database: required, the PostgreSQL URL of the cluster "
         "(postgres://user:password@host:port/dbname; or VESTIBULE_DATABASE__URL)");
  }
  if (url.rfind("postgres://", 0) != 0 && url.rfind("postgresql://", 0) != 0) {
    stop(2, "--to-database: a postgres:// or postgresql:// URL, not " +
                store::postgres::Database::redact(url));
  }
  const bool s3 = config.storage.backend == "s3";
  const fs::path db_path = dir / "vestibule.db";
  std::error_code ec;
  if (!fs::is_regular_file(db_path, ec)) {
    stop(2, "--from-data-dir: " + db_path.string() +
                " does not exist; name the data folder of a single-node installation");
  }
  if (const auto pid = held_by(db_path)) {
    stop(2, "the database of " + dir.string() + " is open in another process (pid " +
                std::to_string(*pid) +
                "): stop the server (and any other vestibule command on this folder) first");
  }

  // The key file: checked before anything is written, written last.
  std::string keys;
  if (!options.key_file.empty() && !options.verify_only) {
    const fs::path server_key = dir / "keys" / "server.key";
    const fs::path audit_key = dir / "keys" / "audit.key";
    if (!fs::is_regular_file(server_key, ec) || !fs::is_regular_file(audit_key, ec)) {
      stop(2, "--key-file: " + dir.string() +
                  " has no keys/server.key and keys/audit.key; if this installation runs with "
                  "[server] key_file, give the nodes that file and leave out --key-file");
    }
    keys = read_file(server_key) + read_file(audit_key);
    if (fs::exists(options.key_file, ec) && read_file(options.key_file) != keys) {
      stop(2, "--key-file: " + options.key_file +
                  " exists and holds other keys; it is never overwritten: choose another name");
    }
  }

  Source source(db_path);
  const auto version = source.integer("PRAGMA user_version");
  const auto latest = static_cast<std::int64_t>(store::sqlite::migrations().size());
  if (version < latest) {
    stop(2, "the database of " + dir.string() + " is at schema version " + std::to_string(version) +
                ", this program's newest is " + std::to_string(latest) +
                ": run `vestibule migrate --data-dir " + dir.string() + "` first");
  }
  if (version > latest) {
    stop(2, "the database of " + dir.string() + " is at schema version " + std::to_string(version) +
                ", newer than this program knows (" + std::to_string(latest) +
                "): run a newer vestibule");
  }
  const auto tables = source_tables(source);
  const auto blobs = local_blobs(dir);
  const std::string print = fingerprint(source, tables);

  std::unique_ptr<store::postgres::Connection> pg;
  try {
    pg = std::make_unique<store::postgres::Connection>(url);
  } catch (const store::postgres::PgError& e) {
    stop(2, std::string(e.what()) + "; check --to-database and that PostgreSQL is running");
  }

  std::unique_ptr<blob::s3::S3BlobStore> store;
  if (s3) {
    store = std::make_unique<blob::s3::S3BlobStore>(s3_config_of(config.storage),
                                                    blob::s3::S3BlobStoreOptions{});
  }

  bool resuming = false;
  if (!options.verify_only) {
    // The target must be empty, or hold this very migration's progress.
    const auto existing = target_tables(*pg);
    if (existing.count(std::string(kStateTable)) != 0) {
      const auto stored =
          query(*pg, "SELECT value FROM " + std::string(kStateTable) + " WHERE name = 'source'");
      if (stored.empty() || *stored[0][0] != print) {
        stop(2,
             "the target database holds a migration of another data folder, or of this one "
             "before it changed; migrate into an empty database");
      }
      resuming = true;
    } else {
      for (const auto& table : existing) {
        if (!is_engine_table(table) &&
            !query(*pg, "SELECT 1 FROM " + ident(table) + " LIMIT 1").empty()) {
          stop(2, "the target database is not empty (table " + table +
                      " has rows); migrate-data writes only into an empty database (create one "
                      "with createdb)");
        }
      }
    }
    if (store) {
      // Creates the bucket when missing; refused credentials or a store that is down stop here.
      if (auto ready = store->prepare(); !ready) {
        stop(2, ready.error().message);
      }
      auto page = store->client().list_page("blobs/", "", 1);
      if (!page) {
        stop(2, page.error().message);
      }
      if (!resuming && !page.value().keys.empty()) {
        stop(2, "the bucket " + config.storage.s3_bucket + " already holds blobs (" +
                    page.value().keys[0] + "); migrate-data writes only into an empty bucket");
      }
    }

    // The schema, by the PostgreSQL migrations, as `vestibule migrate` makes it.
    try {
      store::postgres::Database schema(url, 1);
      if (auto migrated = schema.migrate(); !migrated) {
        stop(2, migrated.error().message);
      }
    } catch (const store::postgres::PgError& e) {
      stop(2, std::string(e.what()) + "; check --to-database and that PostgreSQL is running");
    }
    const auto migrated = target_tables(*pg);
    for (const auto& t : tables) {
      if (migrated.count(t.name) == 0) {
        stop(2, "the table " + t.name + " of " + dir.string() +
                    " has no counterpart in the PostgreSQL schema of this program");
      }
    }
    query(*pg, "CREATE TABLE IF NOT EXISTS " + std::string(kStateTable) +
                   " (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    query(*pg, "INSERT INTO " + std::string(kStateTable) + " (name, value) VALUES ('source', " +
                   literal(print) + ") ON CONFLICT (name) DO NOTHING");

    std::set<std::string> done;
    for (const auto& row : query(*pg, "SELECT name FROM " + std::string(kStateTable))) {
      done.insert(*row[0]);
    }
    if (resuming) {
      err << "resuming the migration of " << dir.string() << "\n";
    }
    const int kill_after_tables = kill_after("VESTIBULE_TEST_MIGRATE_DATA_KILL_AFTER_TABLES");
    int copied = 0;
    for (const auto& t : tables) {
      if (done.count("table:" + t.name) != 0) {
        err << "table " << t.name << ": copied before\n";
        continue;
      }
      try {
        copy_table(source, *pg, t);
      } catch (const store::postgres::PgError& e) {
        stop(1, "copying table " + t.name + " failed: " + e.what() +
                    "; run the same command again to resume");
      }
      err << "table " << t.name << ": " << t.rows << " rows copied\n";
      if (++copied == kill_after_tables) {
        std::raise(SIGKILL);
      }
    }
    try {
      set_identities(source, *pg);
    } catch (const store::postgres::PgError& e) {
      stop(1, std::string("setting the identities failed: ") + e.what() +
                  "; run the same command again to resume");
    }

    if (store) {
      std::size_t sent = 0;
      const int kill_after_blobs = kill_after("VESTIBULE_TEST_MIGRATE_DATA_KILL_AFTER_BLOBS");
      for (const auto& b : blobs) {
        auto there = store->client().head_object(blob::s3::S3BlobStore::key_of(b.sha256));
        if (!there) {
          stop(1, there.error().message + "; run the same command again to resume");
        }
        if (there.value() && there.value()->size == b.size) {
          continue;
        }
        upload(*store, b);
        if (++sent == static_cast<std::size_t>(kill_after_blobs)) {
          std::raise(SIGKILL);
        }
      }
      err << "blobs: " << sent << " sent, " << blobs.size() - sent << " already in the bucket\n";
    }
  }

  // Verification: rows per table, then every blob read back.
  const auto present = target_tables(*pg);
  for (const auto& t : tables) {
    if (present.count(t.name) == 0) {
      stop(1, "verification failed: table " + t.name + " is missing from the target");
    }
    const auto there = count_rows(*pg, t.name);
    if (there != t.rows) {
      stop(1, "verification failed: table " + t.name + " has " + std::to_string(t.rows) +
                  " rows in " + dir.string() + " and " + std::to_string(there) + " in the target");
    }
  }
  std::int64_t bytes = 0;
  for (const auto& b : blobs) {
    if (auto problem = check_blob(store.get(), b)) {
      stop(1, "verification failed: " + *problem);
    }
    bytes += b.size;
  }

  if (!options.verify_only) {
    // The key file before the progress goes: a run cut short in between resumes (a file with
    // these keys is accepted), where one after it would find a finished, non-empty target.
    if (!options.key_file.empty() && !fs::exists(options.key_file, ec)) {
      Config from = config;
      from.server.key_file.clear();
      if (auto written = export_keys(from, options.key_file); !written) {
        stop(1, written.error().message);
      }
    }
    query(*pg, "DROP TABLE IF EXISTS " + std::string(kStateTable));
  }

  out << std::left << std::setw(28) << "table" << std::right << std::setw(12) << "rows"
      << "\n";
  for (const auto& t : tables) {
    out << std::left << std::setw(28) << t.name << std::right << std::setw(12) << t.rows << "\n";
  }
  out << std::left << std::setw(28) << "blobs" << std::right << std::setw(12) << blobs.size()
      << "  (" << bytes << " bytes)\n";
  out << "verified: every table has as many rows in the target as in " << dir.string()
      << ", and every blob's SHA-256 read back from "
      << (store ? "the bucket " + config.storage.s3_bucket : dir.string() + "/blobs")
      << " equals its name\n";
  if (!options.verify_only) {
    out << "next:\n";
    if (options.key_file.empty()) {
      out << "  vestibule keys export FILE --data-dir " << dir.string()
          << "   (then set [server] key_file = FILE on every node)\n";
    } else {
      out << "  set [server] key_file = \"" << options.key_file << "\" on every node\n";
    }
    if (store) {
      out << "  set [storage] backend = \"s3\" with the same s3_* keys on every node\n";
    } else {
      out << "  the files stay in " << (dir / "blobs").string() << ": run the node with --data-dir "
          << dir.string() << " (or a copy of its blobs/ folder in its data folder)\n";
    }
    out << "  set [database] url to the target on every node and start `vestibule serve`\n";
  }
  return 0;
}

}  // namespace

int migrate_data(const MigrateDataOptions& options, std::ostream& out, std::ostream& err) {
  try {
    return run(options, out, err);
  } catch (const Stop& s) {
    err << "vestibule: " << s.message << "\n";
    return s.status;
  } catch (const store::postgres::PgError& e) {
    err << "vestibule: the target database failed: " << e.what()
        << "; run the same command again to resume\n";
    return 1;
  }
}

}  // namespace vestibule::app
