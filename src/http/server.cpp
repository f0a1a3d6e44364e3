#include "http/server.hpp"

#include "http/access_log.hpp"
#include "http/request_context.hpp"
#include "http/request_reading.hpp"
#include "http/watchdog.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"
#include "util/net.hpp"
#include "util/read_scope.hpp"
#include "util/request_origin.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <exception>
#include <functional>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/types.h>
#include <unistd.h>

// g++ 12 reports asio's awaitable frame allocator (recycling new, sized delete) as a mismatched
// new/delete pair once it is inlined into a coroutine: a known false positive (GCC PR 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace vestibule::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Parser = RequestParser;

constexpr std::size_t kChunkBytes = 256 * 1024;  // body reads and file writes go through this
constexpr std::size_t kFirstReadBytes = 8 * 1024;
// After answering without reading a body, keep reading (and dropping) for a moment so that
// closing does not reset the connection before the client has read the answer. Bounded by time
// alone, as nginx's lingering close is: most clients send the whole body before they read, and a
// byte bound would reset every one whose refused body is larger than it.
constexpr std::chrono::seconds kLingerTime{2};
// After the shutdown grace period, connections are closed; this long after, the loop stops.
constexpr std::chrono::seconds kForceStopDelay{1};
constexpr std::size_t kGeneratedRequestIdBytes = 12;

// A fresh request id. Ids need to be unique and not guessable, not secret: they are cut from a
// block of CSPRNG bytes drawn once per 4 KiB, rather than costing a system call per request.
std::string new_request_id() {
  constexpr std::size_t kBlock = 4096;
  thread_local std::array<char, kBlock> random{};
  thread_local std::size_t used = kBlock;
  if (used + kGeneratedRequestIdBytes > kBlock) {
    util::random_bytes(random.data(), random.size());
    used = 0;
  }
  const std::string_view id(random.data() + used, kGeneratedRequestIdBytes);
  used += kGeneratedRequestIdBytes;
  return util::base64url_encode(id);
}
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kRequestIdField = "X-Request-Id";
constexpr std::string_view kUnmatchedRoute = "unmatched";
constexpr unsigned kClientClosedStatus = 499;  // logged, never sent: the client went away
constexpr unsigned kTimedOutStatus = 408;      // logged, never sent: the client stalled

bool bodyless_status(unsigned status) { return status < 200 || status == 204 || status == 304; }

bool safe_header(std::string_view name, std::string_view value) {
  const auto unsafe = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  return !name.empty() && std::none_of(name.begin(), name.end(), unsafe) &&
         std::none_of(value.begin(), value.end(), unsafe);
}

std::string join_methods(const std::vector<bhttp::verb>& methods) {
  std::string out;
  const auto append = [&out](bhttp::verb verb) {
    if (!out.empty()) {
      out += ", ";
    }
    out += bhttp::to_string(verb);
  };
  for (const auto verb : methods) {
    append(verb);
    if (verb == bhttp::verb::get &&
        std::find(methods.begin(), methods.end(), bhttp::verb::head) == methods.end()) {
      append(bhttp::verb::head);  // the server answers HEAD wherever there is a GET
    }
  }
  return out;
}

// The few statuses a body sink's failure can map to. The API's full table lives in src/api; the
// server only needs this when an upload is refused part-way.
struct ErrorStatus {
  unsigned status;
  std::string_view code;
};

ErrorStatus status_for(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return {400, "invalid_argument"};
    case Errc::kUnauthenticated:
      return {401, "unauthenticated"};
    case Errc::kForbidden:
      return {403, "forbidden"};
    case Errc::kNotFound:
      return {404, "not_found"};
    case Errc::kConflict:
      return {409, "conflict"};
    case Errc::kPolicyRefused:
      return {422, "policy_refused"};
    case Errc::kGone:
      return {410, "gone"};
    case Errc::kTooManyRequests:
      return {429, "too_many_requests"};
    case Errc::kPayloadTooLarge:
      return {413, "payload_too_large"};
    case Errc::kInsufficientStorage:
      return {507, "insufficient_storage"};
    case Errc::kRangeNotSatisfiable:
      return {416, "range_not_satisfiable"};
    case Errc::kUnavailable:
      return {503, "unavailable"};
    case Errc::kInternal:
      break;
  }
  return {500, "internal"};
}

