// Decoders of text that comes from outside: base64url tokens (util/crypto), percent-encoding
// (util/url, http/message), durations (util/duration) and email addresses (util/email).
// Properties: decoding is strict and canonical — a token that decodes encodes back to the same
// text, and any bytes encode to a token that decodes back; percent_decode(percent_encode(x)) ==
// x; a duration that parses prints to a spelling that parses to the same duration; a normalized
// address normalizes to itself; the constant-time comparison agrees with ==; SHA-256 over pieces
// equals SHA-256 over the whole.
#include "check.hpp"
#include "http/message.hpp"
#include "util/crypto.hpp"
#include "util/duration.hpp"
#include "util/email.hpp"
#include "util/url.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  vestibule::util::crypto_init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace util = vestibule::util;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (const auto decoded = util::base64url_decode(input)) {
    FUZZ_CHECK(util::base64url_encode(decoded.value()) == input);
  } else {
    FUZZ_CHECK(decoded.error().code == vestibule::Errc::kInvalidArgument);
  }
  const auto encoded = util::base64url_encode(input);
  const auto back = util::base64url_decode(encoded);
  FUZZ_CHECK(back.has_value() && back.value() == input);

  FUZZ_CHECK(vestibule::http::percent_decode(util::percent_encode(input)) == input);
  std::ignore = vestibule::http::percent_decode(input, true);

  if (const auto duration = util::parse_duration(input)) {
    const auto spelled = util::format_duration(duration.value());
    const auto again = util::parse_duration(spelled);
    FUZZ_CHECK(again.has_value() && again.value() == duration.value());
  }

  if (const auto address = util::normalize_email(input)) {
    const auto again = util::normalize_email(address.value());
    FUZZ_CHECK(again.has_value() && again.value() == address.value());
  }

  const std::size_t half = size / 2;
  const auto first = input.substr(0, half);
  const auto second = input.substr(half);
  FUZZ_CHECK(util::secure_equal(first, second.substr(0, first.size())) ==
             (first == second.substr(0, first.size())));
  util::Sha256Stream stream;
  stream.update(first);
  stream.update(second);
  FUZZ_CHECK(stream.final_hex() == util::sha256_hex(input));
  return 0;
}
