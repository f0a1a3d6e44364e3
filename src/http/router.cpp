#include "http/router.hpp"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <boost/container/small_vector.hpp>

namespace vestibule::http {

namespace {

// A path's segments; on the stack for every route's length, so matching allocates nothing.
using Segments = boost::container::small_vector<std::string_view, 16>;

// "/a/b" → {"a","b"}; "/" → {""}; "/a/" → {"a",""} (so a trailing slash never matches "/a").
Segments split_path(std::string_view path) {
  Segments segments;
  if (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  for (;;) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_param(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Whether `path` fits `pattern`; a parameter matches exactly one non-empty segment.
bool fits(const std::vector<std::string>& pattern, std::span<const std::string_view> path) {
  if (pattern.size() != path.size()) {
    return false;
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      if (path[i].empty()) {
        return false;
      }
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

// True when `a` is more specific than `b`: at the first position where one has a literal and the
// other a parameter, the literal wins ("/items/search" before "/items/{id}").
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const bool a_param = is_param(a[i]);
    const bool b_param = is_param(b[i]);
    if (a_param != b_param) {
      return !a_param;
    }
  }
  return false;
}

// Paths the web app never answers (SPEC §5): a miss there is the API's JSON 404.
bool reserved(std::string_view path) {
  for (const std::string_view prefix : {"/api", "/dav", "/healthz", "/readyz", "/metrics"}) {
    if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

}  // namespace

void Router::fallback(std::string label, Handler h) {
  fallback_ = Route{bhttp::verb::get, std::move(label), 0, std::move(h), {}};
}

void Router::add(Route route) {
  if (route.pattern.empty() || route.pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + route.pattern);
  }
  if (static_cast<bool>(route.handler) == static_cast<bool>(route.stream)) {
    throw std::invalid_argument("route needs exactly one of handler and stream: " + route.pattern);
  }
  std::vector<std::string> segments;
  for (const auto segment : split_path(route.pattern)) {
    segments.emplace_back(segment);
  }
  if (by_length_.size() <= segments.size()) {
    by_length_.resize(segments.size() + 1);
  }
  by_length_[segments.size()].push_back(routes_.size());
  segments_.push_back(std::move(segments));
  routes_.push_back(std::move(route));
}

void Router::get(std::string pattern, Handler h, std::size_t body_limit) {
  add(Route{bhttp::verb::get, std::move(pattern), body_limit, std::move(h), {}});
}

void Router::heavy(bhttp::verb method, std::string_view pattern) {
  for (auto& route : routes_) {
    if (route.method == method && route.pattern == pattern && route.handler) {
      route.heavy = true;
      return;
    }
  }
  throw std::invalid_argument("no buffered route to mark heavy: " + std::string(pattern));
}

void Router::post(std::string pattern, Handler h, std::size_t body_limit) {
  add(Route{bhttp::verb::post, std::move(pattern), body_limit, std::move(h), {}});
}

void Router::patch(std::string pattern, Handler h, std::size_t body_limit) {
  add(Route{bhttp::verb::patch, std::move(pattern), body_limit, std::move(h), {}});
}

void Router::del(std::string pattern, Handler h) {
  add(Route{bhttp::verb::delete_, std::move(pattern), 0, std::move(h), {}});
}

void Router::put_stream(std::string pattern, StreamHandler h, std::size_t body_limit) {
  add(Route{bhttp::verb::put, std::move(pattern), body_limit, {}, std::move(h)});
}

RouteMatch Router::match(bhttp::verb method, std::string_view path) const {
  RouteMatch result;
  if (path.empty() || path.front() != '/') {
    return result;
  }
  const auto segments = split_path(path);
  std::size_t best = routes_.size();
  std::span<const std::size_t> candidates;  // none when no pattern is this long
  if (segments.size() < by_length_.size()) {
    candidates = by_length_[segments.size()];
  }
  for (const std::size_t i : candidates) {
    if (!fits(segments_[i], {segments.data(), segments.size()})) {
      continue;
    }
    if (routes_[i].method != method) {
      if (std::find(result.allowed.begin(), result.allowed.end(), routes_[i].method) ==
          result.allowed.end()) {
        result.allowed.push_back(routes_[i].method);
      }
      continue;
    }
    if (best == routes_.size() || more_specific(segments_[i], segments_[best])) {
      best = i;
    }
  }
  if (best == routes_.size()) {
    if (fallback_ && result.allowed.empty() && !reserved(path)) {
      if (method == bhttp::verb::get) {
        result.route = &*fallback_;
      } else {
        result.allowed.push_back(bhttp::verb::get);  // HEAD: GET without the body; others: 405
      }
    }
    return result;
  }
  result.route = &routes_[best];
  result.allowed.clear();
  const auto& pattern = segments_[best];
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      result.params.push_back(percent_decode(segments[i]));
    }
  }
  return result;
}

}  // namespace vestibule::http
