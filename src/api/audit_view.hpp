// The audit log as the API and the CLI show it: one entry as JSON or a CSV record, the filter
// read from query parameters or command-line options, the verdict of verify.
#pragma once

#include "domain/audit.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vestibule::api {

nlohmann::json audit_entry_json(const domain::AuditEntry& entry);
std::string audit_csv_header();
std::string audit_csv_record(const domain::AuditEntry& entry);
nlohmann::json audit_verdict_json(const domain::AuditVerdict& verdict);

struct AuditRequest {
  domain::AuditFilter filter;
  std::string format;  // json, csv (and table for the CLI)
};
// Reads event, actor, target, since, until, cursor, limit, format through `get`; kInvalidArgument
// names the parameter that is wrong.
Result<AuditRequest> read_audit_request(
    const std::function<std::optional<std::string>(std::string_view)>& get,
    std::string_view default_format);

}  // namespace vestibule::api