Response response_for(const Error& error) {
  const auto [status, code] = status_for(error.code);
  auto response = error_response(status, code, error.message);
  if (error.code == Errc::kTooManyRequests && error.retry_after_seconds > 0) {
    response.set("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return response;
}

Response internal_error(std::string_view request_id) {
  return error_response(
      500, "internal",
      fmt::format("internal error; quote request id {} when reporting it", request_id));
}

std::string client_address(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

auto with_error(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// The watchdog's period: no deadline a connection sets is shorter, so setting one never re-arms
// its timer (the linger after an error is the exception, and rare).
std::chrono::steady_clock::duration shortest_timeout(const ServerOptions& options) {
  return std::min({std::chrono::steady_clock::duration{options.header_timeout},
                   std::chrono::steady_clock::duration{options.idle_timeout},
                   std::chrono::steady_clock::duration{options.io_timeout}});
}

void log_escaped_exception(std::exception_ptr error, std::string_view where) {
  if (!error) {
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("unexpected exception in {}: {}", where, e.what());
  } catch (...) {
    spdlog::error("unexpected non-standard exception in {}", where);
  }
}

// One sink write running on the body pool, and the way its connection's coroutine waits for it:
// the pool posts the outcome back to the connection's loop and cancels `signal`, on which the
// coroutine waits when the write has not finished yet.
struct SinkWrite {
  explicit SinkWrite(const asio::any_io_executor& loop) : signal(loop) {}
  asio::steady_timer signal;
  bool running = false;
  bool done = false;
  std::optional<Response> refusal;
};

asio::awaitable<void> finished(SinkWrite& write) {
  if (write.running && !write.done) {
    write.signal.expires_at(asio::steady_timer::time_point::max());
    error_code ec;
    co_await write.signal.async_wait(with_error(ec));  // ends when the pool cancels it
  }
  write.running = false;
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router, Metrics& metrics);
  ~Impl();
  void allow_hosts(std::vector<std::string> hosts) { options_.allowed_hosts = std::move(hosts); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void bind();
  [[nodiscard]] std::uint16_t port() const { return port_.load(); }
  void run();
  void stop();

 private:
  class Connection;

  asio::awaitable<void> accept_loop();
  void start_connection(tcp::socket socket);
  void connection_ended(std::uint64_t id);
  std::vector<std::shared_ptr<Connection>> live_connections();
  static void run_worker(asio::io_context& loop);
  asio::io_context& next_loop();
  void stop_loops();

  ServerOptions options_;
  const Router& router_;
  Metrics& metrics_;
  AccessLog access_log_;
  unsigned threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint16_t> port_{0};

  std::mutex mutex_;  // guards the three members below
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::unordered_map<std::uint64_t, std::string> client_of_;  // connection id -> its client
  std::unordered_map<std::string, std::size_t> per_client_;   // open connections per client
  std::uint64_t next_id_ = 0;
  bool tearing_down_ = false;

  // Declared after everything a connection touches: destroying an io_context destroys the
  // coroutines still suspended in it, and with them their connections.
  // One event loop per thread, each run by that thread alone: a connection lives on one loop, so
  // serving it never hands work between threads (no wake-ups, no lock contention in the reactor).
  // The first loop also runs the acceptor, the signals and the shutdown timer.
  std::vector<std::unique_ptr<asio::io_context>> other_loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running_;
  std::atomic<std::size_t> next_loop_{0};
  asio::io_context ioc_;
  asio::strand<asio::io_context::executor_type> control_;  // acceptor, signals, grace timer
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer grace_timer_;
  // Heavy handlers (Route::heavy). Declared last, so it is joined first: its work refers to
  // connections suspended in the loops above.
  std::atomic<std::size_t> heavy_in_flight_{0};
  asio::thread_pool heavy_pool_;
  // Blocking body work runs here, beside the loops that receive and send: request bodies' sinks
  // (hashing and writing uploads) and producers that read from the network (an S3 store).
  asio::thread_pool body_pool_;
};

// One client connection: reads requests one after the other and answers each. Everything runs on
// the connection's event loop, which one thread runs alone (so no strand is needed); handlers run
// synchronously on that thread.
class Server::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, tcp::socket socket, std::uint64_t id, std::string client);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static asio::awaitable<void> serve(std::shared_ptr<Connection> self);
  [[nodiscard]] asio::any_io_executor executor() { return socket_.get_executor(); }
  // Closes the connection if it is waiting for a request and none has arrived (graceful
  // shutdown). Thread-safe.
  void close_if_idle();
  // Closes the connection whatever it is doing. Thread-safe.
  void force_close();
  // Only when no thread runs the io_context any more.
  void close_now();

 private:
  enum class Next { kContinue, kClose, kDrainThenClose };
  enum class Sent { kFailed, kKeepAlive, kClose };

  // What is known about the request being answered, for the response, the log and the metrics.
  struct Exchange {
    Clock::time_point start = Clock::now();
    std::string method = "-";
    std::string path = "-";
    std::string_view route = kUnmatchedRoute;  // the router's patterns outlive every request
    std::string request_id;
    unsigned version = 11;
    bool keep_alive = false;
    bool head = false;
    unsigned status = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::string client;  // behind trusted proxies: the forwarded client; empty: the peer
    std::string user_agent;
  };

  asio::awaitable<Next> exchange();
  asio::awaitable<Next> refuse_head(Exchange& ex, const error_code& ec, const Parser& parser);
  asio::awaitable<Next> answer_stream(Exchange& ex, Parser& parser, const Route& route,
                                      Request& request, bool continue_expected);
  asio::awaitable<Next> body_failed(Exchange& ex, BodyOutcome outcome,
                                    std::optional<Response> refusal);
  [[nodiscard]] static std::optional<Response> refusal_for_match(const Exchange& ex,
                                                                 const RouteMatch& match,
                                                                 const Parser& parser);
  asio::awaitable<Next> respond(Exchange& ex, Response response, bool body_read);
  asio::awaitable<Sent> send(Exchange& ex, Response response, bool keep_alive);
  // Calls add(name, value) for every field of the response's head, in order: the handler's (but
  // for framing, the server's own and unsafe ones) and then the server's.
  template <class Add>
  void for_each_field(const Exchange& ex, const Response& response, Add&& add) const;
  // A response whose body is in memory: head and body in one write.
  asio::awaitable<std::size_t> send_body(const Exchange& ex, const Response& response,
                                         bool keep_alive, error_code& ec);
  asio::awaitable<std::size_t> send_file(const Exchange& ex,
                                         bhttp::response<bhttp::string_body>& message,
                                         const FileRange& range, error_code& ec);
  asio::awaitable<std::size_t> send_stream(const Exchange& ex,
                                           bhttp::response<bhttp::string_body>& message,
                                           const Response& response, error_code& ec);
  static Result<std::optional<std::string>> next_piece(const Exchange& ex,
                                                       const BodyProducer& produce);
  asio::awaitable<bool> send_continue(Exchange& ex);
  // Whether a body that has brought `received` bytes since `started` is below the minimum rate.
  [[nodiscard]] bool too_slow(Clock::time_point started, std::uint64_t received) const;
  // A body of known length, read straight from the socket (no copy through the parser) into two
  // buffers in turn: while one fills, the sink takes the other on the body pool (hashing and
  // writing it), so receiving and storing overlap. `refusal` is the sink's answer when it refused.
  asio::awaitable<BodyOutcome> read_sized_body(Exchange& ex, std::uint64_t length, BodySink& sink,
                                               std::optional<Response>& refusal);
  // A chunked body (length unknown), read through the parser into two buffers in turn, each full
  // one handed to the sink on the body pool as above: a sink that blocks (an 8 MiB part going up
  // to S3) never holds up the event loop.
  asio::awaitable<BodyOutcome> read_chunked_body(Parser& parser, Exchange& ex, BodySink& sink,
                                                 std::optional<Response>& refusal);
  // Hands `piece` to the sink on the body pool; the outcome comes back through `write`.
  void start_sink_write(const std::shared_ptr<SinkWrite>& write, const Exchange& ex, BodySink& sink,
                        std::string_view piece);
  // Waits for the last write; `outcome`, or kRefused with the sink's answer in `refusal`.
  asio::awaitable<BodyOutcome> sink_writes_done(const std::shared_ptr<SinkWrite>& write,
                                                BodyOutcome outcome,
                                                std::optional<Response>& refusal);
  // The sink's answer when it refused the chunk or threw; nothing when it took it.
  std::optional<Response> write_to_sink(const Exchange& ex, BodySink& sink, std::string_view chunk);
  // One read of a body through the parser into the buffer it was given, under the I/O timeout
  // and the minimum rate (`received` counts since `started`): nullopt to go on reading.
  asio::awaitable<std::optional<BodyOutcome>> read_body_some(Parser& parser, Exchange& ex,
                                                             Clock::time_point started,
                                                             std::uint64_t& received);
  asio::awaitable<BodyOutcome> read_body(Parser& parser, Exchange& ex,
                                         const std::function<bool(std::string_view)>& consume);
  asio::awaitable<void> drain();
  void close();
  // An operation the watchdog cancelled because its deadline passed ends as timed out.
  void note_timeout(error_code& ec) const {
    if (ec == asio::error::operation_aborted && watchdog_.expired()) {
      ec = beast::error::timeout;
    }
  }
  void record(const Exchange& ex);
  template <class F>
  std::optional<Response> guarded(const Exchange& ex, F&& f);
  char* chunk();

  Impl& server_;
  const ServerOptions& options_;
  tcp::socket socket_;
  Watchdog watchdog_;  // every deadline of the connection, on one timer
  beast::flat_buffer buffer_;
  std::unique_ptr<char[]> chunk_;  // allocated on first use, reused for the connection's life
  std::uint64_t id_;
  std::string client_;
  bool idle_ = false;  // waiting for a request that has not started; event loop only
};

// ---------------------------------------------------------------------------------------------
// Connection

Server::Impl::Connection::Connection(Impl& server, tcp::socket socket, std::uint64_t id,
                                     std::string client)
    : server_(server),
      options_(server.options_),
      socket_(std::move(socket)),
      watchdog_(socket_.get_executor(), shortest_timeout(server.options_),
                [this] {
                  error_code ec;
                  socket_.cancel(ec);  // the operation in flight ends as timed out
                }),
      id_(id),
      client_(std::move(client)) {
  server_.metrics_.connection_opened();
}

Server::Impl::Connection::~Connection() {
  server_.metrics_.connection_closed();
  server_.connection_ended(id_);
}

void Server::Impl::Connection::close_if_idle() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    // Bytes already received are a request the client has sent: answer it, then close.
    error_code ec;
    if (self->idle_ && (self->socket_.available(ec) == 0 || ec)) {
      error_code cancel_ec;
      self->socket_.cancel(cancel_ec);
    }
  });
}

