// vestibule: the server and its command line (serve, migrate, user, report).
#include "api/external_sharing_report.hpp"
#include "app/application.hpp"
#include "app/config.hpp"
#include "app/logging.hpp"
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
  report_external->add_option("--format", report_options["format"], "csv (the default) or json");
  report_external->add_option("--owner", report_options["owner"],
                              "only links created by the member with this email");
  report_external->add_option("--domain", report_options["domain"],
                              "only recipients at this domain or below it");
  report_external->add_option("--kind", report_options["kind"], "anyone or specific");
  report_external->add_option("--expires-before", report_options["expires_before"],
                              "only rows whose access ends before this RFC 3339 time");

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
    if (report_external->parsed()) {
      if (report_options["format"].empty()) {
        report_options["format"] = "csv";
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
    auto& members = app.value()->members();
    if (user_add->parsed()) {
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
      std::cout << "ID\tEMAIL\tNAME\tROLE\tSTATE\n";
      for (const auto& u : users.value()) {
        std::cout << u.id << "\t" << u.email << "\t" << u.display_name << "\t" << to_string(u.role)
                  << "\t" << (u.disabled ? "disabled" : "active") << "\n";
      }
      return 0;
    }
    auto found = members.find_by_email(email);
    if (!found) {
      return fail_with(found.error().message);
    }
    if (user_disable->parsed() || user_enable->parsed()) {
      const bool disable = user_disable->parsed();
      if (auto r = members.set_disabled(found.value().id, disable); !r) {
        return fail_with(r.error().message);
      }
      std::cout << (disable ? "disabled " : "enabled ") << found.value().email << "\n";
      return 0;
    }
    if (user_reset->parsed()) {
      const bool generated = password.empty();
      const std::string replacement = generated ? vestibule::util::random_token(15) : password;
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
