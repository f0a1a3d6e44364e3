#include "app/token_command.hpp"

#include "util/csv.hpp"
#include "util/rfc3339.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

namespace vestibule::app {

namespace {

int refuse(const std::string& message) {
  std::cerr << "vestibule: " << message << "\n";
  return 2;
}

std::string time_or_never(const std::optional<util::TimePoint>& t) {
  return t ? util::format_rfc3339(*t) : std::string();
}

}  // namespace

TokenCommand::TokenCommand(CLI::App& cli, const std::function<void(CLI::App*)>& add_common) {
  auto* token = cli.add_subcommand("token", "API tokens for scripts (Authorization: Bearer)");
  token->require_subcommand(1);

  create_ = token->add_subcommand(
      "create", "create an API token for a member and print it (shown only this once)");
  add_common(create_);
  create_->add_option("--user", user_, "the member's email address")->required();
  create_->add_option("--name", name_, "what uses the token, e.g. \"nightly backup\"")->required();
  create_->add_option("--scope", scope_, "read, write or admin (admin only for admins)")
      ->required();
  create_->add_option("--expires-in", expires_in_,
                      "lifetime, e.g. 90d (default 30d, at most 365d)");

  list_ = token->add_subcommand("list", "list API tokens (never their secrets)");
  add_common(list_);
  list_->add_option("--user", user_, "only this member's tokens");
  list_->add_option("--format", format_, "table (the default), json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));

  revoke_ = token->add_subcommand("revoke", "revoke an API token: it stops working at once");
  add_common(revoke_);
  revoke_->add_option("id", id_, "the token's id (from `vestibule token list`)")->required();
}

bool TokenCommand::parsed() const {
  return create_->parsed() || list_->parsed() || revoke_->parsed();
}

int TokenCommand::run(Application& app) const {
  auto& tokens = app.api_tokens();
  if (create_->parsed()) {
    auto owner = app.members().find_by_email(user_);
    if (!owner) {
      return refuse("--user: " + owner.error().message);
    }
    auto created =
        tokens.create(owner.value(), name_, scope_,
                      expires_in_.empty() ? std::nullopt : std::optional<std::string>(expires_in_));
    if (!created) {
      const auto& e = created.error();
      return refuse(e.field.empty()
                        ? e.message
                        : "--" + (e.field == "expires_in" ? std::string("expires-in") : e.field) +
                              ": " + e.message);
    }
    const auto& t = created.value().token;
    std::cout << created.value().secret << "\n"
              << "API token " << t.id << " \"" << t.name << "\" for " << owner.value().email
              << ", scope " << to_string(t.scope) << ", expires "
              << util::format_rfc3339(t.expires_at) << "\n"
              << "Keep it now: it is shown only this once. Send it as "
                 "\"Authorization: Bearer <token>\".\n";
    return 0;
  }
  if (list_->parsed()) {
    Result<std::vector<domain::ApiToken>> listed = tokens.list_all();
    if (!user_.empty()) {
      auto owner = app.members().find_by_email(user_);
      if (!owner) {
        return refuse("--user: " + owner.error().message);
      }
      listed = tokens.list(owner.value().id);
    }
    if (!listed) {
      return refuse(listed.error().message);
    }
    if (format_ == "json") {
      auto rows = nlohmann::json::array();
      for (const auto& t : listed.value()) {
        rows.push_back(
            {{"id", t.id},
             {"user", t.user_email},
             {"name", t.name},
             {"scope", to_string(t.scope)},
             {"created_at", util::format_rfc3339(t.created_at)},
             {"expires_at", util::format_rfc3339(t.expires_at)},
             {"last_used_at", t.last_used_at ? nlohmann::json(util::format_rfc3339(*t.last_used_at))
                                             : nlohmann::json(nullptr)}});
      }
      std::cout << nlohmann::json{{"tokens", rows}}.dump(2) << "\n";
    } else if (format_ == "csv") {
      std::string out;
      util::append_csv_record(
          out, {"id", "user", "name", "scope", "created_at", "expires_at", "last_used_at"});
      for (const auto& t : listed.value()) {
        const auto id = std::to_string(t.id);
        const auto created = util::format_rfc3339(t.created_at);
        const auto expires = util::format_rfc3339(t.expires_at);
        const auto used = time_or_never(t.last_used_at);
        util::append_csv_record(
            out, {id, t.user_email, t.name, to_string(t.scope), created, expires, used});
      }
      std::cout << out;
    } else {
      std::cout << "ID\tUSER\tNAME\tSCOPE\tEXPIRES\tLAST USED\n";
      for (const auto& t : listed.value()) {
        std::cout << t.id << "\t" << t.user_email << "\t" << t.name << "\t" << to_string(t.scope)
                  << "\t" << util::format_rfc3339(t.expires_at) << "\t"
                  << (t.last_used_at ? util::format_rfc3339(*t.last_used_at) : "never") << "\n";
      }
    }
    return std::cout ? 0 : 1;
  }
  if (auto revoked = tokens.revoke_any(id_); !revoked) {
    return refuse(revoked.error().message);
  }
  std::cout << "revoked API token " << id_ << "\n";
  return 0;
}

}  // namespace vestibule::app
