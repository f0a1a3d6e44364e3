#include "http/server.hpp"

#include "http/request_context.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace vestibule::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using ClientResponse = bhttp::response<bhttp::string_body>;

constexpr std::size_t kSmallLimit = 1024;
constexpr std::size_t kUploadLimit = 64 * 1024 * 1024;
constexpr std::size_t kMaxSinkChunk = 256 * 1024;

// A one-shot flag threads can wait on.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Ends the process if a test hangs: a server bug must fail the run, not stall it.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "server_test: test did not finish within %lld s\n",
                         static_cast<long long>(limit.count()));
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// A plain synchronous Beast client.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  ClientResponse request(bhttp::verb method, const std::string& target, std::string body = {},
                         const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    bhttp::request<bhttp::string_body> message{method, target, 11};
    message.set(bhttp::field::host, "test");
    for (const auto& [name, value] : headers) {
      message.set(name, value);
    }
    message.body() = std::move(body);
    message.prepare_payload();
    bhttp::write(socket_, message);
    return read_response(method == bhttp::verb::head);
  }

  ClientResponse get(const std::string& target) { return request(bhttp::verb::get, target); }

  void send_raw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  tcp::socket& socket() { return socket_; }

  ClientResponse read_response(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);
    parser.body_limit(16 * 1024 * 1024);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

  // True when the server closed the connection (end of stream or reset) with nothing to read.
  bool closed_by_server() {
    if (buffer_.size() != 0) {
      return false;
    }
    char byte = 0;
    beast::error_code ec;
    const auto n = socket_.read_some(asio::buffer(&byte, 1), ec);
    return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

nlohmann::json json_of(const ClientResponse& response) {
  return nlohmann::json::parse(response.body());
}

std::string error_code_of(const ClientResponse& response) {
  return json_of(response)["error"]["code"].get<std::string>();
}

// Counts what a streamed upload delivered.
struct UploadStats {
  std::mutex mutex;
  std::size_t bytes = 0;
  std::size_t chunks = 0;
  std::size_t largest_chunk = 0;
  std::string received;  // every byte, in the order the sink got them
  // Writes made on the thread that made the sink (its route's handler: the event loop).
  std::size_t writes_on_loop = 0;
  int finished = 0;
  int discarded = 0;
};

class CountingSink : public BodySink {
 public:
  CountingSink(std::shared_ptr<UploadStats> stats, bool fail_writes)
      : stats_(std::move(stats)), fail_writes_(fail_writes) {}
  ~CountingSink() override {
    if (!finished_) {
      std::lock_guard lock(stats_->mutex);
      ++stats_->discarded;
    }
  }
  CountingSink(const CountingSink&) = delete;
  CountingSink& operator=(const CountingSink&) = delete;

  Result<void> write(std::string_view chunk) override {
    if (fail_writes_) {
      return fail(Errc::kUnavailable, "the disk is full; try again later");
    }
    std::lock_guard lock(stats_->mutex);
    if (std::this_thread::get_id() == made_on_) {
      ++stats_->writes_on_loop;
    }
    stats_->bytes += chunk.size();
    ++stats_->chunks;
    stats_->largest_chunk = std::max(stats_->largest_chunk, chunk.size());
    stats_->received.append(chunk);
    return outcome::success();
  }

  Response finish() override {
    finished_ = true;
    std::lock_guard lock(stats_->mutex);
    ++stats_->finished;
    return Response::json(201, {{"bytes", stats_->bytes}});
  }

 private:
  std::shared_ptr<UploadStats> stats_;
  bool fail_writes_;
  bool finished_ = false;
  std::thread::id made_on_ = std::this_thread::get_id();
};

std::string file_contents() {
  std::string content(700 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  }
  return content;
}

constexpr std::uint64_t kFileOffset = 1000;
constexpr std::uint64_t kFileLength = 600 * 1024;

// The pieces a producer body makes: of different sizes, one of them empty.
std::vector<std::string> produced_pieces() {
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < 40; ++i) {
    pieces.push_back(std::string((i * 7919) % 70000, static_cast<char>('a' + i % 26)));
  }
  return pieces;
}

std::string produced_body() {
  std::string all;
  for (const auto& piece : produced_pieces()) {
    all += piece;
  }
  return all;
}

