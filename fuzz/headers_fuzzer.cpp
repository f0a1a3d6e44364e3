// The request headers Vestibule reads itself: Range (with If-Range and If-None-Match) through the
// whole file response of api/content, Cookie (api::cookie_value), Authorization
// (api::bearer_credentials and the API token's form, domain::ApiTokens::well_formed),
// X-Forwarded-For behind trusted proxies (util/net) and the Host names a server answers for under
// a configuration the loader accepts (app/exposure). Values are taken from the input with
// FuzzedDataProvider.
//
// Properties: a Range is either ignored, refused with 416, or a non-empty range inside the file,
// and a 206 carries exactly those bytes with a matching Content-Range; no response header holds
// CR, LF or NUL; a cookie value never spans a ';'; bearer credentials are present exactly when the
// scheme is "Bearer" (in any case) and are the rest of the header without its outer spaces; a
// well-formed token is "vst_" and the canonical base64url of 32 bytes, and every such token
// sent in any spelling of the scheme reads back whole; the client behind proxies is always an IP
// address (the peer's or a hop's), never other text from the header; Host names are non-empty,
// lower case, and free of white space and control characters.
#include "api/content.hpp"
#include "api/input.hpp"
#include "app/config.hpp"
#include "app/exposure.hpp"
#include "check.hpp"
#include "domain/api_tokens.hpp"
#include "util/crypto.hpp"
#include "util/net.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <fuzzer/FuzzedDataProvider.h>

