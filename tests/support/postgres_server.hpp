// PostgresServer: a throw-away PostgreSQL cluster for tests, started by scripts/pg-single-node in
// a fresh temporary folder and stopped (the folder removed) when the object goes away. Each test
// takes a database of its own from it (fresh_database()), so tests never see each other's rows.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

namespace vestibule::testing {

class PostgresServer {
 public:
  // Starts the cluster; throws std::runtime_error with the script's output when it cannot.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The cluster of this test process, started on first use and stopped at process exit: one
  // cluster start (a few seconds) per test binary rather than per test.
  static PostgresServer& shared();

  // A new empty database with a unique name, owned by the role "vestibule"; its
  // postgres://vestibule@127.0.0.1:PORT/NAME URL.
  std::string fresh_database();

  // postgres://vestibule@127.0.0.1:PORT/vestibule (the database where pg_stat_statements is).
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] int port() const { return port_; }
  // The folder holding the cluster (removed by the destructor).
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string url_;
  std::string host_;
  int port_ = 0;
  std::atomic<int> databases_{0};
};

}  // namespace vestibule::testing