// A producer that hands out `pieces`, then fails with `failure` if one is given, else ends;
// `calls` counts its calls.
BodyProducer producer(std::vector<std::string> pieces, std::optional<Error> failure,
                      std::shared_ptr<std::atomic<int>> calls) {
  auto next = std::make_shared<std::size_t>(0);
  return [pieces = std::move(pieces), failure = std::move(failure), calls = std::move(calls),
          next]() -> Result<std::optional<std::string>> {
    ++*calls;
    if (*next < pieces.size()) {
      return std::optional<std::string>(pieces[(*next)++]);
    }
    if (failure) {
      return fail(*failure);
    }
    return std::optional<std::string>();
  };
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/vestibule-server-test-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    file_path_ = path;
    const auto content = file_contents();
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);

    router_.get("/hello", [](Request&) {
      Response response;
      response.body = "hello";
      response.set("Content-Type", "text/plain");
      return response;
    });
    router_.get("/shared", [this](Request&) {
      Response response;
      response.shared_body = shared_;
      response.body = "ignored while a shared body is set";
      return response;
    });
    router_.get("/echo", [](Request& request) {
      return Response::json(200, {{"request_id", request.request_id},
                                  {"current_request_id", std::string(current_request_id())},
                                  {"params", request.params},
                                  {"query", request.query},
                                  {"client", request.client_address}});
    });
    router_.get("/items/{id}", [](Request& request) {
      return Response::json(200, {{"id", request.params.at(0)}});
    });
    router_.post(
        "/small",
        [](Request& request) {
          return Response::json(200, {{"received", request.body.size()}});
        },
        kSmallLimit);
    router_.get("/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.get("/slow", [this](Request&) {
      slow_entered_.open();
      slow_release_.wait();
      return Response::json(200, {{"slow", true}});
    });
    router_.get("/heavy", [this](Request&) {
      heavy_entered_.open();
      heavy_release_.wait();
      return Response::json(200, {{"heavy", true}});
    });
    router_.heavy(bhttp::verb::get, "/heavy");
    router_.get("/file", [this](Request&) {
      const int file = ::open(file_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (file < 0) {
        throw std::runtime_error("cannot open the test file");
      }
      Response response;
      response.status = 206;
      response.set("Content-Type", "application/octet-stream");
      response.file = FileRange{std::make_shared<FileHandle>(file), kFileOffset, kFileLength};
      return response;
    });
    router_.get("/produced", [this](Request&) {
      Response response;
      response.set("Content-Type", "text/plain");
      response.stream = producer(produced_pieces(), std::nullopt, produced_calls_);
      return response;
    });
    router_.get("/produced-then-fails", [this](Request&) {
      Response response;
      response.stream =
          producer({std::string(1000, 'x'), std::string(1000, 'y')},
                   make_error(Errc::kUnavailable, "the database went away"), produced_calls_);
      return response;
    });
    router_.get("/produced-then-throws", [](Request&) {
      Response response;
      auto calls = std::make_shared<int>(0);
      response.stream = [calls]() -> Result<std::optional<std::string>> {
        if ((*calls)++ == 0) {
          return std::optional<std::string>(std::string(500, 'z'));
        }
        throw std::runtime_error("boom");
      };
      return response;
    });
    // A body of declared length, as a blob store without file descriptors serves one; `delta`
    // bytes are declared more (a producer that ends early) or fewer (one that delivers too much).
    for (const auto& [target, delta] : std::initializer_list<std::pair<const char*, int>>{
             {"/sized", 0}, {"/sized-ends-early", 1}, {"/sized-delivers-more", -1}}) {
      router_.get(target, [this, delta = delta](Request&) {
        Response response;
        response.set("Content-Type", "application/octet-stream");
        const auto handler_thread = std::this_thread::get_id();
        auto inner = producer(produced_pieces(), std::nullopt, produced_calls_);
        response.stream = [inner, handler_thread,
                           off_loop = sized_off_loop_]() -> Result<std::optional<std::string>> {
          if (std::this_thread::get_id() == handler_thread) {
            *off_loop = false;
          }
          return inner();
        };
        response.stream_length = produced_body().size() + delta;
        response.stream_blocks = true;
        return response;
      });
    }
    router_.put_stream(
        "/upload/{name}",
        [this](Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
          return std::make_unique<CountingSink>(uploads_, false);
        },
        kUploadLimit);
    router_.put_stream(
        "/failing/{name}",
        [this](Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
          return std::make_unique<CountingSink>(uploads_, true);
        },
        kUploadLimit);
    router_.put_stream(
        "/refuse/{name}",
        [](Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
          return error_response(403, "forbidden", "you may not write here");
        },
        kUploadLimit);

    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 4;
    options.access_log = AccessLogFormat::kOff;
    start(options);
  }

  void TearDown() override {
    slow_release_.open();
    heavy_release_.open();
    shut_down();
    ::unlink(file_path_.c_str());
  }

  void start(const ServerOptions& options) {
    server_ = std::make_unique<Server>(options, router_, metrics_);
    server_->bind();
    std::promise<void> finished;
    finished_ = finished.get_future();
    runner_ = std::thread([this, done = std::move(finished)]() mutable {
      server_->run();
      done.set_value();
    });
  }

  void shut_down() {
    if (server_) {
      server_->stop();
      runner_.join();
      server_.reset();
    }
  }

  void restart(const ServerOptions& options) {
    shut_down();
    start(options);
  }

  [[nodiscard]] std::uint16_t port() const { return server_->port(); }

  Watchdog watchdog_{std::chrono::seconds(60)};
  Router router_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
  std::future<void> finished_;
  std::string file_path_;
  std::shared_ptr<const std::string> shared_ =
      std::make_shared<const std::string>(std::string(4096, 's') + "end");
  Gate slow_entered_;
  Gate slow_release_;
  Gate heavy_entered_;
  Gate heavy_release_;
  std::shared_ptr<UploadStats> uploads_ = std::make_shared<UploadStats>();
  std::shared_ptr<std::atomic<int>> produced_calls_ = std::make_shared<std::atomic<int>>(0);
  // False once a blocking producer ran on the thread of its route's handler (the event loop).
  std::shared_ptr<std::atomic<bool>> sized_off_loop_ = std::make_shared<std::atomic<bool>>(true);
};

