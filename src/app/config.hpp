// Config: every setting of the server, parsed once into typed values and validated at start-up.
// Sources, later ones winning: defaults, the TOML file (--config), environment variables
// VESTIBULE_<SECTION>__<KEY>, then command-line flags. An unknown key or a bad value is refused
// with the key, the value and what is allowed.
#pragma once

#include "util/result.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::app {

struct Config {
  struct Server {
    std::string listen = "127.0.0.1:8080";
    std::string public_url;  // empty: http://<the bound address>
    std::string data_dir = "data";
    unsigned threads = 0;  // 0: one per core
    // Empty: the server and audit keys are files of the data folder (keys/), made on first start.
    // Otherwise the one file holding both, shared by every node of a cluster (`keys export`).
    std::string key_file;
  } server;
  struct Http {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_header_fields = 100;
    std::chrono::seconds header_timeout{10};
    std::chrono::seconds idle_timeout{60};
    std::chrono::seconds io_timeout{30};
    std::chrono::seconds shutdown_grace{30};
    std::size_t max_connections = 10000;
    std::size_t max_connections_per_client = 256;
    std::size_t min_body_rate = 1024;  // bytes per second, after 10 s; 0: no minimum
    std::string access_log = "text";   // text | json | off
    std::size_t max_json_body = 1024 * 1024;
    std::string web_dir;  // empty: the web bundle embedded in the binary; else serve this folder
    // Reverse proxies (addresses, CIDR networks) whose X-Forwarded-For names the client.
    std::string trusted_proxies;
  } http;
  struct Database {
    // Empty: the embedded SQLite database in the data folder. Otherwise a PostgreSQL connection
    // URI, postgres://user:password@host:port/dbname, shared by every node of a cluster.
    std::string url;
  } database;
  struct Storage {
    std::uint64_t max_upload_bytes = std::uint64_t{10} << 30;
    int keep_versions = 10;
    std::chrono::seconds blob_gc_grace{600};
    // Bytes a space may store unless an admin sets its own quota; 0: no quota.
    std::uint64_t space_quota = std::uint64_t{100} << 30;
    // Uploads are refused while the data folder's disk has less than this free; 0: no floor.
    std::uint64_t min_free_bytes = std::uint64_t{1} << 30;
    // Where file contents live: "local" (the data folder) or "s3" (one bucket of an
    // S3-compatible store, named by the s3_* keys; checked together at load).
    std::string backend = "local";
    std::string s3_endpoint;  // http(s)://host[:port], e.g. http://127.0.0.1:7480
    std::string s3_bucket;
    std::string s3_region = "us-east-1";  // the SigV4 signing region
    std::string s3_access_key;
    std::string s3_secret_key;
    bool s3_path_style = true;  // http://host/bucket/key rather than http://bucket.host/key
  } storage;
  struct Security {
    std::chrono::seconds session_lifetime{30 * 86400};
    std::chrono::seconds session_idle{7 * 86400};
    std::string password_hash_cost = "interactive";  // interactive | moderate | sensitive
  } security;
  struct Log {
    std::string level = "info";   // trace | debug | info | warn | error
    std::string format = "text";  // text | json
  } log;
  struct Smtp {
    std::string host;  // empty: development mailbox
    int port = 587;
    std::string tls = "starttls";  // none | starttls | tls
    std::string username;
    std::string password;
    std::string from;
    std::string ca_file;  // certificates to trust for the relay; empty: the system's
    // Without a relay, mail goes to the development mailbox, which hands out every code and link
    // token: "auto" keeps it to a plain development instance (a loopback listen address and no
    // https public URL), "on" allows it anywhere, "off" never.
    std::string dev_mailbox = "auto";  // auto | on | off
  } smtp;
  struct Audit {
    // Entries older than this are pruned (a checkpoint keeps the rest verifiable); 0: kept.
    std::chrono::seconds retention{0};
    // Client addresses and user agents in entries older than this are removed; 0: kept.
    std::chrono::seconds client_address_retention{365 * 86400};
  } audit;
  struct Bootstrap {
    std::string admin_email;
    std::string admin_password;
  } bootstrap;

  // "host", port of server.listen.
  [[nodiscard]] std::string listen_host() const;
  [[nodiscard]] std::uint16_t listen_port() const;
};

struct ConfigSources {
  std::optional<std::string> file;                         // --config
  std::map<std::string, std::string> environment;          // the process environment
  std::vector<std::pair<std::string, std::string>> flags;  // "section.key" -> value, in order
};

// Builds the configuration; the error names the source, the key, the value and what is allowed.
Result<Config> load_config(const ConfigSources& sources);

// Every key as "section.key", for --help and the docs.
std::vector<std::string> config_keys();

std::map<std::string, std::string> process_environment();

}  // namespace vestibule::app