namespace {

using vestibule::http::Response;

// What Beast's parser can deliver as a field value: no CR, LF or NUL.
std::string field_value(FuzzedDataProvider& in, std::size_t max) {
  std::string value = in.ConsumeRandomLengthString(max);
  std::erase_if(value, [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
  return value;
}

std::string_view header_of(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

void check_headers_safe(const Response& response) {
  for (const auto& [key, value] : response.headers) {
    for (const char c : key + value) {
      FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    }
  }
}

void check_range(FuzzedDataProvider& in) {
  const auto header = field_value(in, 64);
  const auto size = in.ConsumeBool() ? in.ConsumeIntegral<std::uint64_t>()
                                     : in.ConsumeIntegralInRange<std::uint64_t>(0, 100);
  const auto range = vestibule::api::parse_range(header, size);
  if (!range) {
    FUZZ_CHECK(range.error().code == vestibule::Errc::kRangeNotSatisfiable);
    return;
  }
  if (range.value()) {
    const auto [first, length] = *range.value();
    FUZZ_CHECK(length >= 1 && first < size && length <= size - first);
  }
}

void check_content(FuzzedDataProvider& in) {
  vestibule::http::Request request;
  const char* names[] = {"Range", "If-Range", "If-None-Match"};
  for (const char* name : names) {
    if (in.ConsumeBool()) {
      request.headers.set(name, field_value(in, 48));
    }
  }
  vestibule::domain::FileContent content;
  content.item.name = in.ConsumeRandomLengthString(64);
  content.blob = in.ConsumeBool() ? "abc" : field_value(in, 8);
  const auto bytes = std::make_shared<const std::string>(in.ConsumeRandomLengthString(200));
  content.bytes = bytes;
  content.size = static_cast<std::int64_t>(bytes->size());

  const bool view = in.ConsumeBool();
  const Response response = view ? vestibule::api::view_response(request, content)
                                 : vestibule::api::content_response(request, content);
  check_headers_safe(response);
  FUZZ_CHECK(response.status == 200 || response.status == 206 || response.status == 304 ||
             response.status == 416 || (view && response.status == 415));
  if (response.status == 200) {
    FUZZ_CHECK(response.body_bytes() == *bytes);
  }
  if (response.status == 206) {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t total = 0;
    const std::string range(header_of(response, "Content-Range"));
    FUZZ_CHECK(std::sscanf(range.c_str(), "bytes %lu-%lu/%lu", &first, &last, &total) == 3);
    FUZZ_CHECK(total == bytes->size() && first <= last && last < total);
    FUZZ_CHECK(response.body_bytes() == bytes->substr(first, last - first + 1));
  }
}

void check_cookie(FuzzedDataProvider& in) {
  const auto name = in.ConsumeRandomLengthString(16);
  const auto header = field_value(in, 256);
  const auto value = vestibule::api::cookie_value(header, name);
  FUZZ_CHECK(value.find(';') == std::string::npos);
  if (!value.empty()) {
    FUZZ_CHECK(header.find(name + "=" + value) != std::string::npos);
  }
}

void check_authorization(FuzzedDataProvider& in) {
  using vestibule::domain::ApiTokens;
  const auto header = field_value(in, 96);
  const auto credentials = vestibule::api::bearer_credentials(header);
  std::string scheme = header.substr(0, 6);
  for (char& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const bool bearer = scheme == "bearer" && (header.size() == 6 || header[6] == ' ');
  FUZZ_CHECK(credentials.has_value() == bearer);
  if (credentials) {
    const std::string_view value = *credentials;
    FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.back() != ' '));
    FUZZ_CHECK(std::string_view(header).substr(6).find(value) != std::string_view::npos);
    if (ApiTokens::well_formed(value)) {
      const auto bytes = vestibule::util::base64url_decode(value.substr(4));
      FUZZ_CHECK(value.size() == 47 && value.starts_with("vst_") && bytes &&
                 bytes.value().size() == ApiTokens::kSecretBytes &&
                 "vst_" + vestibule::util::base64url_encode(bytes.value()) == value);
    }
  }
  // Any 32 bytes make a token that reads back whole, whatever the scheme's case and spaces.
  const auto secret = in.ConsumeBytesAsString(ApiTokens::kSecretBytes);
  if (secret.size() == ApiTokens::kSecretBytes) {
    const std::string token = "vst_" + vestibule::util::base64url_encode(secret);
    FUZZ_CHECK(ApiTokens::well_formed(token));
    std::string sent = in.ConsumeBool() ? "Bearer" : "bEARER";
    sent += std::string(in.ConsumeIntegralInRange<std::size_t>(1, 3), ' ') + token +
            std::string(in.ConsumeIntegralInRange<std::size_t>(0, 2), ' ');
    FUZZ_CHECK(vestibule::api::bearer_credentials(sent) == std::optional<std::string_view>(token));
  }
}

void check_forwarded_for(FuzzedDataProvider& in) {
  const auto list = field_value(in, 64);
  const auto forwarded = field_value(in, 128);
  const auto networks = vestibule::util::parse_networks(list);
  if (!networks) {
    FUZZ_CHECK(networks.error().code == vestibule::Errc::kInvalidArgument);
    return;
  }
  const auto peer = in.ConsumeBool() ? std::string("10.0.0.1") : std::string("::1");
  const auto client = vestibule::util::client_behind_proxies(peer, forwarded, networks.value());
  boost::system::error_code ec;
  std::ignore = boost::asio::ip::make_address(client, ec);
  FUZZ_CHECK(!ec);
}

void check_hosts(FuzzedDataProvider& in) {
  vestibule::app::ConfigSources sources;
  sources.flags.emplace_back("server.public_url", field_value(in, 64));
  sources.flags.emplace_back(
      "server.listen", field_value(in, 32) + ":" + std::to_string(in.ConsumeIntegral<uint16_t>()));
  const auto config = vestibule::app::load_config(sources);
  if (!config) {
    FUZZ_CHECK(config.error().code == vestibule::Errc::kInvalidArgument);
    return;
  }
  const auto port = in.ConsumeIntegral<std::uint16_t>();
  for (const auto& host : vestibule::app::allowed_hosts(config.value(), port)) {
    FUZZ_CHECK(!host.empty());
    for (const char ch : host) {
      const auto c = static_cast<unsigned char>(ch);
      FUZZ_CHECK(c > 0x20 && c != 0x7F && !(c >= 'A' && c <= 'Z'));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0:
      check_range(in);
      break;
    case 1:
      check_content(in);
      break;
    case 2:
      check_cookie(in);
      break;
    case 3:
      check_forwarded_for(in);
      break;
    case 4:
      check_authorization(in);
      break;
    default:
      check_hosts(in);
      break;
  }
  return 0;
}
