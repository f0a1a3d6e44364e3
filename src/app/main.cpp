// vestibule: the server and its command line (serve, migrate, user, report, audit, keys, settings,
// token).
#include "api/external_sharing_report.hpp"
#include "app/admin_cli.hpp"
#include "app/application.hpp"
#include "app/config.hpp"
#include "app/logging.hpp"
#include "app/migrate_data.hpp"
#include "app/token_command.hpp"
#include "util/crypto.hpp"

#include <algorithm>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace {

using vestibule::app::Application;
using vestibule::app::Config;
using vestibule::app::ConfigSources;

struct CommonOptions {
  std::string config_file;
  std::string data_dir;
  std::vector<std::string> settings;  // section.key=value

  void add_to(CLI::App* command) {
    command->add_option("--config", config_file, "TOML configuration file");
    command->add_option("--data-dir", data_dir, "data folder (database, files) [server.data_dir]");
    command->add_option("--set", settings, "override a setting, as section.key=value (repeatable)");
  }
};

int fail_with(const std::string& message) {
  std::cerr << "vestibule: " << message << "\n";
  return 2;
}

// An error naming an input field names the option it came from.
int fail_with(const vestibule::Error& error) {
  if (error.field.empty()) {
    return fail_with(error.message);
  }
  std::string option = "--" + error.field;
  std::replace(option.begin(), option.end(), '_', '-');
  return fail_with(option + ": " + error.message);
}

vestibule::Result<Config> load(const CommonOptions& common,
                               std::vector<std::pair<std::string, std::string>> extra) {
  ConfigSources sources;
  if (!common.config_file.empty()) {
    sources.file = common.config_file;
  }
  sources.environment = vestibule::app::process_environment();
  for (const auto& s : common.settings) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) {
      return vestibule::fail(vestibule::Errc::kInvalidArgument,
                             "--set " + s + ": write it as section.key=value");
    }
    sources.flags.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  if (!common.data_dir.empty()) {
    sources.flags.emplace_back("server.data_dir", common.data_dir);
  }
  for (auto& e : extra) {
    sources.flags.push_back(std::move(e));
  }
  return vestibule::app::load_config(sources);
}

vestibule::Result<std::unique_ptr<Application>> open_app(
    const CommonOptions& common, std::vector<std::pair<std::string, std::string>> extra = {},
    bool test_clock = false, bool quiet = true) {
  VST_TRY(config, load(common, std::move(extra)));
  vestibule::app::setup_logging(quiet ? "warn" : config.log.level, config.log.format);
  return Application::open(std::move(config), test_clock);
}

}  // namespace

