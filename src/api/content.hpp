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

// `<disposition>; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`, where
// disposition is `attachment` (downloads) or `inline` (viewing).
std::string content_disposition(std::string_view name, std::string_view disposition = "attachment");

// The Content-Type a file is viewed inline with, by its name's extension (case-insensitive), or
// nullopt when it may only be downloaded. The one allow-list of inline viewing: images (png,
// jpg, jpeg, gif, webp, avif, bmp, ico), pdf, plain text (txt, md, csv, log, json, xml, yaml,
// yml — all as `text/plain; charset=utf-8`, never as their own types), audio (mp3, m4a, aac,
// ogg, oga, opus, wav, flac) and video (mp4, m4v, webm, ogv, mov). Never SVG or HTML, which can
// carry script.
std::optional<std::string_view> viewable_type(std::string_view name);

// The whole response for a file's bytes to download (`application/octet-stream`, attachment),
// honouring Range, If-Range and If-None-Match. Takes ownership of content.fd; the rest of
// `content` is only read, so one opened content may answer several requests when it has no fd.
http::Response content_response(const http::Request& req, const domain::FileContent& content);

// The same for viewing in the browser: the real type from viewable_type() and `inline`, with the
// same nosniff, `sandbox`, no-store, Range and ETag handling; a file not on the allow-list gets
// `415 unsupported_media_type` (it can only be downloaded). Takes ownership of content.fd.
http::Response view_response(const http::Request& req, const domain::FileContent& content);

}  // namespace vestibule::api