void Server::Impl::Connection::force_close() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    error_code ec;
    self->socket_.close(ec);
  });
}

void Server::Impl::Connection::close_now() {
  error_code ec;
  socket_.close(ec);
}

void Server::Impl::Connection::close() {
  watchdog_.stop();
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

char* Server::Impl::Connection::chunk() {
  if (!chunk_) {
    chunk_ = std::make_unique<char[]>(kChunkBytes);
  }
  return chunk_.get();
}

asio::awaitable<void> Server::Impl::Connection::serve(std::shared_ptr<Connection> self) {
  Next next = Next::kContinue;
  bool first = true;
  try {
    while (next == Next::kContinue) {
      if (self->buffer_.size() == 0) {
        // Shutting down: a connection with no request started ends here, but bytes already
        // received are a request the client sent (perhaps before this coroutine first ran).
        error_code pending_ec;
        if (self->server_.stopping_ && (self->socket_.available(pending_ec) == 0 || pending_ec)) {
          break;
        }
        // Wait for the first byte of the next request: the idle time between requests on a
        // kept-alive connection, the head time on a new one.
        self->idle_ = true;
        self->watchdog_.expire_after(first ? self->options_.header_timeout
                                           : self->options_.idle_timeout);
        error_code ec;
        const std::size_t n = co_await self->socket_.async_read_some(
            self->buffer_.prepare(kFirstReadBytes), with_error(ec));
        self->note_timeout(ec);
        self->idle_ = false;
        if (ec) {
          break;  // closed by the client, idle too long, or closed by stop()
        }
        self->buffer_.commit(n);
      }
      first = false;
      next = co_await self->exchange();
    }
    if (next == Next::kDrainThenClose && !self->server_.stopping_) {
      co_await self->drain();
    }
  } catch (const std::exception& e) {
    spdlog::error("connection from {} failed: {}", self->client_, e.what());
  }
  self->close();
}

// A note on the shape of the coroutines below: g++ 12 miscompiles class-type temporaries created
// inside a co_await expression (brace-initialised or from ?:), destroying them twice. Responses
// and callbacks are therefore built into named variables first and moved into the awaited call.

std::optional<Response> Server::Impl::Connection::refusal_for_match(const Exchange& ex,
                                                                    const RouteMatch& match,
                                                                    const Parser& parser) {
  if (match.route == nullptr) {
    if (match.allowed.empty()) {
      return error_response(
          404, "not_found",
          fmt::format("no such endpoint: {} {}; see /api/v1/openapi.json", ex.method, ex.path));
    }
    const auto allow = join_methods(match.allowed);
    auto response = error_response(
        405, "method_not_allowed",
        fmt::format("{} is not allowed on {}; allowed: {}", ex.method, ex.path, allow));
    response.set("Allow", allow);
    return response;
  }
  const auto declared = parser.content_length();
  if (declared && *declared > match.route->body_limit) {
    return error_response(413, "payload_too_large",
                          fmt::format("the request body of {} bytes is above this endpoint's "
                                      "limit of {} bytes",
                                      *declared, match.route->body_limit));
  }
  return std::nullopt;
}

asio::awaitable<Server::Impl::Connection::Next> Server::Impl::Connection::exchange() {
  Exchange ex;
  Parser parser;
  prepare_parser(parser, options_);

  watchdog_.expire_after(options_.header_timeout);
  error_code ec;
  ex.bytes_in += co_await bhttp::async_read_header(socket_, buffer_, parser, with_error(ec));
  note_timeout(ec);
  if (ec) {
    co_return co_await refuse_head(ex, ec, parser);
  }

  const auto& head = parser.get();
  const std::string_view target = head.target();
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  ex.method = std::string(head.method_string());
  ex.path = std::string(path);
  ex.version = head.version();
  ex.keep_alive = head.keep_alive();
  const std::string_view incoming_id = head[kRequestIdField];
  ex.request_id = valid_request_id(incoming_id) ? std::string(incoming_id) : new_request_id();
  if (auto refusal = check_head(parser, options_)) {
    Response response = std::move(*refusal);
    co_return co_await respond(ex, std::move(response), false);
  }

  Request request;
  request.method = head.method();
  request.target = std::string(target);
  request.path = ex.path;
  if (question != std::string_view::npos) {
    request.query = std::string(target.substr(question + 1));
  }
  if (options_.trusted_proxies.empty()) {
    request.client_address = client_;
  } else {
    ex.client =
        util::client_behind_proxies(client_, head["X-Forwarded-For"], options_.trusted_proxies);
    request.client_address = ex.client;
  }
  request.request_id = ex.request_id;
  ex.user_agent = std::string(head[bhttp::field::user_agent]);
  const auto declared = parser.content_length();
  request.content_length = declared.value_or(0);
  const bool continue_expected = expects_continue(parser);
  // Moved, not copied: nothing reads the parser's fields after this (trailers of a chunked body
  // would land in the emptied ones). `target` and `path` point into them and are not used after.
  request.headers = std::move(static_cast<bhttp::fields&>(parser.get()));

  const Router& router = server_.router_;
  RouteMatch match = router.match(request.method, request.path);
  if (match.route == nullptr && request.method == bhttp::verb::head &&
      std::find(match.allowed.begin(), match.allowed.end(), bhttp::verb::get) !=
          match.allowed.end()) {
    match = router.match(bhttp::verb::get, request.path);
    ex.head = true;
  }
  if (match.route != nullptr) {
    ex.route = match.route->pattern;
  }
  if (auto refusal = refusal_for_match(ex, match, parser)) {
    // A declared body above the limit is never read; other refusals keep the connection only
    // when there is no body.
    const bool body_read = parser.is_done() && match.route == nullptr;
    Response response = std::move(*refusal);
    co_return co_await respond(ex, std::move(response), body_read);
  }

  const Route& route = *match.route;
  request.params = std::move(match.params);
  parser.body_limit(route.body_limit);  // enforced while reading chunked bodies

  if (route.stream) {
    co_return co_await answer_stream(ex, parser, route, request, continue_expected);
  }

  if (!parser.is_done()) {
    if (continue_expected && !co_await send_continue(ex)) {
      co_return Next::kClose;
    }
    if (declared) {
      request.body.reserve(static_cast<std::size_t>(*declared));
    }
    const std::function<bool(std::string_view)> append = [&](std::string_view chunk) {
      if (request.body.size() + chunk.size() > route.body_limit) {
        return false;
      }
      request.body.append(chunk);
      return true;
    };
    auto outcome = co_await read_body(parser, ex, append);
    if (outcome != BodyOutcome::kComplete) {
      if (outcome == BodyOutcome::kRefused) {
        outcome = BodyOutcome::kTooLarge;
      }
      std::optional<Response> no_refusal;
      co_return co_await body_failed(ex, outcome, std::move(no_refusal));
    }
  }

  Response response;
  const auto run_handler = [&] {
    if (auto failure = guarded(ex, [&] {
          const util::ReadScope scope;  // one request: stored state is checked for changes once
          response = route.handler(request);
        })) {
      response = std::move(*failure);
    }
  };
  if (!route.heavy) {
    run_handler();
  } else if (server_.heavy_in_flight_.fetch_add(1) >= options_.max_heavy_in_flight) {
    server_.heavy_in_flight_.fetch_sub(1);
    response = error_response(503, "unavailable",
                              "the server is busy checking passwords; try again in a moment");
    response.set("Retry-After", "1");
  } else {
    // On the worker pool; this coroutine waits without holding its event loop.
    co_await asio::co_spawn(
        server_.heavy_pool_.get_executor(),
        [&]() -> asio::awaitable<void> {
          run_handler();
          co_return;
        },
        asio::use_awaitable);
    server_.heavy_in_flight_.fetch_sub(1);
  }
  co_return co_await respond(ex, std::move(response), parser.is_done());
}

asio::awaitable<Server::Impl::Connection::Next> Server::Impl::Connection::answer_stream(
    Exchange& ex, Parser& parser, const Route& route, Request& request, bool continue_expected) {
  std::variant<Response, std::unique_ptr<BodySink>> answer;
  if (auto failure = guarded(ex, [&] {
        const util::ReadScope scope;
        answer = route.stream(request);
      })) {
    answer = std::move(*failure);
  }
  if (auto* refusal = std::get_if<Response>(&answer)) {
    Response response = std::move(*refusal);
    co_return co_await respond(ex, std::move(response), parser.is_done());
  }
  auto sink = std::move(std::get<std::unique_ptr<BodySink>>(answer));
  if (!sink) {
    spdlog::error("route {} returned no body sink (request {})", ex.route, ex.request_id);
    Response response = internal_error(ex.request_id);
    co_return co_await respond(ex, std::move(response), parser.is_done());
  }

  bool body_read = parser.is_done();
  if (!body_read) {
    if (continue_expected && !co_await send_continue(ex)) {
      co_return Next::kClose;
    }
    std::optional<Response> refusal;
    BodyOutcome outcome = BodyOutcome::kComplete;
    if (const auto length = parser.content_length_remaining(); length && !parser.chunked()) {
      outcome = co_await read_sized_body(ex, *length, *sink, refusal);
    } else {
      outcome = co_await read_chunked_body(parser, ex, *sink, refusal);
    }
    if (outcome != BodyOutcome::kComplete) {
      sink.reset();  // discards the partial upload
      co_return co_await body_failed(ex, outcome, std::move(refusal));
    }
    body_read = true;
  }

  Response response;
  if (auto failure = guarded(ex, [&] { response = sink->finish(); })) {
    response = std::move(*failure);
  }
  sink.reset();
  co_return co_await respond(ex, std::move(response), body_read);
}

asio::awaitable<Server::Impl::Connection::Next> Server::Impl::Connection::body_failed(
    Exchange& ex, BodyOutcome outcome, std::optional<Response> refusal) {
  Response response;
  switch (outcome) {
    case BodyOutcome::kTooLarge:
      response = error_response(413, "payload_too_large",
                                "the request body is above this endpoint's limit");
      break;
    case BodyOutcome::kMalformed:
      response = error_response(400, "bad_request", "the request body is not validly framed");
      break;
    case BodyOutcome::kRefused:
      response = refusal ? std::move(*refusal) : internal_error(ex.request_id);
      break;
    case BodyOutcome::kTimedOut:
      ex.status = kTimedOutStatus;  // too slow to be worth an answer
      record(ex);
      co_return Next::kClose;
    case BodyOutcome::kClientGone:
    case BodyOutcome::kComplete:
      ex.status = kClientClosedStatus;
      record(ex);
      co_return Next::kClose;
  }
  co_return co_await respond(ex, std::move(response), false);
}

asio::awaitable<Server::Impl::Connection::Next> Server::Impl::Connection::refuse_head(
    Exchange& ex, const error_code& ec, const Parser& parser) {
  ex.request_id = new_request_id();
  if (auto refusal = refusal_for_head_error(ec, parser, options_)) {
    Response response = std::move(*refusal);
    co_return co_await respond(ex, std::move(response), false);
  }
  if (ec == beast::error::timeout) {
    ex.status = kTimedOutStatus;  // a client this slow is not worth an answer
    record(ex);
  }
  co_return Next::kClose;  // timed out, or the client went away
}

template <class F>
std::optional<Response> Server::Impl::Connection::guarded(const Exchange& ex, F&& f) {
  RequestIdScope scope(ex.request_id);
  const util::RequestOriginScope origin({ex.client.empty() ? client_ : ex.client, ex.user_agent});
  try {
    std::forward<F>(f)();
    return std::nullopt;
  } catch (const std::exception& e) {
    spdlog::error("unhandled exception answering {} {} (request {}): {}", ex.method, ex.route,
                  ex.request_id, e.what());
  } catch (...) {
    spdlog::error("unhandled non-standard exception answering {} {} (request {})", ex.method,
                  ex.route, ex.request_id);
  }
  return internal_error(ex.request_id);
}

std::optional<Response> Server::Impl::Connection::write_to_sink(const Exchange& ex, BodySink& sink,
                                                                std::string_view chunk) {
  std::optional<Response> refusal;
  auto failure = guarded(ex, [&] {
    const auto written = sink.write(chunk);
    if (written.has_error()) {
      refusal = response_for(written.error());
    }
  });
  return failure ? std::move(failure) : std::move(refusal);
}

void Server::Impl::Connection::start_sink_write(const std::shared_ptr<SinkWrite>& write,
                                                const Exchange& ex, BodySink& sink,
                                                std::string_view piece) {
  write->running = true;
  write->done = false;
  asio::post(server_.body_pool_, [this, write, &ex, &sink, piece] {
    auto answer = write_to_sink(ex, sink, piece);
    asio::post(write->signal.get_executor(), [write, answer = std::move(answer)]() mutable {
      write->refusal = std::move(answer);
      write->done = true;
      write->signal.cancel();
    });
  });
}

asio::awaitable<BodyOutcome> Server::Impl::Connection::sink_writes_done(
    const std::shared_ptr<SinkWrite>& write, BodyOutcome outcome,
    std::optional<Response>& refusal) {
  // Never leave while the pool still writes from the connection's buffers into the sink.
  co_await finished(*write);
  if (write->refusal && (outcome == BodyOutcome::kComplete || outcome == BodyOutcome::kRefused)) {
    outcome = BodyOutcome::kRefused;
    refusal = std::move(write->refusal);
  }
  co_return outcome;
}

asio::awaitable<BodyOutcome> Server::Impl::Connection::read_sized_body(
    Exchange& ex, std::uint64_t length, BodySink& sink, std::optional<Response>& refusal) {
  const auto spare = std::make_unique<char[]>(kChunkBytes);
  const std::array<char*, 2> buffers{chunk(), spare.get()};
  std::size_t current = 0;
  std::size_t filled = 0;
  std::uint64_t remaining = length;
  // Bytes that arrived with the head; what follows the body is the next request's.
  if (buffer_.size() > 0) {
    const auto take =
        static_cast<std::size_t>(std::min<std::uint64_t>({buffer_.size(), remaining, kChunkBytes}));
    asio::buffer_copy(asio::buffer(buffers[0], take), buffer_.data());
    buffer_.consume(take);
    filled = take;
    remaining -= take;
  }
  // Shared with the pool's job, which posts its outcome back after this frame may be gone.
  const auto write = std::make_shared<SinkWrite>(socket_.get_executor());
  const auto started = Clock::now();
  std::uint64_t received = 0;
  auto outcome = BodyOutcome::kComplete;
  for (;;) {
    if (filled == kChunkBytes || (remaining == 0 && filled > 0)) {
      co_await finished(*write);  // the sink takes chunks one at a time, in order
      if (write->refusal) {
        outcome = BodyOutcome::kRefused;
        break;
      }
      start_sink_write(write, ex, sink, std::string_view(buffers[current], filled));
      current ^= 1U;
      filled = 0;
    }
    if (remaining == 0) {
      break;
    }
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining, kChunkBytes - filled));
    watchdog_.expire_after(options_.io_timeout);
    error_code ec;
    const std::size_t got = co_await socket_.async_read_some(
        asio::buffer(buffers[current] + filled, want), with_error(ec));
    note_timeout(ec);
    if (ec) {
      outcome = ec == beast::error::timeout ? BodyOutcome::kTimedOut : BodyOutcome::kClientGone;
      break;
    }
    ex.bytes_in += got;
    received += got;
    filled += got;
    remaining -= got;
    if (remaining > 0 && too_slow(started, received)) {
      outcome = BodyOutcome::kTimedOut;
      break;
    }
  }
  co_return co_await sink_writes_done(write, outcome, refusal);
}

