#include "util/crypto.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

#include <openssl/evp.h>
#include <sodium.h>

namespace vestibule::util {

void crypto_init() {
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium could not be initialised");
  }
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  randombytes_buf(buffer.data(), buffer.size());
  std::string raw(reinterpret_cast<const char*>(buffer.data()), buffer.size());
  sodium_memzero(buffer.data(), buffer.size());
  return base64url_encode(raw);
}

void random_bytes(char* out, std::size_t size) { randombytes_buf(out, size); }

std::uint32_t random_uniform(std::uint32_t upper_bound) { return randombytes_uniform(upper_bound); }

std::string base64url_encode(std::string_view data) {
  const auto variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), variant);
  out.resize(out.size() - 1);  // drop the terminating NUL
  return out;
}

Result<std::string> base64url_decode(std::string_view text) {
  // Checked here first: libsodium's decoder reads a byte above 0x7F as a digit.
  const bool alphabet_only = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
  if (!alphabet_only) {
    return fail(Errc::kInvalidArgument, "not valid base64url");
  }
  std::string out(text.size(), '\0');
  std::size_t out_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &out_len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return fail(Errc::kInvalidArgument, "not valid base64url");
  }
  out.resize(out_len);
  return out;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
  }
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }

void Sha256Stream::update(std::string_view data) {
  EVP_DigestUpdate(ctx_, data.data(), data.size());
}

std::string Sha256Stream::final_hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, digest.data(), &length);
  std::string hex(static_cast<std::size_t>(length) * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), length);
  hex.pop_back();
  return hex;
}

std::string sha256_hex(std::string_view data) {
  // OpenSSL uses the processor's SHA instructions; every request hashes its tokens to look them
  // up. One context per thread, reset for each digest, spares an allocation per call.
  // The algorithm is fetched once: EVP_sha256() would look it up in the provider store, under a
  // lock, on every call.
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> algorithm(
      EVP_MD_fetch(nullptr, "SHA256", nullptr), &EVP_MD_free);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!algorithm || !context || EVP_DigestInit_ex(context.get(), algorithm.get(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1) {
    throw std::runtime_error("OpenSSL cannot compute a SHA-256 digest");
  }
  // Not secret: the digest is the key the row is looked up by.
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex(static_cast<std::size_t>(length) * std::size_t{2}, '\0');
  for (std::size_t i = 0; i < length; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4U];
    hex[2 * i + 1] = kDigits[digest[i] & 0x0FU];
  }
  return hex;
}

bool secure_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

PasswordHashCost default_password_cost() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

Result<std::string> hash_password(std::string_view password, PasswordHashCost cost) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost.ops_limit,
                            cost.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Errc::kUnavailable, "not enough memory to hash the password; try again");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
  const std::string hash(encoded_hash);  // libsodium needs a NUL-terminated string
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace vestibule::util
