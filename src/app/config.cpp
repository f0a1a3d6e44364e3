#include "app/config.hpp"

#include "util/duration.hpp"
#include "util/net.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

#include <toml++/toml.h>

extern char** environ;

namespace vestibule::app {

namespace {

// Applies a textual value to the config, or says what is allowed.
using Setter = std::function<Result<void>(Config&, const std::string&)>;

struct Key {
  std::string section;
  std::string name;
  Setter set;
};

Error refused(const std::string& allowed) { return make_error(Errc::kInvalidArgument, allowed); }

template <class T>
Setter integer(T Config::*section_ptr, auto member, long long min, long long max) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    long long n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size() || n < min || n > max) {
      return fail(
          refused("a whole number from " + std::to_string(min) + " to " + std::to_string(max)));
    }
    using Target = std::remove_reference_t<decltype((c.*section_ptr).*member)>;
    (c.*section_ptr).*member = static_cast<Target>(n);
    return outcome::success();
  };
}

// Byte sizes: a number of bytes, or a number with KiB, MiB, GiB or TiB.
template <class T>
Setter size(T Config::*section_ptr, auto member, std::uint64_t min) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    const auto bad = [&] {
      return fail(refused("a size in bytes of at least " + std::to_string(min) +
                          ", like 1048576, 512KiB, 100MiB or 10GiB"));
    };
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{}) {
      return bad();
    }
    const std::string_view unit(end, static_cast<std::size_t>(v.data() + v.size() - end));
    std::uint64_t scale = 1;
    if (unit == "KiB") {
      scale = 1ULL << 10;
    } else if (unit == "MiB") {
      scale = 1ULL << 20;
    } else if (unit == "GiB") {
      scale = 1ULL << 30;
    } else if (unit == "TiB") {
      scale = 1ULL << 40;
    } else if (!unit.empty()) {
      return bad();
    }
    if (n > std::numeric_limits<std::uint64_t>::max() / scale || n * scale < min) {
      return bad();
    }
    using Target = std::remove_reference_t<decltype((c.*section_ptr).*member)>;
    (c.*section_ptr).*member = static_cast<Target>(n * scale);
    return outcome::success();
  };
}

template <class T>
Setter duration(T Config::*section_ptr, std::chrono::seconds T::*member, std::chrono::seconds min) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    auto d = util::parse_duration(v);
    if (!d || d.value() < min) {
      return fail(refused("a duration of at least " + util::format_duration(min) +
                          ", written like 90s, 10m, 12h or 30d"));
    }
    (c.*section_ptr).*member = d.value();
    return outcome::success();
  };
}

template <class T>
Setter text(T Config::*section_ptr, std::string T::*member) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    (c.*section_ptr).*member = v;
    return outcome::success();
  };
}

template <class T>
Setter boolean(T Config::*section_ptr, bool T::*member) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    if (v != "true" && v != "false") {
      return fail(refused("true or false"));
    }
    (c.*section_ptr).*member = v == "true";
    return outcome::success();
  };
}

// Addresses and CIDR networks, as util::parse_networks reads them.
template <class T>
Setter networks(T Config::*section_ptr, std::string T::*member) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    if (auto parsed = util::parse_networks(v); !parsed) {
      return fail(
          refused("IP addresses or networks separated by commas, like \"10.0.0.0/8, "
                  "192.168.1.7\" (" +
                  parsed.error().message + ")"));
    }
    (c.*section_ptr).*member = v;
    return outcome::success();
  };
}

template <class T>
Setter choice(T Config::*section_ptr, std::string T::*member, std::vector<std::string> allowed) {
  return [=](Config& c, const std::string& v) -> Result<void> {
    for (const auto& a : allowed) {
      if (v == a) {
        (c.*section_ptr).*member = v;
        return outcome::success();
      }
    }
    std::string list;
    for (const auto& a : allowed) {
      list += (list.empty() ? "" : ", ") + a;
    }
    return fail(refused("one of " + list));
  };
}

// White space or a control character: never part of a host name or a URL, and in a URL that
// mail and pages repeat, the start of an injected header or a broken link.
bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7F;
  });
}

Setter listen_address() {
  return [](Config& c, const std::string& v) -> Result<void> {
    if (has_space_or_control(v)) {
      return fail(refused("HOST:PORT without spaces or control characters, like 127.0.0.1:8080"));
    }
    const auto colon = v.rfind(':');
    int port = -1;
    if (colon != std::string::npos && colon > 0) {
      const auto [end, ec] = std::from_chars(v.data() + colon + 1, v.data() + v.size(), port);
      if (ec != std::errc{} || end != v.data() + v.size()) {
        port = -1;
      }
    }
    if (port < 0 || port > 65535) {
      return fail(
          refused("HOST:PORT with a port from 0 to 65535, like 127.0.0.1:8080 "
                  "(port 0 picks a free one)"));
    }
    c.server.listen = v;
    return outcome::success();
  };
}

