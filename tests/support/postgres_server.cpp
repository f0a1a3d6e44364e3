#include "support/postgres_server.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>

#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vestibule::testing {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string script_command(const fs::path& cluster, const std::string& action,
                           const fs::path& log) {
  // Single quotes: the paths are ours (no quote in them), the script's may hold spaces.
  return "'" + std::string(VESTIBULE_PG_SCRIPT) + "' '" + cluster.string() + "'" + action + " >>'" +
         log.string() + "' 2>&1";
}

}  // namespace

PostgresServer::PostgresServer() {
  // Under /tmp and short: the cluster's unix socket path must stay under 108 bytes.
  std::array<char, 32> dir_template{"/tmp/vst-pg-XXXXXX"};
  if (::mkdtemp(dir_template.data()) == nullptr) {
    throw std::runtime_error("PostgresServer: cannot create a folder under /tmp");
  }
  dir_ = dir_template.data();
  // Run as root, the script runs PostgreSQL as the "postgres" user, which must reach the
  // cluster folder inside this one (mkdtemp makes it 0700).
  ::chmod(dir_.c_str(), 0711);
  const fs::path log = dir_ / "start.log";
  // PG_OWNER_PID: a test process killed before its destructor runs leaves no cluster behind.
  const std::string command =
      "PG_OWNER_PID=" + std::to_string(::getpid()) + " " + script_command(dir_ / "c", "", log);
  if (std::system(command.c_str()) != 0) {
    const std::string output = read_file(log);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw std::runtime_error("PostgresServer: " + command + " failed:\n" + output);
  }
  std::map<std::string, std::string> vars;
  std::ifstream env(dir_ / "c" / "pg.env");
  std::string line;
  while (std::getline(env, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) {
      vars[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  url_ = vars["PG_URL"];
  host_ = vars["PG_HOST"];
  port_ = std::atoi(vars["PG_PORT"].c_str());
  if (url_.empty() || host_.empty() || port_ <= 0) {
    throw std::runtime_error("PostgresServer: " + (dir_ / "c" / "pg.env").string() +
                             " lacks PG_URL, PG_HOST or PG_PORT:\n" + read_file(log));
  }
}

PostgresServer::~PostgresServer() {
  const std::string command = script_command(dir_ / "c", " --stop", dir_ / "start.log");
  (void)std::system(command.c_str());
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

std::string PostgresServer::fresh_database() {
  // Unique within the cluster, which only this process uses.
  const std::string name =
      "vestibule_t" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  const std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url_.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("PostgresServer: cannot connect to " + url_ + ": " +
                             PQerrorMessage(conn.get()));
  }
  const std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexec(conn.get(), ("CREATE DATABASE " + name + " OWNER vestibule").c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error("PostgresServer: CREATE DATABASE " + name +
                             " failed: " + PQerrorMessage(conn.get()));
  }
  return "postgres://vestibule@" + host_ + ":" + std::to_string(port_) + "/" + name;
}

}  // namespace vestibule::testing
