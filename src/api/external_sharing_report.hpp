// The external-sharing report as the API and the command line give it: the filters read from
// named parameters (the query of GET /api/v1/admin/reports/external-sharing, or the options of
// `vestibule report external-sharing`), and the body, JSON or CSV, made one page at a time while
// it is sent, so memory does not grow with the number of rows.
#pragma once

#include "domain/external_sharing_report.hpp"
#include "http/message.hpp"
#include "util/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vestibule::api {

enum class ReportFormat { kJson, kCsv };

struct ReportRequest {
  domain::ExternalShareFilter filter;
  ReportFormat format = ReportFormat::kJson;
};

// The value of a named parameter, if given.
using ParameterLookup = std::function<std::optional<std::string>(std::string_view name)>;

// kInvalidArgument naming a query parameter the report does not take (a misspelt filter would
// otherwise list everything).
Result<void> check_report_parameters(std::string_view query);
// owner, domain, kind, expires_before, format; an empty value is the same as none. A bad value is
// kInvalidArgument naming the parameter, with an example of a good one.
Result<ReportRequest> read_report_request(const ParameterLookup& param);

// `{"items":[…]}` with one object per row, or CSV (RFC 4180, a header record, formula-like
// fields neutralized). Both have the same fields, in the same order.
http::BodyProducer report_body(domain::ExternalSharingReport report, ReportFormat format);

}  // namespace vestibule::api
