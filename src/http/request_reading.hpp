// The steps of reading a request that need no connection: the parser's limits, the checks of a
// received head, the answer to a malformed head, and how body bytes the parser delivers are cut
// into chunks. The server (server.cpp) drives Beast's parser over a socket with these; the fuzz
// target fuzz/http_request_fuzzer.cpp drives the same code over arbitrary bytes. Stateless
// functions and a small per-body value type; no I/O, no threads.
#pragma once

#include "http/message.hpp"
#include "http/server.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/system/error_code.hpp>

namespace vestibule::http {

using RequestParser = bhttp::request_parser<bhttp::buffer_body>;

// Sets the head limit from `options` and lifts the body limit until the route is known.
void prepare_parser(RequestParser& parser, const ServerOptions& options);

// The refusal of a parsed head: 414 (request line), 431 (a field, the whole head, too many
// fields), 400 (a target that is not a path, a transfer coding other than chunked, no Host),
// 421 (a Host the server does not answer for); nullopt when the head is acceptable.
[[nodiscard]] std::optional<Response> check_head(const RequestParser& parser,
                                                 const ServerOptions& options);

// The answer to a head the parser refused with `ec`: 414, 431 or 400; nullopt when there is
// nothing to answer (the client went away or timed out).
[[nodiscard]] std::optional<Response> refusal_for_head_error(const boost::system::error_code& ec,
                                                             const RequestParser& parser,
                                                             const ServerOptions& options);

// Whether a client's X-Request-Id is kept (short, and only letters, digits, '.', '_', '-').
[[nodiscard]] bool valid_request_id(std::string_view id);

// Whether the client waits for "100 Continue" before sending the body (HTTP/1.1 only).
[[nodiscard]] bool expects_continue(const RequestParser& parser);

// How reading a body ended.
enum class BodyOutcome { kComplete, kTooLarge, kMalformed, kTimedOut, kClientGone, kRefused };

// What an error from one body read means: nullopt to go on reading (no error, or the parser
// only filled the buffer it was given).
[[nodiscard]] std::optional<BodyOutcome> body_read_outcome(const boost::system::error_code& ec);

// Collects the body bytes the parser writes into a caller-owned buffer and hands them on a full
// buffer at a time (and the rest at the end). Before each read: prepare(); after it: take().
class BodyChunks {
 public:
  BodyChunks(char* buffer, std::size_t capacity) : buffer_(buffer), capacity_(capacity) {}
  // Points the parser's body at the free part of the buffer.
  void prepare(RequestParser& parser) const;
  // The bytes to hand on after a read: the full buffer, or at the body's end what is left;
  // nullopt while the buffer is still filling.
  [[nodiscard]] std::optional<std::string_view> take(RequestParser& parser);

 private:
  char* buffer_;
  std::size_t capacity_;
  std::size_t filled_ = 0;
};

}  // namespace vestibule::http
