// The stack's own ceiling for `make bench`: a bare Boost.Beast server on the same library, threads
// and coroutine style as Vestibule, answering every GET with the same 4 KiB from memory over
// keep-alive. No routing, no authorization, no database, no file: whatever Vestibule's link-4k
// figure lacks against this one is Vestibule's own work; what this one lacks against nginx is
// the stack's.
//
// Usage: vestibule-beast-anchor PORT [THREADS] [BYTES]   (prints "listening" once bound)
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>  // before asio's awaitable under g++ 12 (see src/http/server.cpp)
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<const std::string> payload) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::empty_body> request;
    co_await http::async_read(stream, buffer, request,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      break;
    }
    http::response<http::string_body> response(http::status::ok, request.version());
    response.set(http::field::content_type, "application/octet-stream");
    response.body() = *payload;
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) {
      break;
    }
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// Connections are dealt round-robin to one single-threaded io_context per thread, as
// Vestibule's server does.
asio::awaitable<void> accept(tcp::acceptor& acceptor,
                             std::vector<std::unique_ptr<asio::io_context>>& loops,
                             std::shared_ptr<const std::string> payload) {
  std::size_t next = 0;
  for (;;) {
    beast::error_code ec;
    asio::io_context& loop = *loops[next++ % loops.size()];
    tcp::socket socket =
        co_await acceptor.async_accept(loop, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(loop, serve(std::move(socket), payload), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: vestibule-beast-anchor PORT [THREADS] [BYTES]\n";
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const unsigned threads = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2]))
                                    : std::max(1U, std::thread::hardware_concurrency());
  const auto bytes = argc > 3 ? static_cast<std::size_t>(std::atoll(argv[3])) : std::size_t{4096};
  auto payload = std::make_shared<const std::string>(bytes, 'x');

  std::vector<std::unique_ptr<asio::io_context>> loops;
  for (unsigned i = 0; i < threads; ++i) {
    loops.push_back(std::make_unique<asio::io_context>(1));
  }
  asio::io_context& first = *loops.front();
  tcp::acceptor acceptor(first, {asio::ip::make_address("127.0.0.1"), port});
  acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(first, accept(acceptor, loops, payload), asio::detached);
  asio::signal_set signals(first, SIGINT, SIGTERM);
  signals.async_wait([&loops](const beast::error_code&, int) {
    for (auto& loop : loops) {
      loop->stop();
    }
  });
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep;
  for (auto& loop : loops) {
    keep.push_back(asio::make_work_guard(*loop));
  }
  std::cout << "listening on 127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&loops, i] { loops[i]->run(); });
  }
  first.run();
  for (auto& t : pool) {
    t.join();
  }
  return 0;
}
