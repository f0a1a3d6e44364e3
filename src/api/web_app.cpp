// The web front end, served from the bundle embedded in the binary. Every path the API and the
// operational endpoints do not own gets the app's index.html (the app routes itself: `/`,
// `/s/{token}`, `/admin`, …); hashed assets are cached for a year, the HTML never without asking.
// Nothing is loaded from another origin, and the policy allows no inline script.
#include "api/routes.hpp"
#include "api/web_assets.hpp"
#include "util/crypto.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace vestibule::api {

namespace {

// The app's Content-Security-Policy: only this origin, no inline script or style element, no
// framing. Workers (pdf.js) come from 'self'; images and media may also be blob: and data: URLs
// the app makes itself.
constexpr std::string_view kAppPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; "
    "object-src 'none'; frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";

std::string_view content_type_of(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (ext == "html") {
    return "text/html; charset=utf-8";
  }
  if (ext == "js" || ext == "mjs") {
    return "text/javascript; charset=utf-8";
  }
  if (ext == "css") {
    return "text/css; charset=utf-8";
  }
  if (ext == "svg") {
    return "image/svg+xml";
  }
  if (ext == "png") {
    return "image/png";
  }
  if (ext == "ico") {
    return "image/x-icon";
  }
  if (ext == "woff2") {
    return "font/woff2";
  }
  if (ext == "json" || ext == "map") {
    return "application/json";
  }
  if (ext == "wasm") {
    return "application/wasm";
  }
  if (ext == "txt") {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

// Whether the client takes gzip (and did not refuse it with q=0).
bool accepts_gzip(std::string_view header) {
  const auto at = header.find("gzip");
  if (at == std::string_view::npos) {
    return false;
  }
  auto rest = header.substr(at + 4);
  const auto comma = rest.find(',');
  rest = rest.substr(0, comma);
  std::string compact;
  for (const char c : rest) {
    if (c != ' ') {
      compact += c;
    }
  }
  return compact != ";q=0" && compact != ";q=0.0" && compact != ";q=0.00" && compact != ";q=0.000";
}

struct Served {
  std::string_view body;
  std::string_view gzip;  // empty: none
  std::string etag;
  std::string_view content_type;
};

// The files of one bundle by URL path. Views point into the binary, or into `owned`.
struct Bundle {
  std::unordered_map<std::string, Served> files;
  std::vector<std::unique_ptr<std::string>> owned;

  void add(std::string path, std::string_view body, std::string_view gzip) {
    const std::string_view type = content_type_of(path);
    files.emplace(std::move(path),
                  Served{body, gzip, "\"" + util::sha256_hex(body).substr(0, 32) + "\"", type});
  }

  static Bundle embedded() {
    Bundle b;
    for (const auto& asset : generated::web_assets()) {
      b.add(std::string(asset.path), asset.body, asset.gzip);
    }
    return b;
  }

  // A Vite build folder, read whole (front-end development only).
  static Bundle from_folder(const std::filesystem::path& dir) {
    Bundle b;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file() || it->path().extension() == ".gz") {
        continue;
      }
      std::ifstream in(it->path(), std::ios::binary);
      auto body = std::make_unique<std::string>(std::istreambuf_iterator<char>(in),
                                                std::istreambuf_iterator<char>());
      const std::string path = "/" + std::filesystem::relative(it->path(), dir).generic_string();
      b.add(path, *body, {});
      b.owned.push_back(std::move(body));
    }
    return b;
  }
};

class WebApp {
 public:
  explicit WebApp(std::string web_dir) : web_dir_(std::move(web_dir)) {
    if (web_dir_.empty()) {
      bundle_ = Bundle::embedded();
    }
  }

  http::Response answer(const http::Request& req) const {
    if (!web_dir_.empty()) {
      const Bundle fresh = Bundle::from_folder(web_dir_);  // what the last front-end build wrote
      return answer_from(fresh, req);
    }
    return answer_from(bundle_, req);
  }

 private:
  static http::Response answer_from(const Bundle& bundle, const http::Request& req) {
    const auto& files = bundle.files;
    const std::string_view path = req.path;
    if (const auto it = files.find(std::string(path)); it != files.end() && path != "/index.html") {
      const bool hashed = path.starts_with("/assets/");
      return file(req, it->second,
                  hashed ? "public, max-age=31536000, immutable" : "public, max-age=86400");
    }
    if (path.starts_with("/assets/")) {
      // An asset of another build (a page loaded before an upgrade): say so plainly.
      http::Response r;
      r.status = 404;
      r.body = "This file is not part of this version of Vestibule. Reload the page.\n";
      r.set("Content-Type", "text/plain; charset=utf-8");
      r.set("Cache-Control", "no-store");
      r.set("X-Content-Type-Options", "nosniff");
      return r;
    }
    const auto index = files.find("/index.html");
    if (index == files.end()) {
      return http::error_response(503, "unavailable",
                                  "this build of Vestibule has no web interface; use the API");
    }
    auto r = file(req, index->second, "no-cache");
    r.set("Content-Security-Policy", std::string(kAppPolicy));
    r.set("Referrer-Policy", "no-referrer");  // /s/{token} carries the link's token
    r.set("X-Frame-Options", "DENY");
    return r;
  }

  static http::Response file(const http::Request& req, const Served& served,
                             std::string_view cache) {
    http::Response r;
    r.set("Cache-Control", std::string(cache));
    r.set("ETag", served.etag);
    r.set("Vary", "Accept-Encoding");
    r.set("X-Content-Type-Options", "nosniff");
    if (const auto inm = req.header("If-None-Match"); !inm.empty() && inm == served.etag) {
      r.status = 304;
      return r;
    }
    r.set("Content-Type", std::string(served.content_type));
    if (!served.gzip.empty() && accepts_gzip(req.header("Accept-Encoding"))) {
      r.set("Content-Encoding", "gzip");
      r.body = std::string(served.gzip);
    } else {
      r.body = std::string(served.body);
    }
    return r;
  }

  std::string web_dir_;
  Bundle bundle_;
};

}  // namespace

void add_web_routes(http::Router& router, const std::string& web_dir) {
  auto app = std::make_shared<const WebApp>(web_dir);
  router.fallback("web-app", [app](http::Request& req) { return app->answer(req); });
}

}  // namespace vestibule::api
