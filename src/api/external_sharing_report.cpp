#include "api/external_sharing_report.hpp"

#include "util/csv.hpp"
#include "util/rfc3339.hpp"

#include <algorithm>
#include <array>
#include <future>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

namespace vestibule::api {

namespace {

constexpr std::array<std::string_view, 5> kParameters = {"owner", "domain", "kind",
                                                         "expires_before", "format"};

// Typical sizes of a row, to size a page's text at once rather than by doubling.
constexpr std::size_t kJsonRowBytes = 512;
constexpr std::size_t kCsvRowBytes = 256;

enum class Value { kText, kLiteral, kNull };  // a JSON string, a number or boolean, null

// The fields of a row, in column order: emit(key, kind of value, text).
template <class Emit>
void for_each_field(const domain::ExternalShare& r, Emit&& emit) {
  util::Rfc3339Buffer buffer;
  const auto time = [&](std::string_view key, const std::optional<util::TimePoint>& t) {
    if (t) {
      emit(key, Value::kText, util::format_rfc3339(*t, buffer));
    } else {
      emit(key, Value::kNull, std::string_view());
    }
  };
  const auto boolean = [](bool b) { return b ? std::string_view("true") : "false"; };
  emit("item_id", Value::kLiteral, std::to_string(r.item_id));
  emit("item_name", Value::kText, r.item_name);
  emit("item_kind", Value::kText, to_string(r.item_kind));
  emit("item_path", Value::kText, r.item_path);
  emit("space_id", Value::kLiteral, std::to_string(r.space_id));
  emit("space_name", Value::kText, r.space_name);
  emit("shared_by_name", Value::kText, r.shared_by_name);
  emit("shared_by_email", Value::kText, r.shared_by_email);
  emit("link_id", Value::kLiteral, std::to_string(r.link_id));
  emit("kind", Value::kText, to_string(r.kind));
  emit("role", Value::kText, to_string(r.role));
  emit("block_download", Value::kLiteral, boolean(r.block_download));
  emit("has_password", Value::kLiteral, boolean(r.has_password));
  emit("created_at", Value::kText, util::format_rfc3339(r.created_at, buffer));
  time("expires_at", r.expires_at);
  if (r.recipient) {
    emit("recipient", Value::kText, *r.recipient);
    emit("recipient_state", Value::kText,
         to_string(r.recipient_state.value_or(domain::IdentityState::kPending)));
  } else {
    emit("recipient", Value::kNull, std::string_view());
    emit("recipient_state", Value::kNull, std::string_view());
  }
  time("first_used_at", r.first_used_at);
  time("last_used_at", r.last_used_at);
  emit("status", Value::kText, r.status);
}

void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {  // most fields: no escaping needed, no allocation
    out.append("\"").append(text).append("\"");
    return;
  }
  out += nlohmann::json(std::string(text))
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_json_row(std::string& out, const domain::ExternalShare& row) {
  char separator = '{';
  for_each_field(row, [&](std::string_view key, Value kind, std::string_view text) {
    out.append(1, separator).append("\"").append(key).append("\":");
    separator = ',';
    switch (kind) {
      case Value::kText:
        append_json_string(out, text);
        break;
      case Value::kLiteral:
        out.append(text);
        break;
      case Value::kNull:
        out.append("null");
        break;
    }
  });
  out += '}';
}

void append_csv_row(std::string& out, const domain::ExternalShare& row) {
  bool first = true;
  for_each_field(row, [&](std::string_view, Value, std::string_view text) {
    if (!first) {
      out += ',';
    }
    first = false;
    util::append_csv_field(out, text);  // null is an empty field
  });
  out += "\r\n";
}

std::string csv_header() {
  std::vector<std::string_view> keys;
  for_each_field(domain::ExternalShare{},
                 [&](std::string_view key, Value, std::string_view) { keys.push_back(key); });
  std::string out;
  util::append_csv_record(out, keys);
  return out;
}

}  // namespace

Result<void> check_report_parameters(std::string_view query) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const std::string key = http::percent_decode(pair.substr(0, pair.find('=')), true);
    if (std::find(kParameters.begin(), kParameters.end(), key) == kParameters.end()) {
      return fail(Errc::kInvalidArgument,
                  "unknown parameter \"" + key +
                      "\"; the report takes owner, domain, kind, expires_before and format, like "
                      "?kind=specific&domain=partner.example",
                  key);
    }
  }
  return outcome::success();
}

Result<ReportRequest> read_report_request(const ParameterLookup& param) {
  const auto given = [&](std::string_view name) {
    auto value = param(name);
    return value && !value->empty() ? value : std::nullopt;
  };
  ReportRequest out;
  out.filter.owner = given("owner");
  out.filter.domain = given("domain");
  if (const auto kind = given("kind")) {
    out.filter.kind = domain::link_kind_from_string(*kind);
    if (out.filter.kind != domain::LinkKind::kAnyone &&
        out.filter.kind != domain::LinkKind::kSpecific) {
      return fail(Errc::kInvalidArgument,
                  "kind must be anyone or specific, like kind=specific; organization and "
                  "existing links do not reach outside the organization",
                  "kind");
    }
  }
  if (auto before = given("expires_before")) {
    // An unencoded "+" of an offset arrives as a space in a query: read it as the "+" it was.
    if (before->size() > 19) {
      std::replace(before->begin() + 19, before->end(), ' ', '+');
    }
    VST_TRY(t, util::parse_rfc3339(*before, "expires_before"));
    out.filter.expires_before = t;
  }
  if (const auto format = given("format")) {
    if (*format == "csv") {
      out.format = ReportFormat::kCsv;
    } else if (*format != "json") {
      return fail(Errc::kInvalidArgument, "format must be json or csv, like format=csv", "format");
    }
  }
  return out;
}

http::BodyProducer report_body(domain::ExternalSharingReport report, ReportFormat format) {
  using Page = Result<std::optional<domain::ExternalSharePage>>;
  struct Reading {
    domain::ExternalSharingReport report;
    ReportFormat format;
    bool started = false;
    bool first_row = true;
    bool finished = false;
    // The next page, read from the database on a thread of its own while this one is named and
    // written out. Declared last so that it is waited for before the report it reads is
    // destroyed.
    std::future<Page> ahead;
  };
  auto reading =
      std::make_shared<Reading>(Reading{std::move(report), format, false, true, false, {}});
  return [reading]() -> Result<std::optional<std::string>> {
    Reading& r = *reading;
    if (r.finished) {
      return std::optional<std::string>();
    }
    const auto read_ahead = [&r] {
      r.ahead = std::async(std::launch::async, [&report = r.report] { return report.read_page(); });
    };
    const bool json = r.format == ReportFormat::kJson;
    std::string out;
    if (!r.started) {
      r.started = true;
      out = json ? std::string("{\"items\":[") : csv_header();
      read_ahead();
    }
    VST_TRY(read, r.ahead.get());
    if (!read) {
      r.finished = true;
      if (json) {
        out += "\n]}\n";
      }
      return std::optional<std::string>(std::move(out));
    }
    read_ahead();
    VST_TRY(page, r.report.name_page(std::move(*read)));
    out.reserve(out.size() + page.size() * (json ? kJsonRowBytes : kCsvRowBytes));
    for (const auto& row : page) {
      if (json) {
        out += r.first_row ? "\n" : ",\n";
        append_json_row(out, row);
      } else {
        append_csv_row(out, row);
      }
      r.first_row = false;
    }
    return std::optional<std::string>(std::move(out));
  };
}

}  // namespace vestibule::api
