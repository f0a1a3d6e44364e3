#include "app/admin_cli.hpp"

#include "api/audit_view.hpp"
#include "domain/directory.hpp"
#include "domain/policy.hpp"
#include "util/csv.hpp"
#include "util/rfc3339.hpp"

#include <array>
#include <iostream>

namespace vestibule::app {

namespace {

int error(const std::string& message) {
  std::cerr << "vestibule: " << message << "\n";
  return 2;
}

// The command line acts as an administrator of the installation; the audit log names it "cli".
domain::Principal operator_principal() {
  return domain::Principal::member(0, true, "command line", "");
}

}  // namespace

domain::AuditEntry cli_entry(std::string event, std::string target, std::string target_address) {
  domain::AuditEntry entry;
  entry.event = std::move(event);
  entry.actor_kind = "cli";
  entry.target = std::move(target);
  entry.personal.target_address = std::move(target_address);
  return entry;
}

int audit_verify(Application& app) {
  auto verdict = app.audit().verify();
  if (!verdict) {
    return error(verdict.error().message);
  }
  const auto& v = verdict.value();
  if (v.ok) {
    auto head = app.audit().head();
    std::cout << "audit log intact: " << v.entries << " entries";
    if (head && head.value().id != 0) {
      std::cout << ", head " << head.value().id << " " << head.value().hash;
    }
    std::cout << "\n";
    return 0;
  }
  std::cout << "audit log BROKEN at entry " << v.first_bad.value_or(0) << ": " << v.reason << "\n";
  return 1;
}

int audit_head(Application& app) {
  auto head = app.audit().head();
  if (!head) {
    return error(head.error().message);
  }
  std::cout << head.value().id << " " << head.value().hash << "\n";
  return 0;
}

int audit_list(Application& app, const std::map<std::string, std::string, std::less<>>& options) {
  auto request = api::read_audit_request(
      [&options](std::string_view name) -> std::optional<std::string> {
        const auto it = options.find(name);
        return it != options.end() && !it->second.empty() ? std::optional(it->second)
                                                          : std::nullopt;
      },
      "table");
  if (!request) {
    return error("--" + request.error().field + ": " + request.error().message);
  }
  auto page = app.audit().list(request.value().filter);
  if (!page) {
    return error(page.error().message);
  }
  const std::string& format = request.value().format;
  if (format == "csv") {
    std::cout << api::audit_csv_header();
    for (const auto& e : page.value().entries) {
      std::cout << api::audit_csv_record(e);
    }
  } else if (format == "json") {
    auto list = nlohmann::json::array();
    for (const auto& e : page.value().entries) {
      list.push_back(api::audit_entry_json(e));
    }
    std::cout << list.dump(2) << "\n";
  } else {
    std::cout << "ID\tAT\tEVENT\tACTOR\tTARGET\tCLIENT\n";
    for (const auto& e : page.value().entries) {
      const std::string actor = e.personal.actor_address.empty()
                                    ? e.actor_kind
                                    : e.actor_kind + " " + e.personal.actor_address;
      const std::string target =
          e.personal.target_address.empty() ? e.target : e.target + " " + e.personal.target_address;
      std::cout << e.id << "\t" << util::format_rfc3339(e.at) << "\t" << e.event << "\t" << actor
                << "\t" << target << "\t" << e.personal.client_ip
                << (e.erased_at ? "\t(erased)" : "") << "\n";
    }
  }
  return 0;
}

int audit_prune(Application& app, const std::string& before) {
  auto t = util::parse_rfc3339(before, "before");
  if (!t) {
    return error("--before: " + t.error().message);
  }
  domain::AuditEntry actor;
  actor.actor_kind = "cli";
  auto removed = app.audit().prune(t.value(), actor);
  if (!removed) {
    return error(removed.error().message);
  }
  std::cout << "removed " << removed.value() << " entries older than " << before
            << "; the rest still verifies from the checkpoint\n";
  return 0;
}

int settings_get(Application& app, const std::string& key, const std::string& format) {
  if (format != "json" && format != "table" && format != "csv") {
    return error("--format: json (the default), table or csv");
  }
  auto policy = app.sharing().org_settings(operator_principal());
  if (!policy) {
    return error(policy.error().message);
  }
  const auto all = domain::to_json(policy.value());
  if (key.empty()) {
    if (format == "json") {
      std::cout << all.dump(2) << "\n";
      return 0;
    }
    std::string out;
    if (format == "csv") {
      util::append_csv_record(out, {"key", "value"});
    }
    for (const auto& [k, v] : all.items()) {
      const std::string value = v.is_string() ? v.get<std::string>() : v.dump();
      if (format == "csv") {
        util::append_csv_record(out, {k, value});
      } else {
        out += k + "\t" + value + "\n";
      }
    }
    std::cout << out;
    return 0;
  }
  const auto it = all.find(key);
  if (it == all.end()) {
    std::string keys;
    for (const auto& [k, v] : all.items()) {
      keys += (keys.empty() ? "" : ", ") + k;
    }
    return error("no setting \"" + key + "\"; the settings are: " + keys);
  }
  std::cout << (it->is_string() ? it->get<std::string>() : it->dump()) << "\n";
  return 0;
}

int settings_set(Application& app, const std::string& key, const std::string& value) {
  // A value that reads as JSON (true, 5, ["a.org"]) is taken as such; anything else as text.
  nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
  if (parsed.is_discarded()) {
    parsed = value;
  }
  auto changed = app.sharing().change_org_settings(operator_principal(), {{key, parsed}});
  if (!changed) {
    return error(changed.error().message);
  }
  const auto all = domain::to_json(changed.value());
  const auto it = all.find(key);
  std::cout << key << " = " << (it != all.end() ? it->dump() : parsed.dump()) << "\n";
  return 0;
}

namespace {

std::string optional_time_text(const std::optional<domain::TimePoint>& t) {
  return t ? util::format_rfc3339(*t) : std::string();
}

}  // namespace

int report_pending(Application& app, const std::string& format) {
  domain::DirectoryFilter filter;
  filter.state = domain::IdentityState::kPending;
  auto entries = app.directory().list(operator_principal(), filter);
  if (!entries) {
    return error(entries.error().message);
  }
  if (format == "json") {
    auto list = nlohmann::json::array();
    for (const auto& e : entries.value()) {
      list.push_back({{"address", e.identity.address},
                      {"created_at", util::format_rfc3339(e.identity.created_at)},
                      {"shares", e.shares},
                      {"aliases", e.aliases}});
    }
    std::cout << list.dump(2) << "\n";
  } else if (format == "csv") {
    std::string out;
    util::append_csv_record(out, {"address", "created_at", "shares"});
    for (const auto& e : entries.value()) {
      const std::string created = util::format_rfc3339(e.identity.created_at);
      const std::string shares = std::to_string(e.shares);
      util::append_csv_record(out, {e.identity.address, created, shares});
    }
    std::cout << out;
  } else if (format == "table") {
    std::cout << "ADDRESS\tINVITED\tLINKS\n";
    for (const auto& e : entries.value()) {
      std::cout << e.identity.address << "\t" << util::format_rfc3339(e.identity.created_at) << "\t"
                << e.shares << "\n";
    }
  } else {
    return error("--format: table (the default), json or csv");
  }
  return 0;
}

int report_address(Application& app, const std::string& address, const std::string& format) {
  auto record = app.directory().record(operator_principal(), address);
  if (!record) {
    return error(record.error().message);
  }
  const auto& r = record.value();
  const auto row_of = [](const domain::ReachEntry& e) {
    return std::array<std::string, 6>{
        std::to_string(e.item.id),
        e.item.name,
        e.link ? "link " + std::to_string(e.link->id)
               : (e.space ? "team space " + std::to_string(e.space->space_id) : "grant"),
        std::string(to_string(e.role)),
        optional_time_text(e.expires_at),
        e.state};
  };
  if (format == "json") {
    auto list = nlohmann::json::array();
    for (const auto& e : r.reach) {
      const auto row = row_of(e);
      list.push_back({{"item_id", e.item.id},
                      {"item", row[1]},
                      {"through", row[2]},
                      {"role", row[3]},
                      {"expires_at", row[4].empty() ? nlohmann::json() : nlohmann::json(row[4])},
                      {"state", row[5]}});
    }
    std::cout << nlohmann::json{{"address", r.entry.identity.address},
                                {"state", std::string(to_string(r.entry.identity.state))},
                                {"aliases", r.entry.aliases},
                                {"reach", list}}
                     .dump(2)
              << "\n";
  } else if (format == "csv") {
    std::string out;
    util::append_csv_record(out, {"item_id", "item", "through", "role", "expires_at", "state"});
    for (const auto& e : r.reach) {
      const auto row = row_of(e);
      util::append_csv_record(out, {row[0], row[1], row[2], row[3], row[4], row[5]});
    }
    std::cout << out;
  } else if (format == "table") {
    std::cout << r.entry.identity.address << " (" << to_string(r.entry.identity.state) << ")\n";
    std::cout << "ITEM\tNAME\tTHROUGH\tROLE\tEXPIRES\tSTATE\n";
    for (const auto& e : r.reach) {
      const auto row = row_of(e);
      std::cout << row[0] << "\t" << row[1] << "\t" << row[2] << "\t" << row[3] << "\t"
                << (row[4].empty() ? "never" : row[4]) << "\t" << row[5] << "\n";
    }
  } else {
    return error("--format: table (the default), json or csv");
  }
  return 0;
}

int user_list(const std::vector<domain::User>& users, const std::string& format) {
  const auto state = [](const domain::User& u) { return u.disabled ? "disabled" : "active"; };
  if (format == "json") {
    auto list = nlohmann::json::array();
    for (const auto& u : users) {
      list.push_back({{"id", u.id},
                      {"email", u.email},
                      {"display_name", u.display_name},
                      {"role", std::string(to_string(u.role))},
                      {"state", state(u)}});
    }
    std::cout << list.dump(2) << "\n";
  } else if (format == "csv") {
    std::string out;
    util::append_csv_record(out, {"id", "email", "display_name", "role", "state"});
    for (const auto& u : users) {
      util::append_csv_record(out, {std::to_string(u.id), u.email, u.display_name,
                                    std::string(to_string(u.role)), state(u)});
    }
    std::cout << out;
  } else if (format == "table") {
    std::cout << "ID\tEMAIL\tNAME\tROLE\tSTATE\n";
    for (const auto& u : users) {
      std::cout << u.id << "\t" << u.email << "\t" << u.display_name << "\t" << to_string(u.role)
                << "\t" << state(u) << "\n";
    }
  } else {
    return error("--format: table (the default), json or csv");
  }
  return 0;
}

int report_external_table(domain::ExternalSharingReport& report) {
  std::cout << "LINK\tKIND\tITEM\tSHARED BY\tRECIPIENT\tROLE\tEXPIRES\tSTATE\n";
  std::size_t rows = 0;
  for (;;) {
    auto page = report.next_page();
    if (!page) {
      std::cout.flush();
      return error("the report stopped part-way: " + page.error().message);
    }
    if (!page.value()) {
      break;
    }
    for (const auto& r : *page.value()) {
      const std::string expires = optional_time_text(r.expires_at);
      std::cout << r.link_id << "\t" << to_string(r.kind) << "\t" << r.space_name << "/"
                << r.item_path << "\t" << r.shared_by_email << "\t"
                << r.recipient.value_or("anyone with the link") << "\t" << to_string(r.role) << "\t"
                << (expires.empty() ? "never" : expires) << "\t" << r.status << "\n";
      ++rows;
    }
  }
  std::cout << rows << (rows == 1 ? " row\n" : " rows\n");
  return 0;
}

}  // namespace vestibule::app