ServerOptions test_options() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.access_log = AccessLogFormat::kOff;
  return options;
}

TEST_F(ServerTest, BindsAnEphemeralPort) { EXPECT_NE(port(), 0); }

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Client client(port());
  const auto first = client.get("/hello");
  EXPECT_EQ(first.result_int(), 200U);
  EXPECT_EQ(first.body(), "hello");
  EXPECT_TRUE(first.keep_alive());
  const auto second = client.get("/items/42");
  EXPECT_EQ(second.result_int(), 200U);
  EXPECT_EQ(json_of(second)["id"], "42");
}

TEST_F(ServerTest, EveryResponseCarriesStandardHeaders) {
  Client client(port());
  const auto response = client.get("/hello");
  EXPECT_EQ(response[bhttp::field::server], "vestibule");
  EXPECT_EQ(response["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(response[bhttp::field::content_length], "5");
  EXPECT_FALSE(response["X-Request-Id"].empty());
  EXPECT_EQ(response.count(bhttp::field::strict_transport_security), 0U);
}

TEST_F(ServerTest, SecureServerAddsHsts) {
  auto options = test_options();
  options.secure = true;
  restart(options);
  Client client(port());
  const auto response = client.get("/nope");
  EXPECT_EQ(response[bhttp::field::strict_transport_security],
            "max-age=31536000; includeSubDomains");
}

TEST_F(ServerTest, ValidIncomingRequestIdIsKept) {
  Client client(port());
  const auto response =
      client.request(bhttp::verb::get, "/echo?x=1", {}, {{"X-Request-Id", "abc.DEF_123-x"}});
  EXPECT_EQ(response["X-Request-Id"], "abc.DEF_123-x");
  const auto body = json_of(response);
  EXPECT_EQ(body["request_id"], "abc.DEF_123-x");
  EXPECT_EQ(body["current_request_id"], "abc.DEF_123-x");
  EXPECT_EQ(body["query"], "x=1");
  EXPECT_EQ(body["client"], "127.0.0.1");
}

TEST_F(ServerTest, InvalidIncomingRequestIdIsReplaced) {
  Client client(port());
  const auto response =
      client.request(bhttp::verb::get, "/echo", {}, {{"X-Request-Id", "has space/and slash"}});
  const std::string id(response["X-Request-Id"]);
  EXPECT_NE(id, "has space/and slash");
  EXPECT_GE(id.size(), 1U);
  EXPECT_LE(id.size(), 64U);
  EXPECT_EQ(json_of(response)["request_id"], id);
}

TEST_F(ServerTest, UnknownPathIs404Json) {
  Client client(port());
  const auto response = client.get("/nope");
  EXPECT_EQ(response.result_int(), 404U);
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  EXPECT_EQ(error_code_of(response), "not_found");
  EXPECT_TRUE(response.keep_alive());
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  Client client(port());
  const auto response = client.request(bhttp::verb::delete_, "/hello");
  EXPECT_EQ(response.result_int(), 405U);
  EXPECT_EQ(response[bhttp::field::allow], "GET, HEAD");
  EXPECT_EQ(error_code_of(response), "method_not_allowed");
}

TEST_F(ServerTest, HeadAnswersLikeGetWithoutBody) {
  Client client(port());
  const auto response = client.request(bhttp::verb::head, "/hello");
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(response[bhttp::field::content_length], "5");
  EXPECT_TRUE(response.body().empty());
  // The connection is still usable: no stray body bytes were sent.
  EXPECT_EQ(client.get("/hello").body(), "hello");
}

TEST_F(ServerTest, ASharedBodyIsSentAsItsBytesAndStaysWithItsOwner) {
  Client client(port());
  for (int i = 0; i < 2; ++i) {
    const auto response = client.get("/shared");
    EXPECT_EQ(response.result_int(), 200U);
    EXPECT_EQ(response[bhttp::field::content_length], std::to_string(shared_->size()));
    EXPECT_EQ(response.body(), *shared_);
  }
  const auto head = client.request(bhttp::verb::head, "/shared");
  EXPECT_EQ(head[bhttp::field::content_length], std::to_string(shared_->size()));
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(client.get("/hello").body(), "hello");
}

TEST_F(ServerTest, BufferedBodyReachesHandler) {
  Client client(port());
  const auto response = client.request(bhttp::verb::post, "/small", std::string(1000, 'x'));
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(json_of(response)["received"], 1000);
}

TEST_F(ServerTest, DeclaredHugeBodyIs413WithoutReadingIt) {
  Client client(port());
  client.send_raw(
      "POST /small HTTP/1.1\r\nHost: test\r\nContent-Length: 10000000000\r\n"
      "Content-Type: application/octet-stream\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 413U) << response.body();
  EXPECT_EQ(error_code_of(response), "payload_too_large");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_FALSE(response["X-Request-Id"].empty());
}

TEST_F(ServerTest, ChunkedBodyAboveLimitIs413) {
  Client client(port());
  std::string request = "POST /small HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) {
    request += "400\r\n" + std::string(1024, 'y') + "\r\n";
  }
  request += "0\r\n\r\n";
  client.send_raw(request);
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 413U);
  EXPECT_EQ(error_code_of(response), "payload_too_large");
}

TEST_F(ServerTest, ChunkedBodyWithinLimitIsRead) {
  Client client(port());
  client.send_raw(
      "POST /small HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(json_of(response)["received"], 11);
}

TEST_F(ServerTest, HugeHeaderIs431) {
  Client client(port());
  client.send_raw("GET /hello HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(20 * 1024, 'a') +
                  "\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 431U);
  EXPECT_EQ(error_code_of(response), "header_too_large");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(ServerTest, TooManyHeaderFieldsIs431) {
  Client client(port());
  std::string request = "GET /hello HTTP/1.1\r\nHost: test\r\n";
  for (int i = 0; i < 120; ++i) {
    request += "X-F" + std::to_string(i) + ": v\r\n";
  }
  client.send_raw(request + "\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 431U);
  EXPECT_EQ(error_code_of(response), "header_too_large");
}

TEST_F(ServerTest, LongRequestLineIs414) {
  Client client(port());
  client.send_raw("GET /" + std::string(9 * 1024, 'a') + " HTTP/1.1\r\nHost: test\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 414U);
  EXPECT_EQ(error_code_of(response), "uri_too_long");
}

TEST_F(ServerTest, RequestLineAboveHeaderLimitIs414) {
  Client client(port());
  client.send_raw("GET /" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\nHost: test\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 414U);
  EXPECT_EQ(error_code_of(response), "uri_too_long");
}

TEST_F(ServerTest, MalformedRequestIs400) {
  Client client(port());
  client.send_raw("THIS IS NOT HTTP\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 400U);
  EXPECT_EQ(error_code_of(response), "bad_request");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(ServerTest, ContentLengthWithTransferEncodingIs400) {
  Client client(port());
  client.send_raw(
      "POST /small HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 400U);
  EXPECT_EQ(error_code_of(response), "bad_request");
}

TEST_F(ServerTest, DifferingContentLengthsAre400) {
  Client client(port());
  client.send_raw(
      "POST /small HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
      "hello!");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 400U);
}

TEST_F(ServerTest, NonChunkedTransferEncodingIs400) {
  Client client(port());
  client.send_raw("POST /small HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 400U);
}

TEST_F(ServerTest, Http10WithoutKeepAliveCloses) {
  Client client(port());
  client.send_raw("GET /hello HTTP/1.0\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(response.body(), "hello");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ServerTest, StreamingRouteReceivesBodyInBoundedChunks) {
  Client client(port());
  const std::size_t size = 5 * 1024 * 1024;
  const auto response = client.request(bhttp::verb::put, "/upload/big.bin", std::string(size, 'z'));
  EXPECT_EQ(response.result_int(), 201U);
  EXPECT_EQ(json_of(response)["bytes"], size);
  std::lock_guard lock(uploads_->mutex);
  EXPECT_EQ(uploads_->bytes, size);
  EXPECT_GE(uploads_->chunks, size / kMaxSinkChunk);
  EXPECT_LE(uploads_->largest_chunk, kMaxSinkChunk);
  EXPECT_EQ(uploads_->finished, 1);
  EXPECT_EQ(uploads_->discarded, 0);
}

TEST_F(ServerTest, ASizedBodyReachesTheSinkInOrderAndTheRequestAfterItIsAnswered) {
  std::string expected;
  Client client(port());
  // A body that arrives with its head and one read past it, each followed by the next request in
  // the same write: the server must take exactly Content-Length bytes as the body and keep the
  // rest for the next request.
  for (const std::size_t size : {std::size_t{1000}, std::size_t{1024 * 1024 + 3}}) {
    std::string body(size, '\0');
    for (std::size_t i = 0; i < body.size(); ++i) {
      body[i] = static_cast<char>((i + size) % 251);
    }
    client.send_raw("PUT /upload/a.bin HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body +
                    "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n");
    expected += body;
    const auto uploaded = client.read_response();
    EXPECT_EQ(uploaded.result_int(), 201U);
    EXPECT_TRUE(uploaded.keep_alive());
    const auto next = client.read_response();
    EXPECT_EQ(next.result_int(), 200U);
    EXPECT_EQ(next.body(), "hello");
  }
  std::lock_guard lock(uploads_->mutex);
  EXPECT_EQ(uploads_->bytes, expected.size());
  EXPECT_TRUE(uploads_->received == expected);
  EXPECT_LE(uploads_->largest_chunk, kMaxSinkChunk);
  EXPECT_EQ(uploads_->writes_on_loop, 0U) << "a sink write ran on the event loop";
}

TEST_F(ServerTest, AChunkedBodyReachesTheSinkInOrderOffTheEventLoop) {
  // Chunks of odd sizes across several of the server's buffers, then the next request in the
  // same write.
  std::string body(1024 * 1024 + 4321, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>((i * 13 + i / 1021) % 251);
  }
  std::string request =
      "PUT /upload/c.bin HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0, n = 1; at < body.size(); at += n, n = n * 3 % 70001 + 1) {
    const auto piece = body.substr(at, n);
    std::ostringstream size;
    size << std::hex << piece.size();
    request += size.str() + "\r\n" + piece + "\r\n";
  }
  request += "0\r\n\r\nGET /hello HTTP/1.1\r\nHost: test\r\n\r\n";
  Client client(port());
  client.send_raw(request);
  const auto uploaded = client.read_response();
  EXPECT_EQ(uploaded.result_int(), 201U);
  EXPECT_EQ(json_of(uploaded)["bytes"], body.size());
  EXPECT_EQ(client.read_response().body(), "hello");
  std::lock_guard lock(uploads_->mutex);
  EXPECT_TRUE(uploads_->received == body);
  EXPECT_LE(uploads_->largest_chunk, kMaxSinkChunk);
  EXPECT_GE(uploads_->chunks, body.size() / kMaxSinkChunk);
  EXPECT_EQ(uploads_->writes_on_loop, 0U) << "a sink write ran on the event loop";
  EXPECT_EQ(uploads_->finished, 1);
}

TEST_F(ServerTest, ExpectContinueIsAnsweredOnceTheSinkAccepts) {
  Client client(port());
  const std::string body(300 * 1024, 'q');
  client.send_raw(
      "PUT /upload/a.bin HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  const auto interim = client.read_response();
  EXPECT_EQ(interim.result_int(), 100U);
  client.send_raw(body);
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 201U);
  EXPECT_EQ(json_of(response)["bytes"], body.size());
}

TEST_F(ServerTest, RefusedStreamAnswersBeforeTheBody) {
  Client client(port());
  client.send_raw(
      "PUT /refuse/a.bin HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
      "Content-Length: 1048576\r\n\r\n");
  const auto response = client.read_response();  // no 100 Continue first
  EXPECT_EQ(response.result_int(), 403U);
  EXPECT_EQ(error_code_of(response), "forbidden");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(ServerTest, AClientThatSendsAWholeRefusedBodyBeforeReadingStillGetsTheAnswer) {
  // Larger than the socket buffers hold, so the body goes through only if the server keeps
  // reading after its answer.
  constexpr std::size_t kBodyBytes = 16 * 1024 * 1024;
  Client client(port());
  client.send_raw("PUT /refuse/a.bin HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                  std::to_string(kBodyBytes) + "\r\n\r\n" + std::string(kBodyBytes, 'r'));
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 403U);
  EXPECT_EQ(error_code_of(response), "forbidden");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(ServerTest, SinkWriteFailureMapsToStatusAndDiscards) {
  Client client(port());
  client.send_raw("PUT /failing/a.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 524288\r\n\r\n" +
                  std::string(512 * 1024, 'f'));
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 503U);
  EXPECT_EQ(error_code_of(response), "unavailable");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.closed_by_server());
  std::lock_guard lock(uploads_->mutex);
  EXPECT_EQ(uploads_->discarded, 1);
  EXPECT_EQ(uploads_->finished, 0);
}

TEST_F(ServerTest, ClientLeavingMidUploadDiscardsTheSink) {
  {
    Client client(port());
    client.send_raw("PUT /upload/a.bin HTTP/1.1\r\nHost: test\r\nContent-Length: 4194304\r\n\r\n" +
                    std::string(100 * 1024, 'p'));
  }  // disconnects with most of the body unsent
  // The server notices the disconnect; wait for it by making the server busy with another request
  // until the discarded sink shows up.
  for (int attempt = 0; attempt < 500; ++attempt) {
    {
      std::lock_guard lock(uploads_->mutex);
      if (uploads_->discarded == 1) {
        break;
      }
    }
    Client probe(port());
    EXPECT_EQ(probe.get("/hello").result_int(), 200U);
  }
  std::lock_guard lock(uploads_->mutex);
  EXPECT_EQ(uploads_->discarded, 1);
  EXPECT_EQ(uploads_->finished, 0);
}

TEST_F(ServerTest, FileResponseStreamsTheRange) {
  Client client(port());
  const auto response = client.get("/file");
  EXPECT_EQ(response.result_int(), 206U);
  EXPECT_EQ(response[bhttp::field::content_length], std::to_string(kFileLength));
  EXPECT_EQ(response.body(), file_contents().substr(kFileOffset, kFileLength));
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(client.get("/hello").body(), "hello");  // framing intact after the file
}

TEST_F(ServerTest, HeadOfFileResponseSendsNoBody) {
  Client client(port());
  const auto response = client.request(bhttp::verb::head, "/file");
  EXPECT_EQ(response.result_int(), 206U);
  EXPECT_EQ(response[bhttp::field::content_length], std::to_string(kFileLength));
  EXPECT_EQ(client.get("/hello").body(), "hello");
}

TEST_F(ServerTest, ProducedBodyIsSentChunkedPieceByPiece) {
  Client client(port());
  const auto response = client.get("/produced");
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_TRUE(response.chunked());
  EXPECT_EQ(response.count(bhttp::field::content_length), 0U);
  EXPECT_EQ(response.body(), produced_body());
  EXPECT_EQ(*produced_calls_, static_cast<int>(produced_pieces().size()) + 1);
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(client.get("/hello").body(), "hello");  // framing intact after the last chunk
}

TEST_F(ServerTest, HeadOfProducedBodyNeverCallsTheProducer) {
  Client client(port());
  const auto response = client.request(bhttp::verb::head, "/produced");
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(*produced_calls_, 0);
  EXPECT_EQ(client.get("/hello").body(), "hello");
}

TEST_F(ServerTest, Http10GetsTheProducedBodyEndedByClosing) {
  Client client(port());
  client.send_raw("GET /produced HTTP/1.0\r\n\r\n");
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_FALSE(response.chunked());
  EXPECT_EQ(response.body(), produced_body());
  EXPECT_TRUE(client.closed_by_server());
}

// GET `target` must end in a message cut short (the connection closed mid-body), and the server
// must go on serving other connections.
void expect_cut_short(std::uint16_t port, const char* target) {
  SCOPED_TRACE(target);
  Client client(port);
  client.send_raw(std::string("GET ") + target + " HTTP/1.1\r\nHost: test\r\n\r\n");
  try {
    client.read_response();
    ADD_FAILURE() << "a complete response";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), bhttp::error::partial_message) << e.code().message();
  }
  Client other(port);
  EXPECT_EQ(other.get("/hello").result_int(), 200U);
}

TEST_F(ServerTest, ProducerFailureCutsTheResponseShortAndCloses) {
  // The status line went out before the failure; the server closes the connection before the
  // body's last chunk, so the client sees the message end early.
  for (const char* target : {"/produced-then-fails", "/produced-then-throws"}) {
    expect_cut_short(port(), target);
  }
}

TEST_F(ServerTest, ProducedBodyOfDeclaredLengthIsSentWithContentLengthOffTheEventLoop) {
  Client client(port());
  const auto response = client.get("/sized");
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_FALSE(response.chunked());
  EXPECT_EQ(response[bhttp::field::content_length], std::to_string(produced_body().size()));
  EXPECT_EQ(response.body(), produced_body());
  EXPECT_TRUE(response.keep_alive());
  EXPECT_TRUE(*sized_off_loop_) << "a blocking producer ran on the event loop";
  EXPECT_EQ(client.get("/hello").body(), "hello");  // framing intact after the body

  // HTTP/1.0 knows the length too: the connection need not end the body.
  Client old(port());
  old.send_raw("GET /sized HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const auto response10 = old.read_response();
  EXPECT_EQ(response10[bhttp::field::content_length], std::to_string(produced_body().size()));
  EXPECT_EQ(response10.body(), produced_body());

  const auto head = client.request(bhttp::verb::head, "/sized");
  EXPECT_EQ(head[bhttp::field::content_length], std::to_string(produced_body().size()));
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(client.get("/hello").body(), "hello");
}

TEST_F(ServerTest, ProducedBodyOfAnotherLengthThanDeclaredIsCutShort) {
  // Never a body of the declared length with other bytes in it: the connection is closed before
  // the declared length is reached.
  for (const char* target : {"/sized-ends-early", "/sized-delivers-more"}) {
    expect_cut_short(port(), target);
  }
}

TEST_F(ServerTest, ThrowingHandlerIs500AndServerKeepsServing) {
  Client client(port());
  const auto response = client.get("/throw");
  EXPECT_EQ(response.result_int(), 500U);
  EXPECT_EQ(error_code_of(response), "internal");
  const std::string id(response["X-Request-Id"]);
  ASSERT_FALSE(id.empty());
  EXPECT_NE(json_of(response)["error"]["message"].get<std::string>().find(id), std::string::npos);
  EXPECT_EQ(client.get("/hello").result_int(), 200U);
  Client other(port());
  EXPECT_EQ(other.get("/hello").result_int(), 200U);
}

TEST_F(ServerTest, MetricsRecordRequestsAndConnections) {
  Client client(port());
  EXPECT_EQ(client.get("/items/1").result_int(), 200U);
  EXPECT_EQ(client.get("/nope").result_int(), 404U);  // recorded before this answer was read
  const auto text = metrics_.render();
  EXPECT_NE(text.find("vestibule_http_requests_total{route=\"/items/{id}\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("vestibule_http_request_duration_seconds_count{route=\"/items/{id}\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("vestibule_http_open_connections 1"), std::string::npos);
}

TEST_F(ServerTest, AccessLogDoesNotDisturbServing) {
  auto options = test_options();
  options.access_log = AccessLogFormat::kJson;
  restart(options);
  Client client(port());
  EXPECT_EQ(client.get("/s/TOKEN?secret=1").result_int(), 404U);
  EXPECT_EQ(client.get("/hello").result_int(), 200U);
}

TEST_F(ServerTest, ConnectionsAboveTheLimitAreClosed) {
  auto options = test_options();
  options.max_connections = 1;
  restart(options);
  Client first(port());
  EXPECT_EQ(first.get("/hello").result_int(), 200U);
  Client second(port());
  EXPECT_TRUE(second.closed_by_server());
  EXPECT_EQ(first.get("/hello").result_int(), 200U);
}

TEST_F(ServerTest, SlowHeadIsCutOffAfterHeaderTimeout) {
  auto options = test_options();
  options.header_timeout = std::chrono::seconds(1);
  restart(options);
  Client client(port());
  client.send_raw("GET /hello HTTP/1.1\r\nHost: te");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ServerTest, StopLetsInFlightRequestFinish) {
  Client client(port());
  client.send_raw("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n");
  slow_entered_.wait();
  server_->stop();
  // run() must wait for the handler.
  EXPECT_EQ(finished_.wait_for(200ms), std::future_status::timeout);
  slow_release_.open();
  const auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(json_of(response)["slow"], true);
  EXPECT_FALSE(response.keep_alive());  // Connection: close during shutdown
  EXPECT_EQ(finished_.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_THROW(Client late(port()), boost::system::system_error);  // no longer accepting
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnections) {
  Client client(port());
  EXPECT_TRUE(client.get("/hello").keep_alive());
  server_->stop();
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(finished_.wait_for(10s), std::future_status::ready);
}

TEST_F(ServerTest, StopForceClosesAfterGrace) {
  auto options = test_options();
  options.shutdown_grace = std::chrono::seconds(1);
  restart(options);
  Client client(port());
  client.send_raw("GET /hello HTTP/1.1\r\n");                         // a head that never ends
  EXPECT_EQ(finished_.wait_for(100ms), std::future_status::timeout);  // connection registered
  server_->stop();
  EXPECT_EQ(finished_.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(client.closed_by_server());
}

TEST(ServerBind, UnusableAddressThrowsClearly) {
  Router router;
  Metrics metrics;
  ServerOptions options;
  options.host = "203.0.113.1";  // TEST-NET-3: not an address of this host
  options.port = 0;
  Server server(options, router, metrics);
  try {
    server.bind();
    FAIL() << "bind() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("203.0.113.1"), std::string::npos);
  }
}

TEST(ServerBind, ASigtermRightAfterBindIsAGracefulStopOnceRunStarts) {
  Router router;
  Metrics metrics;
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  Server server(options, router, metrics);
  server.bind();  // what a start-up announces as "listening"
  // A supervisor may stop the server the moment it is announced, before run() has started:
  // without the signal caught at bind(), SIGTERM's default action would end this process.
  ASSERT_EQ(std::raise(SIGTERM), 0);
  auto ran = std::async(std::launch::async, [&server] { server.run(); });
  if (ran.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    server.stop();
    ran.wait();
    FAIL() << "run() did not stop on the SIGTERM received before it started";
  }
}

TEST_F(ServerTest, HeavyRoutesRunOffTheEventLoopsWithinABound) {
  auto options = test_options();
  options.threads = 1;  // one event loop: a handler running on it would stall everything
  options.heavy_threads = 1;
  options.max_heavy_in_flight = 1;
  restart(options);
  std::thread first([this] {
    Client client(port());
    const auto response = client.get("/heavy");
    EXPECT_EQ(response.result_int(), 200);
  });
  heavy_entered_.wait();
  // While the heavy handler runs, the only event loop still answers...
  Client other(port());
  EXPECT_EQ(other.get("/hello").result_int(), 200);
  // ...and a heavy request past the bound is turned away at once, with when to come back.
  const auto busy = other.get("/heavy");
  EXPECT_EQ(busy.result_int(), 503);
  EXPECT_EQ(error_code_of(busy), "unavailable");
  EXPECT_EQ(busy[bhttp::field::retry_after], "1");
  heavy_release_.open();
  first.join();
  EXPECT_EQ(other.get("/heavy").result_int(), 200);  // the slot is free again
}

// The grace period runs out while a heavy handler still works on the pool: run() waits for it,
// since whoever called run() frees what handlers use as soon as it returns.
TEST_F(ServerTest, RunReturnsOnlyOnceNoHeavyHandlerRunsAnyMore) {
  auto options = test_options();
  options.shutdown_grace = std::chrono::seconds(1);
  restart(options);
  Client client(port());
  client.send_raw("GET /heavy HTTP/1.1\r\nHost: test\r\n\r\n");
  heavy_entered_.wait();
  server_->stop();
  // Past the grace period (1 s) and the forced stop's delay (1 s), the handler still runs.
  EXPECT_EQ(finished_.wait_for(4s), std::future_status::timeout);
  heavy_release_.open();
  EXPECT_EQ(finished_.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ServerTest, ABodyTricklingBelowTheMinimumRateIsCutOff) {
  auto options = test_options();
  options.body_rate_grace = std::chrono::seconds(1);
  options.min_body_rate = 1000;  // after 1 s, 1000 bytes for every further second
  restart(options);
  Client client(port());
  client.send_raw(
      "POST /small HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n"
      "Content-Type: application/json\r\n\r\n");
  // A byte now and then, each well within the I/O timeout: the average is what gives it away.
  // (The pauses make the client slow; the outcome does not depend on how long they last.)
  bool cut = false;
  for (int i = 0; i < 6 && !cut; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    boost::system::error_code ec;
    asio::write(client.socket(), asio::buffer("x", 1), ec);
    cut = static_cast<bool>(ec);
  }
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ServerTest, ABodyAtAGoodRateIsNotCutOff) {
  auto options = test_options();
  options.body_rate_grace = std::chrono::seconds(0);
  options.min_body_rate = 1;  // any real client sends far faster
  restart(options);
  Client client(port());
  const auto response = client.request(bhttp::verb::post, "/small", std::string(1000, 'x'));
  EXPECT_EQ(response.result_int(), 200U);
}

TEST_F(ServerTest, OneClientAddressHoldsAtMostItsShareOfConnections) {
  auto options = test_options();
  options.max_connections_per_client = 2;
  restart(options);
  Client first(port());
  Client second(port());
  EXPECT_EQ(first.get("/hello").result_int(), 200U);
  EXPECT_EQ(second.get("/hello").result_int(), 200U);
  Client third(port());
  EXPECT_TRUE(third.closed_by_server());
  EXPECT_EQ(first.get("/hello").result_int(), 200U);  // the others are untouched
}

TEST_F(ServerTest, ManyFieldsAddingUpAboveTheHeadLimitAre431) {
  auto options = test_options();
  options.max_header_bytes = 16 * 1024;
  restart(options);
  Client client(port());
  std::vector<std::pair<std::string, std::string>> fields;
  for (int i = 0; i < 20; ++i) {  // 20 fields of 1 KiB: 20 KiB, each well under the limit
    fields.emplace_back("X-Field-" + std::to_string(i), std::string(1024, 'a'));
  }
  const auto response = client.request(bhttp::verb::get, "/hello", {}, fields);
  EXPECT_EQ(response.result_int(), 431U);
  EXPECT_EQ(error_code_of(response), "header_too_large");
  Client one_big(port());  // one field line above 8 KiB, the head under 16 KiB
  const auto big =
      one_big.request(bhttp::verb::get, "/hello", {}, {{"X-Big", std::string(9000, 'a')}});
  EXPECT_EQ(big.result_int(), 431U);
  Client small(port());
  fields.resize(10);  // 10 KiB: served
  EXPECT_EQ(small.request(bhttp::verb::get, "/hello", {}, fields).result_int(), 200U);
}

}  // namespace
}  // namespace vestibule::http