// The host of an http(s) URL: what lies between "://" and the path, less user info and port.
std::string_view url_host(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  authority.remove_prefix(authority.rfind('@') + 1);  // npos + 1 == 0: no user info
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    authority = authority.substr(0, colon);
  }
  return authority;
}

Setter public_url() {
  return [](Config& c, const std::string& v) -> Result<void> {
    if ((!v.empty() && !v.starts_with("http://") && !v.starts_with("https://")) ||
        (!v.empty() && url_host(v).empty()) || has_space_or_control(v)) {
      return fail(
          refused("an http:// or https:// URL with a host and without spaces or control "
                  "characters, like https://files.example.org"));
    }
    c.server.public_url = v;
    while (!c.server.public_url.empty() && c.server.public_url.back() == '/') {
      c.server.public_url.pop_back();
    }
    return outcome::success();
  };
}

const std::vector<Key>& keys() {
  using C = Config;
  static const std::vector<Key> kKeys = {
      {"server", "listen", listen_address()},
      {"server", "public_url", public_url()},
      {"server", "data_dir", text(&C::server, &C::Server::data_dir)},
      {"server", "threads", integer(&C::server, &C::Server::threads, 0, 256)},
      {"server", "key_file", text(&C::server, &C::Server::key_file)},
      {"http", "max_header_bytes", size(&C::http, &C::Http::max_header_bytes, 1024)},
      {"http", "max_header_fields", integer(&C::http, &C::Http::max_header_fields, 8, 10000)},
      {"http", "header_timeout",
       duration(&C::http, &C::Http::header_timeout, std::chrono::seconds{1})},
      {"http", "idle_timeout", duration(&C::http, &C::Http::idle_timeout, std::chrono::seconds{1})},
      {"http", "io_timeout", duration(&C::http, &C::Http::io_timeout, std::chrono::seconds{1})},
      {"http", "shutdown_grace",
       duration(&C::http, &C::Http::shutdown_grace, std::chrono::seconds{0})},
      {"http", "max_connections", integer(&C::http, &C::Http::max_connections, 1, 1000000)},
      {"http", "max_connections_per_client",
       integer(&C::http, &C::Http::max_connections_per_client, 1, 1000000)},
      {"http", "min_body_rate", integer(&C::http, &C::Http::min_body_rate, 0, 1LL << 30)},
      {"http", "access_log", choice(&C::http, &C::Http::access_log, {"text", "json", "off"})},
      {"http", "max_json_body", size(&C::http, &C::Http::max_json_body, 1024)},
      {"http", "web_dir", text(&C::http, &C::Http::web_dir)},
      {"http", "trusted_proxies", networks(&C::http, &C::Http::trusted_proxies)},
      {"database", "url", text(&C::database, &C::Database::url)},
      {"storage", "max_upload_bytes", size(&C::storage, &C::Storage::max_upload_bytes, 1)},
      {"storage", "keep_versions", integer(&C::storage, &C::Storage::keep_versions, 1, 1000)},
      {"storage", "blob_gc_grace",
       duration(&C::storage, &C::Storage::blob_gc_grace, std::chrono::seconds{0})},
      {"storage", "space_quota", size(&C::storage, &C::Storage::space_quota, 0)},
      {"storage", "min_free_bytes", size(&C::storage, &C::Storage::min_free_bytes, 0)},
      {"storage", "backend", choice(&C::storage, &C::Storage::backend, {"local", "s3"})},
      {"storage", "s3_endpoint", text(&C::storage, &C::Storage::s3_endpoint)},
      {"storage", "s3_bucket", text(&C::storage, &C::Storage::s3_bucket)},
      {"storage", "s3_region", text(&C::storage, &C::Storage::s3_region)},
      {"storage", "s3_access_key", text(&C::storage, &C::Storage::s3_access_key)},
      {"storage", "s3_secret_key", text(&C::storage, &C::Storage::s3_secret_key)},
      {"storage", "s3_path_style", boolean(&C::storage, &C::Storage::s3_path_style)},
      {"security", "session_lifetime",
       duration(&C::security, &C::Security::session_lifetime, std::chrono::seconds{60})},
      {"security", "session_idle",
       duration(&C::security, &C::Security::session_idle, std::chrono::seconds{60})},
      {"security", "password_hash_cost",
       choice(&C::security, &C::Security::password_hash_cost,
              {"interactive", "moderate", "sensitive"})},
      {"log", "level",
       choice(&C::log, &C::Log::level, {"trace", "debug", "info", "warn", "error"})},
      {"log", "format", choice(&C::log, &C::Log::format, {"text", "json"})},
      {"smtp", "host", text(&C::smtp, &C::Smtp::host)},
      {"smtp", "port", integer(&C::smtp, &C::Smtp::port, 1, 65535)},
      {"smtp", "tls", choice(&C::smtp, &C::Smtp::tls, {"none", "starttls", "tls"})},
      {"smtp", "username", text(&C::smtp, &C::Smtp::username)},
      {"smtp", "password", text(&C::smtp, &C::Smtp::password)},
      {"smtp", "from", text(&C::smtp, &C::Smtp::from)},
      {"smtp", "ca_file", text(&C::smtp, &C::Smtp::ca_file)},
      {"smtp", "dev_mailbox", choice(&C::smtp, &C::Smtp::dev_mailbox, {"auto", "on", "off"})},
      {"audit", "retention", duration(&C::audit, &C::Audit::retention, std::chrono::seconds{0})},
      {"audit", "client_address_retention",
       duration(&C::audit, &C::Audit::client_address_retention, std::chrono::seconds{0})},
      {"bootstrap", "admin_email", text(&C::bootstrap, &C::Bootstrap::admin_email)},
      {"bootstrap", "admin_password", text(&C::bootstrap, &C::Bootstrap::admin_password)},
  };
  return kKeys;
}

