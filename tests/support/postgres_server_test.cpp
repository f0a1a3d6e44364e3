// PostgresServer against the real PostgreSQL that scripts/pg-single-node starts: the databases
// it hands out are usable through libpq, empty, and isolated from each other.
#include "support/postgres_server.hpp"

#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vestibule::testing {
namespace {

namespace fs = std::filesystem;

class Connection {
 public:
  explicit Connection(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      throw std::runtime_error("cannot connect to " + url + ": " + PQerrorMessage(conn_.get()));
    }
  }
  // The first column of the first row as text ("" for SQL NULL); throws on an error.
  std::string scalar(const std::string& sql) {
    const std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()),
                                                          &PQclear);
    const auto status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      throw std::runtime_error(sql + ": " + PQerrorMessage(conn_.get()));
    }
    if (status == PGRES_COMMAND_OK || PQntuples(r.get()) == 0) {
      return "";
    }
    return PQgetvalue(r.get(), 0, 0);
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// Tables, views and sequences outside PostgreSQL's own schemas.
const char* const kUserRelations =
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE "
    "'pg_toast%'";

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST(PostgresServer, FreshDatabasesAreDistinctEmptyAndOwnedByVestibule) {
  auto& server = PostgresServer::shared();
  const std::string a = server.fresh_database();
  const std::string b = server.fresh_database();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("postgres://vestibule@127.0.0.1:" + std::to_string(server.port()) + "/", 0), 0u)
      << a;

  Connection ca(a);
  Connection cb(b);
  EXPECT_EQ(ca.scalar("SELECT 1"), "1");
  EXPECT_NE(ca.scalar("SELECT current_database()"), cb.scalar("SELECT current_database()"));
  EXPECT_EQ(ca.scalar("SELECT current_user"), "vestibule");
  EXPECT_EQ(ca.scalar("SELECT pg_get_userbyid(datdba) FROM pg_database "
                      "WHERE datname = current_database()"),
            "vestibule");
  EXPECT_EQ(ca.scalar("SELECT pg_encoding_to_char(encoding) FROM pg_database "
                      "WHERE datname = current_database()"),
            "UTF8");
  EXPECT_EQ(ca.scalar(kUserRelations), "0");
  EXPECT_EQ(cb.scalar(kUserRelations), "0");
}

TEST(PostgresServer, ATableInOneDatabaseIsAbsentFromAnother) {
  auto& server = PostgresServer::shared();
  Connection ca(server.fresh_database());
  Connection cb(server.fresh_database());
  ca.scalar("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)");
  ca.scalar("INSERT INTO items VALUES (1, 'report.pdf')");
  EXPECT_EQ(ca.scalar("SELECT name FROM items WHERE id = 1"), "report.pdf");
  EXPECT_EQ(ca.scalar("SELECT to_regclass('public.items') IS NOT NULL"), "t");
  EXPECT_EQ(cb.scalar("SELECT to_regclass('public.items') IS NULL"), "t");
  EXPECT_EQ(cb.scalar(kUserRelations), "0");
  EXPECT_THROW(cb.scalar("SELECT count(*) FROM items"), std::runtime_error);
}

TEST(PostgresServer, SharedIsOneTestClusterWithStatementCounts) {
  auto& server = PostgresServer::shared();
  EXPECT_EQ(&server, &PostgresServer::shared());
  Connection c(server.url());
  EXPECT_EQ(c.scalar("SELECT current_database()"), "vestibule");
  EXPECT_EQ(c.scalar("SHOW fsync"), "off");
  EXPECT_EQ(c.scalar("SHOW synchronous_commit"), "off");
  EXPECT_EQ(c.scalar("SHOW full_page_writes"), "off");
  EXPECT_EQ(c.scalar("SHOW max_connections"), "200");
  EXPECT_EQ(c.scalar("SHOW listen_addresses"), "127.0.0.1");
  // A statement shape of its own: pg_stat_statements counts by shape (constants and aliases do
  // not count), so "SELECT 42 AS x" would be counted as any "SELECT $1".
  for (int i = 0; i < 3; ++i) {
    c.scalar("SELECT 7 * 6 * 5 * " + std::to_string(i));
  }
  EXPECT_EQ(
      c.scalar("SELECT calls FROM pg_stat_statements WHERE query = 'SELECT $1 * $2 * $3 * $4'"),
      "3");
}

TEST(PostgresServer, DestructorStopsItsClusterAndRemovesItsFolder) {
  fs::path dir;
  int port = 0;
  {
    PostgresServer own;
    dir = own.dir();
    port = own.port();
    ASSERT_NE(port, PostgresServer::shared().port());
    EXPECT_EQ(Connection(own.fresh_database()).scalar("SELECT 1"), "1");
    EXPECT_TRUE(accepts_connections(port));
  }
  EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_FALSE(accepts_connections(port));
  // The shared cluster is not touched.
  EXPECT_EQ(Connection(PostgresServer::shared().fresh_database()).scalar("SELECT 1"), "1");
}

// A test process that ends without running the destructor (killed, crashed) leaves no cluster.
TEST(PostgresServer, AClusterWhoseProcessEndsWithoutItsDestructorStopsByItself) {
  std::array<int, 2> fds{};
  // Close-on-exec: the cluster and its watcher, started from the child, must not hold the pipe.
  ASSERT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    std::string report;
    try {
      auto* server = new PostgresServer();  // never deleted: the process ends without it
      report = std::to_string(server->port()) + " " + server->dir().string();
    } catch (const std::exception& e) {
      report = std::string("error ") + e.what();
    }
    (void)!::write(fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  std::array<char, 4096> buffer{};
  for (ssize_t n; (n = ::read(fds[0], buffer.data(), buffer.size())) > 0;) {
    report.append(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto space = report.find(' ');
  ASSERT_NE(space, std::string::npos) << report;
  ASSERT_NE(report.substr(0, space), "error") << report;
  const int port = std::stoi(report.substr(0, space));
  const fs::path dir = report.substr(space + 1);

  // The watcher polls once a second: bounded polling for the outcome.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((accepts_connections(port) || fs::exists(dir / "c")) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(accepts_connections(port));
  EXPECT_FALSE(fs::exists(dir / "c")) << dir;
  // The temporary folder around it is the process's own to remove; this test does it.
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace vestibule::testing
