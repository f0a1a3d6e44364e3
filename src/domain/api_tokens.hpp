// API tokens (SPEC §5 "API tokens", §7): a member's secret for scripts, sent as
// `Authorization: Bearer <token>`. A token is "vst_" and 32 CSPRNG bytes in base64url (256
// bits), shown once when it is created; only its SHA-256 is stored. Every token has a scope
// (read / write / admin; admin only for admins), a name, and an expiry (default 30 days, at most
// 365). A token of a disabled account, a revoked or an expired one authenticates nobody; the
// account's current role is read on every request, so a demoted admin's admin token loses its
// admin rights at once. Thread-safe.
#pragma once

#include "domain/members.hpp"
#include "domain/repositories.hpp"
#include "util/clock.hpp"
#include "util/crypto.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::domain {

class ApiTokenRepository {
 public:
  virtual ~ApiTokenRepository() = default;
  virtual Result<ApiToken> create(const ApiToken& token) = 0;
  // Through the database's memo of rows (a revoke is seen by the very next request).
  virtual Result<ApiToken> find_by_token_hash(const std::string& token_hash) = 0;
  virtual Result<ApiToken> find(Id id) = 0;
  // One account's tokens (or everyone's, with none), newest first, with their owners' emails.
  virtual Result<std::vector<ApiToken>> list(std::optional<Id> user_id) = 0;
  virtual Result<void> remove(Id id) = 0;
  virtual Result<void> touch(Id id, TimePoint last_used) = 0;
};

struct ApiTokensOptions {
  std::chrono::seconds default_lifetime{30 * 86400};
  std::chrono::seconds max_lifetime{365 * 86400};
};

// A new token; `secret` is the bearer value, shown once and never stored.
struct CreatedToken {
  ApiToken token;
  std::string secret;
};

class ApiTokens {
 public:
  static constexpr std::string_view kPrefix = "vst_";
  static constexpr std::size_t kNameMax = 100;

  static constexpr std::size_t kSecretBytes = 32;  // 256 bits

  // Whether `secret` has a token's form: "vst_" and the canonical base64url (no padding) of
  // 32 bytes. Anything else is refused as malformed before any lookup.
  static bool well_formed(std::string_view secret) {
    if (!secret.starts_with(kPrefix)) {
      return false;
    }
    const auto bytes = util::base64url_decode(secret.substr(kPrefix.size()));
    return bytes && bytes.value().size() == kSecretBytes;
  }

  ApiTokens(ApiTokenRepository& tokens, UserRepository& users, const util::Clock& clock,
            ApiTokensOptions options = {});

  // A token for `owner`. `scope` is "read", "write" or "admin" (admin only for admins);
  // `expires_in` a duration ("90d"), absent for the default. `via` is the token the request
  // came with, if it came with one: only an admin-scope token may create tokens, and what it
  // creates never outlives it.
  Result<CreatedToken> create(const User& owner, const std::string& name, const std::string& scope,
                              const std::optional<std::string>& expires_in,
                              const std::optional<ApiToken>& via = std::nullopt);
  Result<std::vector<ApiToken>> list(Id user_id) { return tokens_.list(user_id); }
  Result<std::vector<ApiToken>> list_all() { return tokens_.list(std::nullopt); }
  // Revokes one of the owner's tokens; kNotFound for anyone else's (the same answer as none).
  Result<void> revoke(Id user_id, Id token_id);
  // Revokes any token (the command line, run by the server's operator).
  Result<void> revoke_any(Id token_id);
  // The account behind a bearer value: kUnauthenticated, with a message saying why, for a
  // malformed, unknown, revoked or expired token and for a disabled account.
  Result<Authenticated> authenticate(std::string_view secret);

  [[nodiscard]] const ApiTokensOptions& options() const { return options_; }

 private:
  ApiTokenRepository& tokens_;
  UserRepository& users_;
  const util::Clock& clock_;
  ApiTokensOptions options_;
};

}  // namespace vestibule::domain
