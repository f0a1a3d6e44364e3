// The web front end's bundle (web/, built by Vite), embedded in the binary by scripts/build-web:
// every file of the bundle with a gzip copy, keyed by its URL path ("/index.html",
// "/assets/recipient-3f2a1c.js"). Immutable for the life of the process.
#pragma once

#include <span>
#include <string_view>

namespace vestibule::generated {

struct WebAsset {
  std::string_view path;
  std::string_view body;
  std::string_view gzip;
};

std::span<const WebAsset> web_assets();

}  // namespace vestibule::generated