asio::awaitable<BodyOutcome> Server::Impl::Connection::read_chunked_body(
    Parser& parser, Exchange& ex, BodySink& sink, std::optional<Response>& refusal) {
  const auto spare = std::make_unique<char[]>(kChunkBytes);
  const std::array<char*, 2> buffers{chunk(), spare.get()};
  std::size_t current = 0;
  BodyChunks chunks(buffers[current], kChunkBytes);
  const auto write = std::make_shared<SinkWrite>(socket_.get_executor());
  const auto started = Clock::now();
  std::uint64_t received = 0;
  auto outcome = BodyOutcome::kComplete;
  while (!parser.is_done()) {
    chunks.prepare(parser);
    if (const auto stop = co_await read_body_some(parser, ex, started, received)) {
      outcome = *stop;
      break;
    }
    if (const auto piece = chunks.take(parser)) {
      co_await finished(*write);  // the sink takes chunks one at a time, in order
      if (write->refusal) {
        outcome = BodyOutcome::kRefused;
        break;
      }
      start_sink_write(write, ex, sink, *piece);
      current ^= 1U;
      chunks = BodyChunks(buffers[current], kChunkBytes);
    }
  }
  co_return co_await sink_writes_done(write, outcome, refusal);
}

asio::awaitable<BodyOutcome> Server::Impl::Connection::read_body(
    Parser& parser, Exchange& ex, const std::function<bool(std::string_view)>& consume) {
  BodyChunks chunks(chunk(), kChunkBytes);
  const auto started = Clock::now();
  std::uint64_t received = 0;
  while (!parser.is_done()) {
    chunks.prepare(parser);
    if (const auto stop = co_await read_body_some(parser, ex, started, received)) {
      co_return *stop;
    }
    if (const auto piece = chunks.take(parser)) {
      if (!consume(*piece)) {
        co_return BodyOutcome::kRefused;
      }
    }
  }
  co_return BodyOutcome::kComplete;
}

