// Secrets: CSPRNG tokens, SHA-256, Argon2id password hashes and constant-time comparison, from
// libsodium (file-content hashing from OpenSSL). The only place in the code base that draws random
// numbers. Thread-safe.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace vestibule::util {

// Must be called once before any other function here (idempotent).
void crypto_init();

// `bytes` random bytes from the CSPRNG, base64url without padding.
std::string random_token(std::size_t bytes = 32);
// Fills `out` with `size` bytes from the CSPRNG.
void random_bytes(char* out, std::size_t size);

// A uniformly random integer in [0, upper_bound).
std::uint32_t random_uniform(std::uint32_t upper_bound);

std::string base64url_encode(std::string_view data);
// Strict decoding: anything but the base64url alphabet (no padding) is refused.
Result<std::string> base64url_decode(std::string_view text);

// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

// SHA-256 over data given piece by piece, for file contents: OpenSSL's implementation, which uses
// the processor's SHA instructions where there are some (several times the speed of a portable
// one; uploads are hashed as they arrive).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void update(std::string_view data);
  // Lower-case hex of the digest; the stream is finished.
  std::string final_hex();

 private:
  ::evp_md_ctx_st* ctx_;
};

// Constant-time equality for secrets of the same public length.
bool secure_equal(std::string_view a, std::string_view b);

// Argon2id in libsodium's self-describing string form ($argon2id$v=19$m=...,t=...,p=...$...).
struct PasswordHashCost {
  unsigned long long ops_limit;
  std::size_t mem_limit;
};
// Interactive cost by default; tests may lower it through the configuration.
PasswordHashCost default_password_cost();
Result<std::string> hash_password(std::string_view password, PasswordHashCost cost);
bool verify_password(std::string_view encoded_hash, std::string_view password);

}  // namespace vestibule::util
