#include "api/audit_view.hpp"

#include "util/csv.hpp"
#include "util/rfc3339.hpp"

namespace vestibule::api {

namespace {

std::string time_text(domain::TimePoint t) { return util::format_rfc3339(t); }

}  // namespace

nlohmann::json audit_entry_json(const domain::AuditEntry& e) {
  nlohmann::json actor = {{"kind", e.actor_kind}};
  if (e.actor_id != 0) {
    actor["id"] = e.actor_id;
  }
  if (!e.personal.actor_address.empty()) {
    actor["address"] = e.personal.actor_address;
  }
  nlohmann::json target = e.target;
  if (!e.personal.target_address.empty()) {
    target = {{"ref", e.target}, {"address", e.personal.target_address}};
  }
  nlohmann::json j = {{"id", e.id},
                      {"at", time_text(e.at)},
                      {"event", e.event},
                      {"actor", std::move(actor)},
                      {"target", std::move(target)},
                      {"client_ip", e.personal.client_ip},
                      {"user_agent", e.personal.user_agent},
                      {"details", e.details},
                      {"hash", e.hash}};
  if (e.erased_at) {
    j["erased"] = {{"at", time_text(*e.erased_at)}, {"by", e.erased_by}};
  }
  return j;
}

std::string audit_csv_header() {
  std::string out;
  util::append_csv_record(
      out, {"id", "at", "event", "actor_kind", "actor_id", "actor_address", "target",
            "target_address", "client_ip", "user_agent", "details", "erased_at", "hash"});
  return out;
}

std::string audit_csv_record(const domain::AuditEntry& e) {
  const std::string id = std::to_string(e.id);
  const std::string at = time_text(e.at);
  const std::string actor_id = e.actor_id != 0 ? std::to_string(e.actor_id) : std::string();
  const std::string details =
      e.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string erased = e.erased_at ? time_text(*e.erased_at) : std::string();
  std::string out;
  util::append_csv_record(out, {id, at, e.event, e.actor_kind, actor_id, e.personal.actor_address,
                                e.target, e.personal.target_address, e.personal.client_ip,
                                e.personal.user_agent, details, erased, e.hash});
  return out;
}

nlohmann::json audit_verdict_json(const domain::AuditVerdict& v) {
  nlohmann::json j = {{"ok", v.ok}, {"entries", v.entries}};
  if (!v.ok) {
    j["first_bad"] = v.first_bad.value_or(0);
    j["reason"] = v.reason;
  }
  return j;
}

Result<AuditRequest> read_audit_request(
    const std::function<std::optional<std::string>(std::string_view)>& get,
    std::string_view default_format) {
  AuditRequest r;
  r.format = get("format").value_or(std::string(default_format));
  if (r.format != "json" && r.format != "csv" && r.format != "table") {
    return fail(Errc::kInvalidArgument, "format must be json or csv (or table on the command line)",
                "format");
  }
  r.filter.event = get("event").value_or("");
  r.filter.actor = get("actor").value_or("");
  r.filter.target = get("target").value_or("");
  for (const char* name : {"since", "until"}) {
    if (auto text = get(name); text && !text->empty()) {
      VST_TRY(t, util::parse_rfc3339(*text, name));
      (std::string_view(name) == "since" ? r.filter.since : r.filter.until) = t;
    }
  }
  const auto number = [&get](const char* name) -> Result<std::optional<std::int64_t>> {
    auto text = get(name);
    if (!text || text->empty()) {
      return std::optional<std::int64_t>();
    }
    if (text->size() > 18 || text->find_first_not_of("0123456789") != std::string::npos) {
      return fail(Errc::kInvalidArgument,
                  std::string(name) + " must be a positive whole number, like " + name + "=100",
                  name);
    }
    return std::optional<std::int64_t>(std::stoll(*text));
  };
  VST_TRY(cursor, number("cursor"));
  r.filter.before_id = cursor;
  VST_TRY(limit, number("limit"));
  if (limit) {
    if (*limit < 1 || *limit > 1000) {
      return fail(Errc::kInvalidArgument, "limit must be between 1 and 1000", "limit");
    }
    r.filter.limit = static_cast<std::size_t>(*limit);
  }
  return r;
}

}  // namespace vestibule::api