asio::awaitable<std::optional<BodyOutcome>> Server::Impl::Connection::read_body_some(
    Parser& parser, Exchange& ex, Clock::time_point started, std::uint64_t& received) {
  watchdog_.expire_after(options_.io_timeout);
  error_code ec;
  const auto got = co_await bhttp::async_read_some(socket_, buffer_, parser, with_error(ec));
  note_timeout(ec);
  ex.bytes_in += got;
  received += got;
  if (!ec && !parser.is_done() && too_slow(started, received)) {
    co_return BodyOutcome::kTimedOut;
  }
  co_return body_read_outcome(ec);
}

bool Server::Impl::Connection::too_slow(Clock::time_point started, std::uint64_t received) const {
  const auto elapsed = Clock::now() - started;
  if (options_.min_body_rate == 0 || elapsed <= options_.body_rate_grace) {
    return false;
  }
  const double seconds = std::chrono::duration<double>(elapsed - options_.body_rate_grace).count();
  return static_cast<double>(received) < seconds * static_cast<double>(options_.min_body_rate);
}

asio::awaitable<bool> Server::Impl::Connection::send_continue(Exchange& ex) {
  watchdog_.expire_after(options_.io_timeout);
  error_code ec;
  ex.bytes_out += co_await asio::async_write(
      socket_, asio::buffer(kContinue.data(), kContinue.size()), with_error(ec));
  note_timeout(ec);
  if (ec) {
    ex.status = kClientClosedStatus;
    record(ex);
    co_return false;
  }
  co_return true;
}