// Values never repeated in messages: a database URL carries its password.
bool is_secret(const std::string& name) {
  return name.find("password") != std::string::npos || name.find("secret") != std::string::npos ||
         name == "url";
}

// [database] url: empty, or a PostgreSQL URI with a host. The value is not repeated in the
// message, since it may hold a password.
Result<void> check_database(const Config::Database& d) {
  if (d.url.empty()) {
    return outcome::success();
  }
  const bool scheme = d.url.starts_with("postgres://") || d.url.starts_with("postgresql://");
  if (!scheme || url_host(d.url).empty() || has_space_or_control(d.url)) {
    return fail(Errc::kInvalidArgument,
                "[database] url is not a PostgreSQL URI; expected "
                "postgres://user:password@host:port/dbname (or leave it empty for the embedded "
                "SQLite database in the data folder); set it in the configuration file or as "
                "VESTIBULE_DATABASE__URL");
  }
  return outcome::success();
}

// A bucket name as S3 allows it: 3 to 63 lower-case letters, digits, dots and hyphens, starting
// and ending with a letter or digit.
bool valid_bucket_name(std::string_view name) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return name.size() >= 3 && name.size() <= 63 && alnum(name.front()) && alnum(name.back()) &&
         std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

// The [storage] keys that only make sense together: with backend = "s3", the store's address,
// bucket and credentials must all be there, so a node never starts on a half-named store.
Result<void> check_storage(const Config::Storage& s) {
  if (s.backend != "s3") {
    return outcome::success();
  }
  const auto missing = [](const std::string& key, const std::string& what) {
    std::string variable = "VESTIBULE_STORAGE__" + key;
    for (auto& ch : variable) {
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return fail(Errc::kInvalidArgument, "[storage] backend = \"s3\" needs " + key + ", " + what +
                                            "; set it in the configuration file or as " + variable);
  };
  if (s.s3_endpoint.empty()) {
    return missing("s3_endpoint", "the URL of the S3 store, like http://127.0.0.1:7480");
  }
  if ((!s.s3_endpoint.starts_with("http://") && !s.s3_endpoint.starts_with("https://")) ||
      url_host(s.s3_endpoint).empty() || has_space_or_control(s.s3_endpoint)) {
    return fail(Errc::kInvalidArgument,
                "[storage] s3_endpoint = '" + s.s3_endpoint +
                    "' is not allowed; expected an http:// or https:// URL with a host, like "
                    "http://127.0.0.1:7480 or https://s3.eu-west-1.amazonaws.com");
  }
  if (s.s3_bucket.empty()) {
    return missing("s3_bucket", "the name of the bucket that holds the files, like vestibule");
  }
  if (!valid_bucket_name(s.s3_bucket)) {
    return fail(Errc::kInvalidArgument,
                "[storage] s3_bucket = '" + s.s3_bucket +
                    "' is not allowed; expected a bucket name of 3 to 63 lower-case letters, "
                    "digits, dots and hyphens, starting and ending with a letter or digit");
  }
  if (s.s3_region.empty() || has_space_or_control(s.s3_region)) {
    return fail(Errc::kInvalidArgument,
                "[storage] s3_region = '" + s.s3_region +
                    "' is not allowed; expected the store's region without spaces, like "
                    "us-east-1 (any name for a store that has no regions, as Ceph's)");
  }
  if (s.s3_access_key.empty()) {
    return missing("s3_access_key", "the access key the store gave for this server");
  }
  if (s.s3_secret_key.empty()) {
    return missing("s3_secret_key", "the secret key that goes with s3_access_key");
  }
  return outcome::success();
}

Result<void> apply(Config& config, const std::string& source, const std::string& section,
                   const std::string& name, const std::string& value) {
  for (const auto& key : keys()) {
    if (key.section == section && key.name == name) {
      auto r = key.set(config, value);
      if (!r) {
        return fail(Errc::kInvalidArgument,
                    source + ": [" + section + "] " + name + " = '" +
                        (is_secret(name) ? std::string("(hidden)") : value) +
                        "' is not allowed; expected " + r.error().message);
      }
      return outcome::success();
    }
  }
  return fail(Errc::kInvalidArgument, source + ": unknown setting [" + section + "] " + name +
                                          "; run `vestibule serve --help` for the list of keys");
}

std::string lower(std::string s) {
  for (auto& ch : s) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return s;
}

Result<void> apply_file(Config& config, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return fail(Errc::kInvalidArgument, "configuration file " + path + " is not valid TOML: " +
                                            std::string(e.description()) + " (line " +
                                            std::to_string(e.source().begin.line) + ")");
  }
  for (const auto& [section_key, section_node] : table) {
    const std::string section(section_key.str());
    const auto* section_table = section_node.as_table();
    if (section_table == nullptr) {
      return fail(Errc::kInvalidArgument,
                  path + ": '" + section + "' must be a section like [" + section + "]");
    }
    for (const auto& [key, node] : *section_table) {
      std::string value;
      if (const auto* s = node.as_string()) {
        value = s->get();
      } else if (const auto* i = node.as_integer()) {
        value = std::to_string(i->get());
      } else if (const auto* b = node.as_boolean()) {
        value = b->get() ? "true" : "false";
      } else if (const auto* a = node.as_array();
                 a != nullptr && a->is_homogeneous<std::string>()) {
        for (const auto& element : *a) {  // a list setting: its entries joined by commas
          value += (value.empty() ? "" : ",") + element.as_string()->get();
        }
      } else {
        return fail(Errc::kInvalidArgument, path + ": [" + section + "] " + std::string(key.str()) +
                                                " must be a string, a number or a list of strings");
      }
      VST_TRYV(apply(config, path, section, std::string(key.str()), value));
    }
  }
  return outcome::success();
}

}  // namespace

