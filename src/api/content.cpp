#include "api/content.hpp"

#include "api/errors.hpp"
#include "util/url.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <memory>

namespace vestibule::api {

namespace {

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

bool etag_matches(std::string_view header, std::string_view etag) {
  // A comma-separated list of entity tags, or "*"; weak comparison as RFC 9110 asks for GET.
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto tag = header.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') {
      tag.remove_prefix(1);
    }
    while (!tag.empty() && tag.back() == ' ') {
      tag.remove_suffix(1);
    }
    if (tag.starts_with("W/")) {
      tag.remove_prefix(2);
    }
    if (tag == "*" || tag == etag) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Result<std::optional<ByteRange>> parse_range(std::string_view header, std::uint64_t size) {
  using R = std::optional<ByteRange>;
  if (!header.starts_with("bytes=") || header.find(',') != std::string_view::npos) {
    return R{};
  }
  const auto spec = header.substr(6);
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) {
    return R{};
  }
  const auto first_text = spec.substr(0, dash);
  const auto last_text = spec.substr(dash + 1);
  const auto unsatisfiable = [] {
    return fail(Errc::kRangeNotSatisfiable,
                "the requested range lies outside the file; ask for bytes within its size");
  };
  if (first_text.empty()) {  // suffix: the last N bytes
    const auto suffix = parse_number(last_text);
    if (!suffix) {
      return R{};
    }
    if (*suffix == 0 || size == 0) {
      return unsatisfiable();
    }
    const auto n = std::min(*suffix, size);
    return R{ByteRange{size - n, n}};
  }
  const auto first = parse_number(first_text);
  if (!first) {
    return R{};
  }
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    const auto parsed = parse_number(last_text);
    if (!parsed || *parsed < *first) {
      return R{};
    }
    last = std::min(*parsed, last);
  }
  if (*first >= size) {
    return unsatisfiable();
  }
  return R{ByteRange{*first, last - *first + 1}};
}

std::string content_disposition(std::string_view name, std::string_view disposition) {
  constexpr std::string_view kBetween = "\"; filename*=UTF-8''";
  std::string out;
  out.reserve(disposition.size() + 12 + name.size() + kBetween.size() + 3 * name.size());
  out += disposition;
  out += "; filename=\"";
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '%') ? ch : '_';
  }
  out += kBetween;
  out += util::percent_encode(name);
  return out;
}

std::optional<std::string_view> viewable_type(std::string_view name) {
  struct Viewable {
    std::string_view extension;
    std::string_view type;
  };
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  static constexpr std::array kViewable = {
      // Images (never SVG: it is a document that can run script).
      Viewable{"png", "image/png"},
      Viewable{"jpg", "image/jpeg"},
      Viewable{"jpeg", "image/jpeg"},
      Viewable{"gif", "image/gif"},
      Viewable{"webp", "image/webp"},
      Viewable{"avif", "image/avif"},
      Viewable{"bmp", "image/bmp"},
      Viewable{"ico", "image/x-icon"},
      Viewable{"pdf", "application/pdf"},
      // Text, always as plain text: a .json, .xml or .md is never rendered as what it names.
      Viewable{"txt", kText},
      Viewable{"md", kText},
      Viewable{"csv", kText},
      Viewable{"log", kText},
      Viewable{"json", kText},
      Viewable{"xml", kText},
      Viewable{"yaml", kText},
      Viewable{"yml", kText},
      // Audio and video, played with range requests.
      Viewable{"mp3", "audio/mpeg"},
      Viewable{"m4a", "audio/mp4"},
      Viewable{"aac", "audio/aac"},
      Viewable{"ogg", "audio/ogg"},
      Viewable{"oga", "audio/ogg"},
      Viewable{"opus", "audio/ogg"},
      Viewable{"wav", "audio/wav"},
      Viewable{"flac", "audio/flac"},
      Viewable{"mp4", "video/mp4"},
      Viewable{"m4v", "video/mp4"},
      Viewable{"webm", "video/webm"},
      Viewable{"ogv", "video/ogg"},
      Viewable{"mov", "video/quicktime"},
  };
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= name.size()) {
    return std::nullopt;
  }
  std::string extension(name.substr(dot + 1));
  for (auto& c : extension) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const auto& v : kViewable) {
    if (v.extension == extension) {
      return v.type;
    }
  }
  return std::nullopt;
}