asio::awaitable<Server::Impl::Connection::Next> Server::Impl::Connection::respond(Exchange& ex,
                                                                                  Response response,
                                                                                  bool body_read) {
  const bool keep_alive = ex.keep_alive && body_read && !server_.stopping_;
  const Sent sent = co_await send(ex, std::move(response), keep_alive);
  record(ex);
  switch (sent) {
    case Sent::kKeepAlive:
      co_return Next::kContinue;
    case Sent::kClose:
      co_return body_read ? Next::kClose : Next::kDrainThenClose;
    case Sent::kFailed:
      break;
  }
  co_return Next::kClose;
}

asio::awaitable<Server::Impl::Connection::Sent> Server::Impl::Connection::send(Exchange& ex,
                                                                               Response response,
                                                                               bool keep_alive) {
  if (response.status < 100 || response.status > 599) {
    spdlog::error("route {} answered with invalid status {} (request {})", ex.route,
                  response.status, ex.request_id);
    response = internal_error(ex.request_id);
  }
  if (response.file && (!response.file->file || response.file->file->get() < 0)) {
    spdlog::error("route {} answered with a file response without a file (request {})", ex.route,
                  ex.request_id);
    response = internal_error(ex.request_id);
  }
  ex.status = response.status;

  for (const auto& [name, value] : response.headers) {
    if (beast::iequals(name, "Connection") && beast::iequals(value, "close")) {
      keep_alive = false;
    }
  }
  if (response.stream && bodyless_status(response.status)) {
    response.stream = nullptr;  // these statuses never have a body
  }
  if (response.stream && !response.stream_length && ex.version < 11) {
    keep_alive = false;  // HTTP/1.0 has no chunked coding: the body ends when the connection does
  }

  error_code ec;
  if (!response.stream && !response.file) {
    ex.bytes_out += co_await send_body(ex, response, keep_alive, ec);
  } else {
    bhttp::response<bhttp::string_body> message;
    message.version(ex.version >= 11 ? 11 : 10);
    message.result(response.status);
    for_each_field(ex, response, [&](std::string_view name, std::string_view value) {
      message.insert(name, value);
    });
    message.keep_alive(keep_alive);
    if (response.stream) {
      ex.bytes_out += co_await send_stream(ex, message, response, ec);
    } else {
      ex.bytes_out += co_await send_file(ex, message, *response.file, ec);
    }
  }
  if (ec) {
    co_return Sent::kFailed;
  }
  co_return keep_alive ? Sent::kKeepAlive : Sent::kClose;
}

template <class Add>
void Server::Impl::Connection::for_each_field(const Exchange& ex, const Response& response,
                                              Add&& add) const {
  bool nosniff = false;
  bool hsts = false;
  for (const auto& [name, value] : response.headers) {
    if (beast::iequals(name, "Connection") || beast::iequals(name, "Content-Length") ||
        beast::iequals(name, "Transfer-Encoding")) {
      continue;  // the server frames the body and decides about the connection itself
    }
    if (beast::iequals(name, "Server") || beast::iequals(name, kRequestIdField)) {
      continue;  // the server's own
    }
    if (!safe_header(name, value)) {
      spdlog::error("dropping response header {} with a line break (request {})", name,
                    ex.request_id);
      continue;
    }
    nosniff = nosniff || beast::iequals(name, "X-Content-Type-Options");
    hsts = hsts || beast::iequals(name, "Strict-Transport-Security");
    add(name, value);
  }
  add("Server", "vestibule");
  add(kRequestIdField, ex.request_id);
  if (!nosniff) {
    add("X-Content-Type-Options", "nosniff");
  }
  if (options_.secure && !hsts) {
    add("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  }
}

asio::awaitable<std::size_t> Server::Impl::Connection::send_body(const Exchange& ex,
                                                                 const Response& response,
                                                                 bool keep_alive, error_code& ec) {
  // The head is written by hand into one string: the most frequent answer then costs one
  // allocation for its head and one gathered write with its body, and no Beast field list.
  const bool http11 = ex.version >= 11;
  const std::string_view body = response.body_bytes();
  std::string head;
  head.reserve(512);
  head += http11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  fmt::format_to(std::back_inserter(head), "{} ", response.status);
  head += bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  head += "\r\n";
  for_each_field(ex, response, [&head](std::string_view name, std::string_view value) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  });
  const bool bodyless = bodyless_status(response.status);
  if (!bodyless) {
    fmt::format_to(std::back_inserter(head), "Content-Length: {}\r\n", body.size());
  }
  if (http11 && !keep_alive) {
    head += "Connection: close\r\n";
  } else if (!http11 && keep_alive) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  const bool with_body = !bodyless && !ex.head && !body.empty();
  const std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head),
      with_body ? asio::buffer(body.data(), body.size()) : asio::const_buffer()};
  watchdog_.expire_after(options_.io_timeout);
  const std::size_t written = co_await asio::async_write(socket_, buffers, with_error(ec));
  note_timeout(ec);
  co_return written;
}