int main(int argc, char** argv) {
  // Everything the server writes — the database and its WAL, blobs, the key, mail — is for this
  // user alone: folders 0700, files 0600.
  ::umask(077);
  CLI::App cli{"Vestibule: secure external file sharing for an organization"};
  cli.require_subcommand(1);

  std::string keys_help = "Settings (TOML [section] key, env VESTIBULE_<SECTION>__<KEY>):";
  for (const auto& key : vestibule::app::config_keys()) {
    keys_help += "\n  " + key;
  }

  CommonOptions common;
  auto* serve = cli.add_subcommand("serve", "run the HTTP server");
  serve->footer(keys_help);
  common.add_to(serve);
  std::string listen;
  std::string admin_email;
  std::string admin_password;
  bool test_clock = false;
  serve->add_option("--listen", listen,
                    "HOST:PORT to listen on (port 0 picks one) [server.listen]");
  serve->add_option("--admin-email", admin_email,
                    "email of the admin created on first start [bootstrap.admin_email]");
  serve->add_option("--admin-password", admin_password,
                    "password of that admin; generated and printed once when absent "
                    "[bootstrap.admin_password]");
  serve->add_flag(
      "--test-clock", test_clock,
      "time moves only through POST /api/v1/dev/clock (for tests; never in production)");

  auto* migrate = cli.add_subcommand("migrate", "create or upgrade the database schema");
  common.add_to(migrate);

  auto* user = cli.add_subcommand("user", "manage member accounts");
  user->require_subcommand(1);
  std::string email;
  std::string password;
  std::string display_name;
  bool admin = false;
  auto* user_add = user->add_subcommand("add", "add a member");
  common.add_to(user_add);
  user_add->add_option("--email", email, "their email address")->required();
  user_add->add_option("--password", password, "their password (at least 8 characters)")
      ->required();
  user_add->add_option("--display-name", display_name, "the name others see");
  user_add->add_flag("--admin", admin, "make them an admin");
  auto* user_list = user->add_subcommand("list", "list members");
  common.add_to(user_list);
  std::string user_format = "table";
  user_list->add_option("--format", user_format, "table (the default), json or csv");
  auto* user_disable = user->add_subcommand("disable", "disable a member and end their sessions");
  common.add_to(user_disable);
  user_disable->add_option("--email", email, "their email address")->required();
  auto* user_enable = user->add_subcommand("enable", "enable a disabled member");
  common.add_to(user_enable);
  user_enable->add_option("--email", email, "their email address")->required();
  auto* user_reset = user->add_subcommand(
      "reset", "set a new password (generated and printed when --password is absent)");
  common.add_to(user_reset);
  user_reset->add_option("--email", email, "their email address")->required();
  user_reset->add_option("--password", password, "the new password");

  auto* report = cli.add_subcommand("report", "reports for admins");
  report->require_subcommand(1);
  auto* report_external = report->add_subcommand(
      "external-sharing",
      "every way an item is reachable from outside: anyone links and each external recipient of "
      "a specific link (the rows of GET /api/v1/admin/reports/external-sharing), to stdout");
  common.add_to(report_external);
  std::map<std::string, std::string, std::less<>> report_options;
  report_external->add_option("--format", report_options["format"],
                              "csv (the default), json or table");
  report_external->add_option("--owner", report_options["owner"],
                              "only links created by the member with this email");
  report_external->add_option("--domain", report_options["domain"],
                              "only recipients at this domain or below it");
  report_external->add_option("--kind", report_options["kind"], "anyone or specific");
  report_external->add_option("--expires-before", report_options["expires_before"],
                              "only rows whose access ends before this RFC 3339 time");

  auto* report_pending = report->add_subcommand(
      "pending", "addresses invited to something that have not proved themselves with a code");
  common.add_to(report_pending);
  std::string report_format = "table";
  report_pending->add_option("--format", report_format, "table (the default), json or csv");
  auto* report_address = report->add_subcommand(
      "address", "every item one address can open: through which link, role and expiry");
  common.add_to(report_address);
  std::string report_addr;
  report_address->add_option("address", report_addr, "the address (or one of its aliases)")
      ->required();
  report_address->add_option("--format", report_format, "table (the default), json or csv");

  auto* audit = cli.add_subcommand("audit", "the audit log: verify its chain, read it, prune it");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "check the whole chain; exit 0 when intact, 1 naming the first bad entry");
  common.add_to(audit_verify);
  auto* audit_head = audit->add_subcommand(
      "head", "print the newest entry's id and hash, to keep somewhere the server cannot write");
  common.add_to(audit_head);
  auto* audit_list = audit->add_subcommand("list", "list entries, newest first");
  common.add_to(audit_list);
  std::map<std::string, std::string, std::less<>> audit_options;
  for (const char* name : {"event", "actor", "target", "since", "until", "limit", "format"}) {
    audit_list->add_option(std::string("--") + name, audit_options[name],
                           std::string(name) == "format" ? "table (the default), json or csv"
                           : std::string(name) == "event"
                               ? "an event name, or a prefix ending in a dot (link.)"
                           : std::string(name) == "actor"  ? "an address or an id"
                           : std::string(name) == "target" ? "a target (link:12) or an address"
                           : std::string(name) == "limit"  ? "at most this many (default 100)"
                                                           : "an RFC 3339 time");
  }
  auto* audit_prune = audit->add_subcommand(
      "prune", "remove entries older than --before, leaving a checkpoint so the rest verifies");
  common.add_to(audit_prune);
  std::string prune_before;
  audit_prune->add_option("--before", prune_before, "an RFC 3339 time")->required();

  auto* keys = cli.add_subcommand("keys", "the server's secret keys");
  keys->require_subcommand(1);
  auto* keys_export = keys->add_subcommand(
      "export", "write the server and audit keys into one file, for [server] key_file");
  std::string keys_file;
  keys_export->add_option("file", keys_file, "the file to create (never overwritten)")->required();
  common.add_to(keys_export);

  auto* settings = cli.add_subcommand("settings", "the organization's sharing policy");
  settings->require_subcommand(1);
  auto* settings_get = settings->add_subcommand("get", "print every setting, or one");
  common.add_to(settings_get);
  std::string setting_key;
  std::string setting_value;
  settings_get->add_option("key", setting_key, "a setting (snake_case, as in the API)");
  std::string settings_format = "json";
  settings_get->add_option("--format", settings_format,
                           "json (the default), table or csv; for every setting");
  auto* settings_set = settings->add_subcommand("set", "change one setting");
  common.add_to(settings_set);
  settings_set->add_option("key", setting_key, "a setting (snake_case, as in the API)")->required();
  settings_set->add_option("value", setting_value, "its value: JSON (true, 5, [\"a.org\"]) or text")
      ->required();

  auto* migrate_data = cli.add_subcommand(
      "migrate-data",
      "copy a single-node installation (its database and files) into PostgreSQL and, with "
      "--to-storage s3, an S3 bucket; verified, resumable; exit 0 when every row count and blob "
      "hash matches, 1 naming the first mismatch, 2 for bad input (nothing written)");
  std::string from_data_dir;
  std::string to_database;
  std::string to_storage;
  std::string md_config;
  std::string md_key_file;
  bool md_verify_only = false;
  std::map<std::string, std::string, std::less<>> s3_options;
  std::vector<std::string> md_settings;
  migrate_data->add_option("--from-data-dir", from_data_dir,
                           "the data folder of the single-node installation (read only)");
  migrate_data->add_option("--to-database", to_database,
                           "the cluster's PostgreSQL URL, postgres://user:password@host/db "
                           "[database.url]");
  migrate_data->add_option("--to-storage", to_storage,
                           "local (the files stay in the data folder) or s3 [storage.backend]");
  for (const char* name : {"endpoint", "bucket", "region", "access-key", "secret-key"}) {
    std::string key = std::string("storage.s3_") + name;
    std::replace(key.begin(), key.end(), '-', '_');
    migrate_data->add_option(std::string("--s3-") + name, s3_options[name], "[" + key + "]");
  }
  migrate_data->add_option("--config", md_config,
                           "the nodes' TOML configuration, for [database] and [storage] keys "
                           "not given as options");
  migrate_data->add_option("--set", md_settings,
                           "override a setting, as section.key=value (repeatable)");
  migrate_data->add_option("--key-file", md_key_file,
                           "write the server and audit keys there, for [server] key_file");
  migrate_data->add_flag("--verify-only", md_verify_only,
                         "compare the source with the target and write nothing");

  const vestibule::app::TokenCommand token(cli, [&common](CLI::App* c) { common.add_to(c); });

  CLI11_PARSE(cli, argc, argv);

  try {
    if (serve->parsed()) {
      std::vector<std::pair<std::string, std::string>> extra;
      if (!listen.empty()) {
        extra.emplace_back("server.listen", listen);
      }
      if (!admin_email.empty()) {
        extra.emplace_back("bootstrap.admin_email", admin_email);
      }
      if (!admin_password.empty()) {
        extra.emplace_back("bootstrap.admin_password", admin_password);
      }
      auto app = open_app(common, std::move(extra), test_clock, false);
      if (!app) {
        return fail_with(app.error().message);
      }
      return app.value()->serve();
    }
    if (migrate->parsed()) {
      // Not quiet: each schema step is logged as it is applied, so a long upgrade shows progress.
      auto app = open_app(common, {}, false, false);
      if (!app) {
        return fail_with(app.error().message);
      }
      auto version = app.value()->database().schema_version();
      std::cout << "database schema at version " << version.value() << "\n";
      return 0;
    }
    if (migrate_data->parsed()) {
      vestibule::app::setup_logging("warn", "text");
      if (from_data_dir.empty()) {
        return fail_with(
            "--from-data-dir: required, the data folder of the single-node installation");
      }
      vestibule::app::ConfigSources sources;
      if (!md_config.empty()) {
        sources.file = md_config;
      }
      sources.environment = vestibule::app::process_environment();
      for (const auto& s : md_settings) {
        const auto eq = s.find('=');
        if (eq == std::string::npos) {
          return fail_with("--set " + s + ": write it as section.key=value");
        }
        sources.flags.emplace_back(s.substr(0, eq), s.substr(eq + 1));
      }
      // The source is the data folder named here, never one from the nodes' configuration.
      sources.flags.emplace_back("server.data_dir", from_data_dir);
      if (!to_database.empty()) {
        sources.flags.emplace_back("database.url", to_database);
      }
      if (!to_storage.empty()) {
        if (to_storage != "local" && to_storage != "s3") {
          return fail_with("--to-storage: local or s3, not " + to_storage);
        }
        sources.flags.emplace_back("storage.backend", to_storage);
      }
      for (const auto& [name, value] : s3_options) {
        if (!value.empty()) {
          std::string key = "storage.s3_" + name;
          std::replace(key.begin(), key.end(), '-', '_');
          sources.flags.emplace_back(key, value);
        }
      }
      auto config = vestibule::app::load_config(sources);
      if (!config) {
        const bool s3_key = config.error().message.find("s3_") != std::string::npos;
        return fail_with(config.error().message +
                         (s3_key ? " (or give it here as --s3-endpoint, --s3-bucket, "
                                   "--s3-access-key, --s3-secret-key)"
                                 : ""));
      }
      vestibule::app::MigrateDataOptions options{std::move(config).value(), md_key_file,
                                                 md_verify_only};
      return vestibule::app::migrate_data(options, std::cout, std::cerr);
    }
    if (keys_export->parsed()) {
      auto config = load(common, {});
      if (!config) {
        return fail_with(config.error().message);
      }
      if (auto done = vestibule::app::export_keys(config.value(), keys_file); !done) {
        return fail_with(done.error().message);
      }
      std::cout << "wrote the server and audit keys to " << keys_file
                << "; set [server] key_file to it on every node\n";
      return 0;
    }
    if (report_external->parsed()) {
      if (report_options["format"].empty()) {
        report_options["format"] = "csv";
      }
      // A table for people reads the same rows as the json the API serves.
      const std::string& format = report_options["format"];
      if (format != "csv" && format != "json" && format != "table") {
        return fail_with("--format: csv (the default), json or table");
      }
      const bool table = format == "table";
      if (table) {
        report_options["format"] = "json";
      }
      const auto request = vestibule::api::read_report_request(
          [&report_options](std::string_view name) -> std::optional<std::string> {
            const auto it = report_options.find(name);
            return it != report_options.end() ? std::optional(it->second) : std::nullopt;
          });
      if (!request) {
        return fail_with(request.error());
      }
      auto app = open_app(common);
      if (!app) {
        return fail_with(app.error().message);
      }
      auto reading = app.value()->sharing().external_sharing_for_operator(request.value().filter);
      if (!reading) {
        return fail_with(reading.error());
      }
      if (table) {
        return vestibule::app::report_external_table(reading.value());
      }
      const auto body =
          vestibule::api::report_body(std::move(reading).value(), request.value().format);
      for (;;) {
        auto piece = body();
        if (!piece) {
          std::cout.flush();
          fail_with("the report stopped part-way: " + piece.error().message);
          return 1;
        }
        if (!piece.value()) {
          break;
        }
        std::cout << *piece.value();
      }
      std::cout.flush();
      return std::cout ? 0 : 1;
    }
    auto app = open_app(common);
    if (!app) {
      return fail_with(app.error().message);
    }
    if (report_pending->parsed()) {
      return vestibule::app::report_pending(*app.value(), report_format);
    }
    if (report_address->parsed()) {
      return vestibule::app::report_address(*app.value(), report_addr, report_format);
    }
    if (audit_verify->parsed()) {
      return vestibule::app::audit_verify(*app.value());
    }
    if (audit_head->parsed()) {
      return vestibule::app::audit_head(*app.value());
    }
    if (audit_list->parsed()) {
      return vestibule::app::audit_list(*app.value(), audit_options);
    }
    if (audit_prune->parsed()) {
      return vestibule::app::audit_prune(*app.value(), prune_before);
    }
    if (settings_get->parsed()) {
      return vestibule::app::settings_get(*app.value(), setting_key, settings_format);
    }
    if (settings_set->parsed()) {
      return vestibule::app::settings_set(*app.value(), setting_key, setting_value);
    }
    if (token.parsed()) {
      return token.run(*app.value());
    }
    auto& members = app.value()->members();
    auto& audit_log = app.value()->audit();
    if (user_add->parsed()) {
      auto added = vestibule::app::cli_entry("member.added", "user", email);
      added.details = {{"role", admin ? "admin" : "member"}};
      const auto audited = audit_log.before_change(std::move(added));
      auto created = members.add_user(
          email, password, display_name,
          admin ? vestibule::domain::UserRole::kAdmin : vestibule::domain::UserRole::kUser);
      if (!created) {
        return fail_with(created.error().message);
      }
      std::cout << "added " << created.value().email << " (id " << created.value().id
                << (admin ? ", admin" : "") << ")\n";
      return 0;
    }
    if (user_list->parsed()) {
      auto users = members.list_users();
      if (!users) {
        return fail_with(users.error().message);
      }
      return vestibule::app::user_list(users.value(), user_format);
    }
    auto found = members.find_by_email(email);
    if (!found) {
      return fail_with(found.error().message);
    }
    if (user_disable->parsed() || user_enable->parsed()) {
      const bool disable = user_disable->parsed();
      const auto audited = audit_log.before_change(vestibule::app::cli_entry(
          disable ? "member.disabled" : "member.enabled",
          "user:" + std::to_string(found.value().id), found.value().email));
      if (auto r = members.set_disabled(found.value().id, disable); !r) {
        return fail_with(r.error().message);
      }
      std::cout << (disable ? "disabled " : "enabled ") << found.value().email << "\n";
      return 0;
    }
    if (user_reset->parsed()) {
      const bool generated = password.empty();
      const std::string replacement = generated ? vestibule::util::random_token(15) : password;
      const auto audited = audit_log.before_change(vestibule::app::cli_entry(
          "member.password_reset", "user:" + std::to_string(found.value().id),
          found.value().email));
      if (auto r = members.reset_password(found.value().id, replacement); !r) {
        return fail_with(r.error().message);
      }
      std::cout << "new password set for " << found.value().email
                << (generated ? ": " + replacement : std::string()) << "\n"
                << "their sessions were ended\n";
      return 0;
    }
  } catch (const std::exception& e) {
    return fail_with(e.what());
  }
  return 0;
}
