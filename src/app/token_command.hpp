// `vestibule token create|list|revoke`: API tokens from the server's command line (SPEC §5), for
// the operator who provisions automation. It acts on the data folder directly, like `user`, and
// follows the same rules as POST /api/v1/me/tokens (scopes, admin scope only for admins,
// expiry); the secret is printed once.
#pragma once

#include "app/application.hpp"

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace vestibule::app {

class TokenCommand {
 public:
  // Adds the commands to `cli`; `add_common` adds the shared options (--data-dir, --config, …).
  TokenCommand(CLI::App& cli, const std::function<void(CLI::App*)>& add_common);

  [[nodiscard]] bool parsed() const;
  // Runs the parsed command; returns the exit code (0 done, 2 refused, with the reason on stderr).
  int run(Application& app) const;

 private:
  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* revoke_ = nullptr;
  std::string user_;
  std::string name_;
  std::string scope_;
  std::string expires_in_;
  std::string format_ = "table";
  std::int64_t id_ = 0;
};

}  // namespace vestibule::app