asio::awaitable<std::size_t> Server::Impl::Connection::send_file(
    const Exchange& ex, bhttp::response<bhttp::string_body>& message, const FileRange& range,
    error_code& ec) {
  message.content_length(range.length);
  std::size_t written = 0;
  if (!ex.head && range.length <= kChunkBytes) {
    // A small body goes out with the head in one write (one system call, one packet).
    std::string body(static_cast<std::size_t>(range.length), '\0');
    if (auto read = util::pread_exact(range.file->get(), body.data(), body.size(), range.offset);
        !read) {
      spdlog::error("route {}: {} (request {})", ex.route, read.error().message, ex.request_id);
      ec = asio::error::make_error_code(asio::error::broken_pipe);
      co_return written;
    }
    message.body() = std::move(body);
    watchdog_.expire_after(options_.io_timeout);
    written += co_await bhttp::async_write(socket_, message, with_error(ec));
    note_timeout(ec);
    co_return written;
  }
  {
    bhttp::response_serializer<bhttp::string_body> serializer{message};
    watchdog_.expire_after(options_.io_timeout);
    written += co_await bhttp::async_write_header(socket_, serializer, with_error(ec));
    note_timeout(ec);
  }
  if (ec || ex.head) {
    co_return written;
  }
  char* const buffer = chunk();
  const int fd = range.file->get();
  std::uint64_t offset = range.offset;
  std::uint64_t remaining = range.length;
  while (remaining > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, kChunkBytes));
    ssize_t got = 0;
    do {
      got = ::pread(fd, buffer, want, static_cast<off_t>(offset));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
      const std::string reason =
          got < 0 ? std::generic_category().message(errno) : std::string("unexpected end of file");
      spdlog::error("reading the file for route {} failed at offset {}: {} (request {})", ex.route,
                    offset, reason, ex.request_id);
      ec = asio::error::make_error_code(asio::error::broken_pipe);  // abort the response
      co_return written;
    }
    const auto size = static_cast<std::size_t>(got);
    watchdog_.expire_after(options_.io_timeout);
    written += co_await asio::async_write(socket_, asio::buffer(buffer, size), with_error(ec));
    note_timeout(ec);
    if (ec) {
      co_return written;
    }
    offset += size;
    remaining -= size;
  }
  co_return written;
}

asio::awaitable<std::size_t> Server::Impl::Connection::send_stream(
    const Exchange& ex, bhttp::response<bhttp::string_body>& message, const Response& response,
    error_code& ec) {
  const BodyProducer& produce = response.stream;
  const auto& length = response.stream_length;  // when known: Content-Length, no chunks
  const bool chunked = !length && ex.version >= 11;
  if (length) {
    message.content_length(*length);
  } else {
    message.chunked(chunked);
  }
  std::size_t written = 0;
  std::uint64_t body_bytes = 0;
  const auto cut_short = [&](std::string_view why) {
    spdlog::error(
        "the body of {} {} failed after {} bytes; the response was cut short: {} "
        "(request {})",
        ex.method, ex.route, body_bytes, why, ex.request_id);
    ec = asio::error::make_error_code(asio::error::broken_pipe);  // abort the response
  };
  {
    bhttp::response_serializer<bhttp::string_body> serializer{message};
    watchdog_.expire_after(options_.io_timeout);
    written += co_await bhttp::async_write_header(socket_, serializer, with_error(ec));
    note_timeout(ec);
  }
  if (ec || ex.head) {
    co_return written;
  }
  for (;;) {
    std::optional<Result<std::optional<std::string>>> next;
    if (response.stream_blocks) {
      // On the body pool; this coroutine waits without holding its event loop.
      co_await asio::co_spawn(
          server_.body_pool_.get_executor(),
          [&]() -> asio::awaitable<void> {
            next.emplace(next_piece(ex, produce));
            co_return;
          },
          asio::use_awaitable);
    } else {
      next.emplace(next_piece(ex, produce));
    }
    if (!*next) {
      cut_short(next->error().message);
      co_return written;
    }
    const std::optional<std::string> piece = std::move(*next).value();
    if (!piece) {
      break;
    }
    if (piece->empty()) {
      continue;  // an empty chunk would end the body
    }
    if (length && piece->size() > *length - body_bytes) {
      cut_short("the producer delivered more than the declared " + std::to_string(*length) +
                " bytes");
      co_return written;
    }
    body_bytes += piece->size();
    watchdog_.expire_after(options_.io_timeout);
    if (chunked) {
      const auto framed = bhttp::make_chunk(asio::const_buffer(piece->data(), piece->size()));
      written += co_await asio::async_write(socket_, framed, with_error(ec));
      note_timeout(ec);
    } else {
      written += co_await asio::async_write(
          socket_, asio::const_buffer(piece->data(), piece->size()), with_error(ec));
      note_timeout(ec);
    }
    if (ec) {
      co_return written;
    }
  }
  if (length && body_bytes != *length) {
    cut_short("the producer ended before the declared " + std::to_string(*length) + " bytes");
    co_return written;
  }
  if (chunked) {
    const auto last = bhttp::make_chunk_last();
    watchdog_.expire_after(options_.io_timeout);
    written += co_await asio::async_write(socket_, last, with_error(ec));
    note_timeout(ec);
  }
  co_return written;
}

Result<std::optional<std::string>> Server::Impl::Connection::next_piece(
    const Exchange& ex, const BodyProducer& produce) {
  RequestIdScope scope(ex.request_id);
  try {
    return produce();
  } catch (const std::exception& e) {
    return fail(Errc::kInternal, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return fail(Errc::kInternal, "unexpected non-standard exception");
  }
}

asio::awaitable<void> Server::Impl::Connection::drain() {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    co_return;
  }
  idle_ = true;  // stop() may close a draining connection at once
  watchdog_.expire_after(kLingerTime);
  while (!ec) {
    co_await socket_.async_read_some(asio::buffer(chunk(), kChunkBytes), with_error(ec));
    note_timeout(ec);
  }
  idle_ = false;
}

void Server::Impl::Connection::record(const Exchange& ex) {
  const auto duration =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - ex.start);
  server_.metrics_.record_request(ex.route, ex.status, duration, ex.bytes_in, ex.bytes_out);
  server_.access_log_.write(AccessLogEntry{ex.client.empty() ? client_ : ex.client, ex.method,
                                           ex.path, ex.route, ex.request_id, ex.status, ex.bytes_in,
                                           ex.bytes_out, duration});
}

// ---------------------------------------------------------------------------------------------
// Impl

Server::Impl::Impl(ServerOptions options, const Router& router, Metrics& metrics)
    : options_(std::move(options)),
      router_(router),
      metrics_(metrics),
      access_log_(options_.access_log),
      threads_(options_.threads != 0 ? options_.threads
                                     : std::max(1U, std::thread::hardware_concurrency())),
      ioc_(1),
      control_(asio::make_strand(ioc_)),
      acceptor_(control_),
      signals_(control_),
      grace_timer_(control_),
      heavy_pool_(std::max(1U, options_.heavy_threads)),
      body_pool_(threads_) {
  util::crypto_init();  // request ids come from the CSPRNG
  for (unsigned i = 1; i < threads_; ++i) {
    other_loops_.push_back(std::make_unique<asio::io_context>(1));
    keep_running_.push_back(asio::make_work_guard(*other_loops_.back()));
  }
}

Server::Impl::~Impl() {
  {
    std::lock_guard lock(mutex_);
    tearing_down_ = true;
  }
  stopping_ = true;
  error_code ec;
  acceptor_.close(ec);
}

