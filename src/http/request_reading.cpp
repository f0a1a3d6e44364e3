#include "http/request_reading.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <fmt/format.h>

namespace vestibule::http {

namespace {

namespace beast = boost::beast;
using boost::system::error_code;

bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

Response uri_too_long(const ServerOptions& options) {
  return error_response(414, "uri_too_long",
                        fmt::format("the request line is longer than {} bytes; shorten the URL",
                                    options.max_request_line_bytes));
}

}  // namespace

void prepare_parser(RequestParser& parser, const ServerOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  // The route's limit is set once the route is known. (Not boost::none: Beast 1.74 compares a
  // Content-Length against an empty limit as "above it".)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
}

std::optional<Response> check_head(const RequestParser& parser, const ServerOptions& options) {
  const auto& head = parser.get();
  const std::string_view target = head.target();
  // "METHOD SP target SP HTTP/1.1"
  const std::size_t line_bytes = head.method_string().size() + target.size() + 10;
  if (line_bytes > options.max_request_line_bytes) {
    return uri_too_long(options);
  }
  // The whole head as received ("Name: value" CRLF per field), counted here rather than left to
  // the parser, whose limit applies to each read and so let a head of many fields pass it.
  std::size_t head_bytes = line_bytes + 2;
  for (const auto& field : head) {
    const std::size_t field_bytes = field.name_string().size() + field.value().size() + 4;
    if (field_bytes > options.max_header_field_bytes) {
      return error_response(431, "header_too_large",
                            fmt::format("the header field {} is larger than {} bytes",
                                        std::string(field.name_string().substr(0, 64)),
                                        options.max_header_field_bytes));
    }
    head_bytes += field_bytes;
  }
  if (head_bytes > options.max_header_bytes) {
    return error_response(
        431, "header_too_large",
        fmt::format("the request head is larger than {} bytes", options.max_header_bytes));
  }
  const auto field_count = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
  if (field_count > options.max_header_fields) {
    return error_response(431, "header_too_large",
                          fmt::format("the request has {} header fields; at most {} are accepted",
                                      field_count, options.max_header_fields));
  }
  if (target.empty() || target.front() != '/') {
    return error_response(400, "bad_request", "the request target must be a path starting with /");
  }
  if (head.count(bhttp::field::transfer_encoding) != 0 && !parser.chunked()) {
    return error_response(400, "bad_request",
                          "only the chunked transfer coding is supported for request bodies");
  }
  if (!options.allowed_hosts.empty()) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (path != "/healthz" && path != "/readyz" && path != "/metrics") {
      const std::string_view host = head[bhttp::field::host];
      if (host.empty()) {
        return error_response(400, "bad_request",
                              "the request has no Host header; HTTP/1.1 requires one");
      }
      // The allowed names are lower case; compared without copying the header.
      const auto& allowed = options.allowed_hosts;
      if (std::none_of(allowed.begin(), allowed.end(),
                       [&](const std::string& name) { return beast::iequals(host, name); })) {
        return error_response(
            421, "misdirected_request",
            fmt::format("this server does not answer for the host \"{}\"; reach it at {}",
                        host.substr(0, 200), allowed.front()));
      }
    }
  }
  return std::nullopt;
}

std::optional<Response> refusal_for_head_error(const error_code& ec, const RequestParser& parser,
                                               const ServerOptions& options) {
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    // The parser consumes the request line as soon as it is complete: if it has no target yet,
    // the line alone did not fit.
    const auto& head = parser.get();
    const std::size_t line_bytes = head.method_string().size() + head.target().size() + 10;
    if (head.target().empty() || line_bytes > options.max_request_line_bytes) {
      return uri_too_long(options);
    }
    return error_response(
        431, "header_too_large",
        fmt::format("the request head is larger than {} bytes", options.max_header_bytes));
  }
  if (is_http_error(ec) && ec != bhttp::error::end_of_stream &&
      ec != bhttp::error::partial_message) {
    return error_response(400, "bad_request", fmt::format("malformed request: {}", ec.message()));
  }
  return std::nullopt;
}

bool valid_request_id(std::string_view id) {
  constexpr std::size_t kMaxRequestIdLength = 64;
  if (id.empty() || id.size() > kMaxRequestIdLength) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool expects_continue(const RequestParser& parser) {
  const auto& head = parser.get();
  return head.version() >= 11 && beast::iequals(head[bhttp::field::expect], "100-continue");
}

std::optional<BodyOutcome> body_read_outcome(const error_code& ec) {
  if (!ec || ec == bhttp::error::need_buffer) {
    return std::nullopt;
  }
  if (ec == bhttp::error::body_limit) {
    return BodyOutcome::kTooLarge;
  }
  if (ec == beast::error::timeout) {
    return BodyOutcome::kTimedOut;
  }
  if (ec == bhttp::error::partial_message || ec == bhttp::error::end_of_stream) {
    return BodyOutcome::kClientGone;
  }
  return is_http_error(ec) ? BodyOutcome::kMalformed : BodyOutcome::kClientGone;
}

void BodyChunks::prepare(RequestParser& parser) const {
  auto& body = parser.get().body();
  body.data = buffer_ + filled_;
  body.size = capacity_ - filled_;
  body.more = true;
}

std::optional<std::string_view> BodyChunks::take(RequestParser& parser) {
  filled_ = capacity_ - parser.get().body().size;
  if (filled_ == capacity_ || (parser.is_done() && filled_ > 0)) {
    const std::string_view piece(buffer_, filled_);
    filled_ = 0;
    return piece;
  }
  return std::nullopt;
}

}  // namespace vestibule::http
