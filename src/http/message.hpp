// Request and Response: what the router hands to API handlers and what they give back. Handlers
// never see Beast's connection machinery; a Response body is a string (its own or shared), a byte
// range of an open file, or a producer that makes the body piece by piece while it is sent. The
// last two are streamed without holding the whole body in memory.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json_fwd.hpp>

namespace vestibule::http {

namespace bhttp = boost::beast::http;

struct Request {
  bhttp::verb method = bhttp::verb::get;
  std::string target;  // as received: path and query
  std::string path;    // the path, still percent-encoded
  std::string query;   // after '?', raw
  bhttp::fields headers;
  std::string body;  // buffered routes only
  std::string client_address;
  std::string request_id;
  std::vector<std::string> params;   // decoded path parameters, in pattern order
  std::uint64_t content_length = 0;  // declared by the client (0 when absent)

  [[nodiscard]] std::string_view header(std::string_view name) const;
  // Decoded value of a query parameter, if present.
  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
};

// A file descriptor owned by a response; closed when the response is done.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle();
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_ = -1;
};

struct FileRange {
  std::shared_ptr<FileHandle> file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// Makes a response body piece by piece: the server calls it again and again, sends each piece as
// it comes (chunked transfer encoding) and stops at nullopt. Empty pieces are skipped. It is
// called on the connection's thread, after the status line is sent, so a failure can no longer
// change the status: the server logs it and closes the connection before the body's end, which
// the client sees as a cut-off response. The producer is destroyed when the response is done.
using BodyProducer = std::function<Result<std::optional<std::string>>()>;

struct Response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body instead of `body`: bytes kept in memory elsewhere (a small file), sent
  // without a copy.
  std::shared_ptr<const std::string> shared_body;
  std::optional<FileRange> file;  // when set, `body` and `shared_body` are ignored
  BodyProducer stream;            // when set, the three above are ignored
  // With `stream`: the body's exact length. It is then sent with Content-Length rather than
  // chunked (downloads and ranges need the length), and a producer that delivers more or fewer
  // bytes makes the server close the connection, so the client sees a cut-off body, never a
  // wrong one.
  std::optional<std::uint64_t> stream_length;
  // With `stream`: the producer blocks (it reads from the network), so the server calls it on
  // its pool for blocking body work rather than on the connection's event loop.
  bool stream_blocks = false;

  Response& set(std::string name, std::string value);
  // The body in memory: `shared_body`'s bytes when set, else `body`.
  [[nodiscard]] std::string_view body_bytes() const {
    return shared_body ? std::string_view(*shared_body) : std::string_view(body);
  }

  static Response json(unsigned status, const nlohmann::json& body);
  static Response empty(unsigned status);
};

// {"error":{"code","message"}} with the given status; used by the server for protocol errors and
// by the API's error mapping.
Response error_response(unsigned status, std::string_view code, std::string_view message);

// Receives a streamed request body chunk by chunk (uploads). Created by a streaming route after it
// has authorized the request, so nothing is read from an unauthorized client. If destroyed
// without finish() the partial upload is discarded.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Result<void> write(std::string_view chunk) = 0;
  // Called once after the last chunk; returns the response to send.
  virtual Response finish() = 0;
};

std::string percent_decode(std::string_view text, bool plus_as_space = false);

}  // namespace vestibule::http
