// Router: the table of routes. Patterns are literal segments and `{param}` segments, each
// parameter matching exactly one percent-decoded path segment. Built once at start-up, then
// read concurrently without locks.
#pragma once

#include "http/message.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vestibule::http {

using Handler = std::function<Response(Request&)>;
// A streaming route sees the request headers only; it answers at once (an error) or returns a
// sink that receives the body.
using StreamHandler = std::function<std::variant<Response, std::unique_ptr<BodySink>>(Request&)>;

struct Route {
  bhttp::verb method = bhttp::verb::get;
  std::string pattern;         // e.g. "/api/v1/items/{id}/content"; also the metrics label
  std::size_t body_limit = 0;  // bytes; for buffered routes the body is read whole up to this
  Handler handler;             // buffered route
  StreamHandler stream;        // streaming route (uploads); exactly one of the two is set
  // CPU-heavy (password hashing): the handler runs on the server's bounded worker pool, never on
  // an event-loop thread, so it cannot stall other connections.
  bool heavy = false;
};

struct RouteMatch {
  const Route* route = nullptr;  // null when nothing matched
  std::vector<std::string> params;
  std::vector<bhttp::verb> allowed;  // path matched but not the method: the methods that would
};

class Router {
 public:
  void add(Route route);
  void get(std::string pattern, Handler h, std::size_t body_limit = 0);
  void post(std::string pattern, Handler h, std::size_t body_limit);
  void patch(std::string pattern, Handler h, std::size_t body_limit);
  void del(std::string pattern, Handler h);
  void put_stream(std::string pattern, StreamHandler h, std::size_t body_limit);
  // Answers GET (and so HEAD; other methods get 405 Allow: GET) for every path no route matches,
  // except the reserved prefixes of SPEC §5 (/api, /dav, /healthz, /readyz, /metrics), which keep
  // their JSON 404: the web app owns every other path. `label` names it in metrics and the access
  // log.
  void fallback(std::string label, Handler h);
  // Marks the buffered route `method pattern` heavy (Route::heavy); throws when there is none.
  void heavy(bhttp::verb method, std::string_view pattern);

  // `path` is the raw (percent-encoded) path without the query.
  [[nodiscard]] RouteMatch match(bhttp::verb method, std::string_view path) const;
  [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;  // pattern segments, parallel to routes_
  // Indices of the routes with n segments at [n], in the order added: a path is compared only
  // with the patterns of its own length.
  std::vector<std::vector<std::size_t>> by_length_;
  std::optional<Route> fallback_;
};

}  // namespace vestibule::http