void Server::Impl::bind() {
  const auto where = fmt::format("{}:{}", options_.host, options_.port);
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(ioc_);
    const auto results =
        resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      throw std::runtime_error(fmt::format("cannot listen on {}: the host does not resolve ({})",
                                           where, ec ? ec.message() : "no address"));
    }
    endpoint = results.begin()->endpoint();
  }
  const auto check = [&](std::string_view step) {
    if (ec) {
      error_code ignored;
      acceptor_.close(ignored);
      throw std::runtime_error(
          fmt::format("cannot listen on {}: {} failed: {}", where, step, ec.message()));
    }
  };
  acceptor_.open(endpoint.protocol(), ec);
  check("open");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  check("setting SO_REUSEADDR");
  acceptor_.bind(endpoint, ec);
  check("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  check("listen");
  port_ = acceptor_.local_endpoint(ec).port();
  check("reading the bound address");
  // From here a client may be told the server listens and send SIGTERM at once: the signal is
  // caught now and handled (a graceful stop) as soon as run() waits for it.
  signals_.add(SIGINT, ec);
  signals_.add(SIGTERM, ec);
}

void Server::Impl::run() {
  if (!acceptor_.is_open()) {
    bind();
  }
  signals_.async_wait([this](const error_code& ec, int signal) {
    if (!ec) {
      spdlog::info("received signal {}; finishing in-flight requests", signal);
      stop();
    }
  });
  asio::co_spawn(control_, accept_loop(),
                 [](std::exception_ptr error) { log_escaped_exception(error, "the accept loop"); });

  std::vector<std::thread> workers;
  workers.reserve(other_loops_.size());
  for (auto& loop : other_loops_) {
    workers.emplace_back([&loop] { run_worker(*loop); });
  }
  run_worker(ioc_);
  stop_loops();  // the first loop stopped: so do the others
  for (auto& worker : workers) {
    worker.join();
  }
  // A heavy handler can outlive the loops when the grace period ran out while it hashed. The
  // caller tears down what handlers use (the outbox worker, the hooks that wake it) as soon as
  // run() returns, so run() returns only once no handler runs any more, as for handlers on the
  // loops. Its connection's event loop is stopped: the coroutine it would resume is destroyed with
  // it.
  heavy_pool_.join();
  body_pool_.join();

  // No thread runs the loop any more: close what is left (connections past the grace period).
  error_code ec;
  acceptor_.close(ec);
  signals_.clear(ec);
  for (const auto& connection : live_connections()) {
    connection->close_now();
  }
}

void Server::Impl::run_worker(asio::io_context& loop) {
  for (;;) {
    try {
      loop.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("unexpected exception in the HTTP server loop: {}", e.what());
    } catch (...) {
      spdlog::error("unexpected non-standard exception in the HTTP server loop");
    }
  }
}

void Server::Impl::stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  asio::post(control_, [this] {
    error_code ec;
    acceptor_.close(ec);
    signals_.clear(ec);  // a second signal gets the default action: terminate at once
    grace_timer_.expires_after(options_.shutdown_grace);
    grace_timer_.async_wait([this](const error_code& wait_ec) {
      if (wait_ec) {
        return;
      }
      const auto remaining = live_connections();
      spdlog::warn("shutdown grace period over; closing {} connection(s)", remaining.size());
      for (const auto& connection : remaining) {
        connection->force_close();
      }
      grace_timer_.expires_after(kForceStopDelay);
      grace_timer_.async_wait([this](const error_code& ec2) {
        if (!ec2) {
          stop_loops();
        }
      });
    });
  });
  const auto live = live_connections();
  if (live.empty()) {
    stop_loops();
    return;
  }
  for (const auto& connection : live) {
    connection->close_if_idle();
  }
}

asio::awaitable<void> Server::Impl::accept_loop() {
  while (!stopping_) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(next_loop(), with_error(ec));
    if (stopping_ || ec == asio::error::operation_aborted) {
      break;
    }
    if (ec) {
      // Typically out of file descriptors: pause instead of spinning.
      spdlog::warn("accepting a connection failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(with_error(ec));
      continue;
    }
    try {
      start_connection(tcp::socket(std::move(socket)));
    } catch (const std::exception& e) {
      spdlog::error("could not start serving a connection: {}", e.what());
    }
  }
}

void Server::Impl::start_connection(tcp::socket socket) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) {
    return;  // already gone
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    if (connections_.size() >= options_.max_connections) {
      spdlog::warn("refusing a connection from {}: {} connections are open", client_address(remote),
                   connections_.size());
      socket.close(ec);
      return;
    }
    auto client = client_address(remote);
    auto& open_from_client = per_client_[client];
    if (open_from_client >= options_.max_connections_per_client &&
        !util::in_networks(options_.trusted_proxies, client)) {
      spdlog::warn("refusing a connection from {}: it has {} connections open", client,
                   open_from_client);
      socket.close(ec);
      return;
    }
    ++open_from_client;
    const auto id = next_id_++;
    client_of_.emplace(id, client);
    connection = std::make_shared<Connection>(*this, std::move(socket), id, std::move(client));
    connections_.emplace(id, connection);
  }
  const auto executor = connection->executor();
  asio::co_spawn(executor, Connection::serve(std::move(connection)),
                 [](std::exception_ptr error) { log_escaped_exception(error, "a connection"); });
}

void Server::Impl::connection_ended(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  connections_.erase(id);
  if (const auto client = client_of_.find(id); client != client_of_.end()) {
    if (const auto count = per_client_.find(client->second);
        count != per_client_.end() && --count->second == 0) {
      per_client_.erase(count);
    }
    client_of_.erase(client);
  }
  if (stopping_ && connections_.empty() && !tearing_down_) {
    stop_loops();
  }
}

asio::io_context& Server::Impl::next_loop() {
  const std::size_t i = next_loop_.fetch_add(1, std::memory_order_relaxed) % threads_;
  return i == 0 ? ioc_ : *other_loops_[i - 1];
}

void Server::Impl::stop_loops() {
  ioc_.stop();
  for (auto& loop : other_loops_) {
    loop->stop();
  }
}

std::vector<std::shared_ptr<Server::Impl::Connection>> Server::Impl::live_connections() {
  std::vector<std::shared_ptr<Connection>> live;
  std::lock_guard lock(mutex_);
  live.reserve(connections_.size());
  for (const auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) {
      live.push_back(std::move(connection));
    }
  }
  return live;
}

// ---------------------------------------------------------------------------------------------
// Server

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() = default;

void Server::bind() { impl_->bind(); }

std::uint16_t Server::port() const { return impl_->port(); }

void Server::allow_hosts(std::vector<std::string> hosts) { impl_->allow_hosts(std::move(hosts)); }

void Server::run() { impl_->run(); }

void Server::stop() { impl_->stop(); }

}  // namespace vestibule::http