namespace {

// The bytes of `content` as `type` with the given Content-Disposition.
http::Response serve(const http::Request& req, const domain::FileContent& content,
                     std::string_view type, std::string_view disposition) {
  auto file = content.fd >= 0 ? std::make_shared<http::FileHandle>(content.fd) : nullptr;
  const std::string etag = "\"" + content.blob + "\"";
  const auto size = static_cast<std::uint64_t>(content.size);

  const auto common = [&](http::Response& r) {
    r.set("ETag", etag);
    r.set("Cache-Control", "no-store");
    r.set("X-Content-Type-Options", "nosniff");
    r.set("Accept-Ranges", "bytes");
  };

  if (const auto inm = req.header("If-None-Match"); !inm.empty() && etag_matches(inm, etag)) {
    auto r = http::Response::empty(304);
    common(r);
    return r;
  }

  std::optional<ByteRange> range;
  const auto if_range = req.header("If-Range");
  if (const auto header = req.header("Range");
      !header.empty() && (if_range.empty() || if_range == etag)) {
    auto parsed = parse_range(header, size);
    if (!parsed) {
      auto r = to_response(parsed.error());
      r.set("Content-Range", "bytes */" + std::to_string(size));
      return r;
    }
    range = parsed.value();
  }

  const std::uint64_t first = range ? range->first : 0;
  const std::uint64_t length = range ? range->length : size;
  // A store without file descriptors (S3): the range is streamed from it, one window at a time,
  // on the server's worker pool (each window is a request to the store). Opened here, before the
  // status is sent, so a store that is down or a missing blob still gets its own status.
  std::shared_ptr<domain::BlobReader> reader;
  if (!content.bytes && !file) {
    if (content.store == nullptr) {
      return to_response(make_error(Errc::kInternal, "the file's content was not opened"));
    }
    auto opened = content.store->read(content.blob, static_cast<std::int64_t>(first),
                                      static_cast<std::int64_t>(length));
    if (!opened) {
      return to_response(opened.error());
    }
    reader = std::move(opened).value();
  }

  http::Response r;
  r.headers.reserve(12);  // the content's own and those the API and the server add
  common(r);
  r.set("Content-Type", std::string(type));
  r.set("Content-Disposition", content_disposition(content.item.name, disposition));
  r.set("Content-Security-Policy", "sandbox");
  if (range) {
    r.status = 206;
    r.set("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                               std::to_string(range->first + range->length - 1) + "/" +
                               std::to_string(size));
  } else {
    r.status = 200;
  }
  if (content.bytes) {
    if (range) {
      r.body = content.bytes->substr(first, length);
    } else {
      r.shared_body = content.bytes;
    }
  } else if (file) {
    r.file = http::FileRange{file, first, length};
  } else {
    r.stream = [reader]() -> Result<std::optional<std::string>> {
      std::string chunk;
      VST_TRY(more, reader->next(chunk));
      if (!more) {
        return std::optional<std::string>{};
      }
      return std::optional<std::string>{std::move(chunk)};
    };
    r.stream_length = length;
    r.stream_blocks = true;
  }
  return r;
}

}  // namespace

http::Response content_response(const http::Request& req, const domain::FileContent& content) {
  return serve(req, content, "application/octet-stream", "attachment");
}

http::Response view_response(const http::Request& req, const domain::FileContent& content) {
  const auto type = viewable_type(content.item.name);
  if (!type) {
    if (content.fd >= 0) {
      const http::FileHandle close_it(content.fd);  // the response takes it only when served
    }
    return unsupported_media_type(
        "this type of file cannot be viewed in the browser; it can only be downloaded (the "
        "same path with /content instead of /view)");
  }
  return serve(req, content, *type, "inline");
}

}  // namespace vestibule::api
