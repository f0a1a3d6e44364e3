// The admin commands of the CLI that read or change what admins govern: `audit`, `settings`.
// Each prints to stdout and returns the process exit code (0 done, 1 a failed check, 2 an error
// it prints to stderr).
#pragma once

#include "app/application.hpp"
#include "domain/external_sharing_report.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::app {

// An audit entry of the command line's action `event` about `target` (and an address).
domain::AuditEntry cli_entry(std::string event, std::string target,
                             std::string target_address = {});

// `vestibule audit verify`: 0 when the chain is intact, 1 naming the first bad entry.
int audit_verify(Application& app);
// `vestibule audit head`: the newest entry's id and hash, to keep outside the server.
int audit_head(Application& app);
// `vestibule audit list`: options event, actor, target, since, until, limit, format
// (table, json or csv).
int audit_list(Application& app, const std::map<std::string, std::string, std::less<>>& options);
// `vestibule audit prune --before T`: removes older entries, keeping the rest verifiable.
int audit_prune(Application& app, const std::string& before);
// `vestibule settings get [KEY]` and `settings set KEY VALUE` (VALUE as JSON, else as text).
int settings_get(Application& app, const std::string& key, const std::string& format);
// `vestibule user list` (table, json or csv).
int user_list(const std::vector<domain::User>& users, const std::string& format);
int settings_set(Application& app, const std::string& key, const std::string& value);
// `vestibule report pending`: addresses invited that never proved themselves.
int report_pending(Application& app, const std::string& format);
// `vestibule report address ADDR`: every item one address can open, through what, until when.
int report_address(Application& app, const std::string& address, const std::string& format);
// `vestibule report external-sharing --format table`: the report's rows, page by page.
int report_external_table(domain::ExternalSharingReport& report);

}  // namespace vestibule::app
