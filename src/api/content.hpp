// Sending file bytes: byte ranges (RFC 9110 §14), validators (ETag, If-None-Match, If-Range)
// and a Content-Disposition that survives any file name (RFC 6266 `filename*`).
#pragma once

#include "domain/files.hpp"
#include "http/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vestibule::api {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

// The single range a Range header asks for within `size` bytes: nullopt when the header is
// absent, malformed or asks for several ranges (the whole body is sent then, as RFC 9110
// allows); kRangeNotSatisfiable when it lies wholly outside.
Result<std::optional<ByteRange>> parse_range(std::string_view header, std::uint64_t size);

// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`.
std::string content_disposition(std::string_view name);

// The whole response for a file's bytes, honouring Range, If-Range and If-None-Match. Takes
// ownership of content.fd.
http::Response content_response(const http::Request& req, domain::FileContent content);

}  // namespace vestibule::api
