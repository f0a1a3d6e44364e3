// Server: the HTTP/1.1 front door on Boost.Beast/Asio. Keep-alive, a pool of worker threads,
// bounded request line and headers, per-route body limits (413 before the body is read), idle
// and slow-client timeouts, a request id on every request and log line, an access log, metrics,
// and graceful shutdown: stop() stops accepting, lets in-flight requests finish, then run()
// returns. run() may be called once; stop() from any thread or a signal handler's strand.
#pragma once

#include "http/metrics.hpp"
#include "http/router.hpp"
#include "util/net.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vestibule::http {

enum class AccessLogFormat { kText, kJson, kOff };

// The [http] configuration section.
struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; see Server::port()
  unsigned threads = 0;       // 0 = one per core
  std::size_t max_header_bytes =
      16 * 1024;  // request line + all headers; above it 431 (414 for the line)
  std::size_t max_request_line_bytes = 8 * 1024;
  std::size_t max_header_field_bytes = 8 * 1024;  // one field line; above it 431
  std::size_t max_header_fields = 100;
  std::chrono::seconds header_timeout{10};  // time to receive a whole request head
  std::chrono::seconds idle_timeout{60};    // keep-alive idle time between requests
  std::chrono::seconds io_timeout{
      30};  // no byte moved for this long while reading a body or writing a response
  std::chrono::seconds shutdown_grace{30};  // in-flight requests get this long after stop()
  std::size_t max_connections = 10000;
  // Open connections from one client address; more are closed at once. Not applied to trusted
  // proxies, which carry everyone's connections.
  std::size_t max_connections_per_client = 256;
  // A request body must keep coming at this many bytes per second on average once
  // `body_rate_grace` has passed since its first byte was awaited, or the connection is closed
  // (a client trickling a byte now and then would pass every idle timeout).
  std::size_t min_body_rate = 1024;
  std::chrono::seconds body_rate_grace{10};
  // Threads of the worker pool for heavy routes (Route::heavy), and how many heavy requests may be
  // running or waiting for it at once; past that they get 503 with Retry-After.
  unsigned heavy_threads = 2;
  std::size_t max_heavy_in_flight = 64;
  AccessLogFormat access_log = AccessLogFormat::kText;
  bool secure = false;  // public URL is https: adds HSTS
  // The Host header values requests may carry (lower case, "host:port" or "host"); others get
  // 421, so a page from another site cannot reach this server through a DNS name it controls.
  // /healthz, /readyz and /metrics answer any Host (probes often use the node's address). Empty:
  // no check.
  std::vector<std::string> allowed_hosts;
  // Peers whose X-Forwarded-For names the client (Request::client_address, the access log, every
  // throttle); empty: the peer is the client.
  std::vector<util::IpNetwork> trusted_proxies;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; throws with a clear message when the address is unusable.
  void bind();
  // The bound port (after bind()).
  [[nodiscard]] std::uint16_t port() const;
  // Sets ServerOptions::allowed_hosts once the port is known (after bind(), before run()).
  void allow_hosts(std::vector<std::string> hosts);
  // Serves until stop() and graceful completion; returns then. Handles SIGTERM and SIGINT itself.
  void run();
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vestibule::http
