// The HTTP/1.1 request path as the server drives Beast's parser (src/http/server.cpp through
// src/http/request_reading.*): head limits, the head checks (target, transfer coding, Host), a
// route's body limit, Expect, bodies with Content-Length or chunked, read a piece at a time, and
// several requests pipelined on one connection. The first input byte picks the size of each read
// (0: everything at once) and the second the options (Host check, body limit, chunk buffer);
// the rest is what the client sends.
//
// Properties: every refusal is one of the statuses the server documents; an accepted head never
// carries both Content-Length and Transfer-Encoding (no smuggling) nor two different lengths; a
// complete body has exactly its declared length and is never above the limit; and an accepted
// request, serialized again, parses back to the same method, target, version, fields and body.
#include "check.hpp"
#include "http/request_reading.hpp"
#include "util/net.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using vestibule::http::BodyChunks;
using vestibule::http::BodyOutcome;
using vestibule::http::RequestParser;
using vestibule::http::ServerOptions;

// A client connection replayed from memory: each read returns at most `piece` bytes, then EOF.
class ReplayStream {
 public:
  ReplayStream(std::string_view data, std::size_t piece) : data_(data), piece_(piece) {}

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    if (data_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    ec = {};
    const std::size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::buffer(data_.data(), std::min(piece_, data_.size())));
    data_.remove_prefix(n);
    return n;
  }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) {
      throw boost::system::system_error(ec);
    }
    return n;
  }

 private:
  std::string_view data_;
  std::size_t piece_;
};

bool one_of(unsigned status, std::initializer_list<unsigned> allowed) {
  return std::find(allowed.begin(), allowed.end(), status) != allowed.end();
}

std::vector<std::pair<std::string, std::string>> fields_of(const bhttp::fields& fields) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : fields) {
    if (field.name() == bhttp::field::content_length ||
        field.name() == bhttp::field::transfer_encoding) {
      continue;  // framing: serializing again chooses its own
    }
    out.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return out;
}

// parse(serialize(x)) == x for a request the server accepted.
void check_round_trip(const bhttp::request_header<>& head, const std::string& body) {
  bhttp::request<bhttp::string_body> copy;
  copy.method_string(head.method_string());
  copy.target(head.target());
  copy.version(head.version());
  for (const auto& [name, value] : fields_of(head)) {
    copy.insert(name, value);
  }
  copy.body() = body;
  copy.prepare_payload();
  std::ostringstream wire;
  wire << copy;
  const std::string bytes = wire.str();

  bhttp::request_parser<bhttp::string_body> again;
  again.eager(true);
  again.header_limit(static_cast<std::uint32_t>(bytes.size() + 1));
  again.body_limit(body.size());
  ReplayStream stream(bytes, bytes.size());
  beast::flat_buffer buffer;
  error_code ec;
  bhttp::read(stream, buffer, again, ec);
  FUZZ_CHECK(!ec);
  const auto& parsed = again.get();
  FUZZ_CHECK(parsed.method_string() == head.method_string());
  FUZZ_CHECK(parsed.target() == head.target());
  FUZZ_CHECK(parsed.version() == head.version());
  FUZZ_CHECK(fields_of(parsed) == fields_of(head));
  FUZZ_CHECK(parsed.body() == body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::size_t piece = data[0] == 0 ? size : data[0];
  const std::uint8_t flags = data[1];
  const std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);

  ServerOptions options;
  // Small limits so that short inputs reach every refusal.
  options.max_header_bytes = 1024;
  options.max_request_line_bytes = 256;
  options.max_header_field_bytes = 256;
  options.max_header_fields = 8;
  if ((flags & 1U) != 0) {
    options.allowed_hosts = {"files.example.org", "127.0.0.1:8080"};
  }
  const std::size_t body_limit = (flags & 2U) != 0 ? 16 : 4096;
  const std::size_t chunk_capacity = (flags & 4U) != 0 ? 7 : 256;
  std::vector<char> chunk(chunk_capacity);

  ReplayStream stream(wire, piece);
  beast::flat_buffer buffer;
  for (int requests = 0; requests < 8; ++requests) {  // pipelined requests on one connection
    RequestParser parser;
    vestibule::http::prepare_parser(parser, options);
    error_code ec;
    bhttp::read_header(stream, buffer, parser, ec);
    if (ec) {
      const auto refusal = vestibule::http::refusal_for_head_error(ec, parser, options);
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
          ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        FUZZ_CHECK(refusal && one_of(refusal->status, {400, 414, 431}));
      }
      return 0;
    }
    const auto& head = parser.get();
    if (const auto refusal = vestibule::http::check_head(parser, options)) {
      FUZZ_CHECK(one_of(refusal->status, {400, 414, 421, 431}));
      return 0;
    }
    // What the server relies on once a head is accepted.
    FUZZ_CHECK(!head.target().empty() && head.target().front() == '/');
    FUZZ_CHECK(head.method_string().size() + head.target().size() + 10 <=
               options.max_request_line_bytes);
    const bool has_length = head.count(bhttp::field::content_length) != 0;
    const bool has_coding = head.count(bhttp::field::transfer_encoding) != 0;
    FUZZ_CHECK(!(has_length && has_coding));
    FUZZ_CHECK(!has_coding || parser.chunked());
    const auto declared = parser.content_length();
    FUZZ_CHECK(has_length == declared.has_value());
    for (const auto& field : head) {
      if (field.name() == bhttp::field::content_length) {
        // Leading zeros are allowed (1*DIGIT); the value must be the same number.
        std::uint64_t value = 0;
        const std::string_view text = field.value();
        const auto [end, parse_ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        FUZZ_CHECK(parse_ec == std::errc{} && end == text.data() + text.size() &&
                   value == *declared);
      }
    }
    std::ignore = vestibule::http::valid_request_id(head["X-Request-Id"]);
    const auto client = vestibule::util::client_behind_proxies(
        "127.0.0.1", head["X-Forwarded-For"], {{boost::asio::ip::make_address("127.0.0.1"), 8}});
    std::ignore = boost::asio::ip::make_address(client, ec);
    FUZZ_CHECK(!ec);  // the client a request is logged and throttled under is an address

    if (declared && *declared > body_limit) {
      return 0;  // 413 before any body byte is read
    }
    parser.body_limit(body_limit);
    std::ignore = vestibule::http::expects_continue(parser);

    std::string body;
    BodyOutcome outcome = BodyOutcome::kComplete;
    BodyChunks chunks(chunk.data(), chunk.size());
    while (!parser.is_done()) {
      chunks.prepare(parser);
      bhttp::read_some(stream, buffer, parser, ec);
      if (const auto failed = vestibule::http::body_read_outcome(ec)) {
        outcome = *failed;
        break;
      }
      if (const auto piece_read = chunks.take(parser)) {
        FUZZ_CHECK(!piece_read->empty() && piece_read->size() <= chunk.size());
        if (body.size() + piece_read->size() > body_limit) {
          outcome = BodyOutcome::kRefused;
          break;
        }
        body.append(*piece_read);
      }
    }
    if (outcome != BodyOutcome::kComplete) {
      FUZZ_CHECK(outcome != BodyOutcome::kTimedOut);  // nothing here times out
      return 0;
    }
    FUZZ_CHECK(body.size() <= body_limit);
    if (declared) {
      FUZZ_CHECK(body.size() == *declared);
    } else if (!parser.chunked()) {
      FUZZ_CHECK(body.empty());
    }
    check_round_trip(head, body);
    if (!head.keep_alive()) {
      return 0;
    }
  }
  return 0;
}
