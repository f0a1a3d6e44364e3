#include "blob/s3/sigv4.hpp"

#include "util/crypto.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <sodium.h>

namespace vestibule::blob::s3 {

namespace {

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

Mac hmac(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  Mac out{};
  crypto_auth_hmacsha256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
  return out;
}

std::string_view view(const Mac& mac) {
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

std::string hex(const Mac& mac) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(mac.size() * 2);
  for (const unsigned char c : mac) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

// Header values are signed trimmed, with inner runs of spaces made one.
std::string trimmed(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
    } else {
      if (space) {
        out += ' ';
      }
      space = false;
      out += c;
    }
  }
  return out;
}

}  // namespace

SigV4Signature sigv4_sign(const SigV4Request& request, const SigV4Credentials& credentials,
                          std::time_t now) {
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::array<char, 17> stamp{};
  std::strftime(stamp.data(), stamp.size(), "%Y%m%dT%H%M%SZ", &tm);
  SigV4Signature out;
  out.amz_date = stamp.data();
  const std::string date = out.amz_date.substr(0, 8);

  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size() + 1);
  for (const auto& [name, value] : request.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    headers.emplace_back(std::move(lower), trimmed(value));
  }
  headers.emplace_back("x-amz-date", out.amz_date);
  // By name alone: "x-amz-copy-source" comes before "x-amz-copy-source-range".
  std::sort(headers.begin(), headers.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string canonical_headers;
  std::string signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers.append(name).append(":").append(value).append("\n");
    signed_headers.append(signed_headers.empty() ? "" : ";").append(name);
  }
  const std::string canonical_request =
      std::string(request.method) + "\n" +
      std::string(request.canonical_uri.empty() ? "/" : request.canonical_uri) + "\n" +
      std::string(request.canonical_query) + "\n" + canonical_headers + "\n" + signed_headers +
      "\n" + std::string(request.payload_sha256);

  const std::string scope =
      date + "/" + credentials.region + "/" + credentials.service + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + out.amz_date + "\n" + scope + "\n" +
                              util::sha256_hex(canonical_request);
  const Mac date_key = hmac("AWS4" + credentials.secret_key, date);
  const Mac region_key = hmac(view(date_key), credentials.region);
  const Mac service_key = hmac(view(region_key), credentials.service);
  const Mac signing_key = hmac(view(service_key), "aws4_request");
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope +
                      ",SignedHeaders=" + signed_headers +
                      ",Signature=" + hex(hmac(view(signing_key), to_sign));
  return out;
}

}  // namespace vestibule::blob::s3