std::string Config::listen_host() const {
  return server.listen.substr(0, server.listen.rfind(':'));
}

std::uint16_t Config::listen_port() const {
  return static_cast<std::uint16_t>(std::stoi(server.listen.substr(server.listen.rfind(':') + 1)));
}

Result<Config> load_config(const ConfigSources& sources) {
  Config config;
  if (sources.file) {
    VST_TRYV(apply_file(config, *sources.file));
  }
  constexpr std::string_view kPrefix = "VESTIBULE_";
  for (const auto& [name, value] : sources.environment) {
    if (!name.starts_with(kPrefix)) {
      continue;
    }
    const auto rest = name.substr(kPrefix.size());
    const auto sep = rest.find("__");
    if (sep == std::string::npos) {
      continue;  // not a setting (VESTIBULE_<SECTION>__<KEY> is the form)
    }
    VST_TRYV(apply(config, "environment variable " + name, lower(rest.substr(0, sep)),
                   lower(rest.substr(sep + 2)), value));
  }
  for (const auto& [key, value] : sources.flags) {
    const auto dot = key.find('.');
    if (dot == std::string::npos) {
      return fail(Errc::kInvalidArgument,
                  "--set " + key + ": write it as section.key=value, like storage.keep_versions=5");
    }
    VST_TRYV(apply(config, "flag --set", key.substr(0, dot), key.substr(dot + 1), value));
  }
  VST_TRYV(check_database(config.database));
  VST_TRYV(check_storage(config.storage));
  if (config.security.session_idle > config.security.session_lifetime) {
    config.security.session_idle = config.security.session_lifetime;
  }
  return config;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> out;
  for (const auto& key : keys()) {
    out.push_back(key.section + "." + key.name);
  }
  return out;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return env;
}

}  // namespace vestibule::app
