// Members: accounts, password sign-in and sessions (SPEC §7). Session tokens are 256-bit random
// values handed to the browser once; only their SHA-256 is stored. Sign-in is throttled per
// account and per client address, and wrong password, unknown account and disabled account are
// indistinguishable to the caller. Thread-safe.
#pragma once

#include "domain/repositories.hpp"
#include "domain/sign_in_throttle.hpp"
#include "util/clock.hpp"
#include "util/crypto.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace vestibule::domain {

struct MembersOptions {
  std::chrono::seconds session_lifetime{30 * 86400};  // absolute, from sign-in
  std::chrono::seconds session_idle{7 * 86400};       // unused this long: signed out
  util::PasswordHashCost password_cost = util::default_password_cost();
  std::size_t min_password_length = 8;
};

struct SignedIn {
  User user;
  Session session;
  std::string token;  // the cookie value; never stored
};

// A signed-in member: by a session cookie (`session`), or by an API token (`token`; `session`
// is then empty, id 0).
struct Authenticated {
  User user;
  Session session;
  std::optional<ApiToken> token;
};

struct ClientInfo {
  std::string address;
  std::string user_agent;
};

class Members {
 public:
  Members(UserRepository& users, SessionRepository& sessions, const util::Clock& clock,
          SignInThrottle& throttle, MembersOptions options);

  // Validates and creates an account (and its personal space).
  Result<User> add_user(const std::string& email, const std::string& password,
                        const std::string& display_name, UserRole role);
  Result<SignedIn> sign_in(const std::string& email, const std::string& password,
                           const ClientInfo& client);
  // The account behind a session token, if the session and account are still valid.
  Result<Authenticated> authenticate(const std::string& token);
  Result<void> sign_out(const Session& session);
  // A wrong current password counts as a failed sign-in from `client_address` (kTooManyRequests
  // with a wait past the throttle's free tries).
  Result<void> change_password(const Authenticated& who, const std::string& current,
                               const std::string& replacement, bool end_other_sessions,
                               const std::string& client_address = {});
  // Sets a new password (administrative reset) and ends every session of the account.
  Result<void> reset_password(Id user_id, const std::string& replacement);
  // The same with a generated password (128 bits, base64url), returned to be shown once.
  Result<std::string> reset_password_generated(Id user_id);
  // Disabling ends every session of the account.
  Result<void> set_disabled(Id user_id, bool disabled);
  // An admin's change to another account (the caller has checked that `acting` is an admin):
  // nobody can disable or demote themself (kInvalidArgument), the change that would leave no
  // active admin is kConflict (decided in the same transaction as the change), a display name
  // must be 1 to 200 bytes; disabling ends every session of the account, as set_disabled does.
  Result<User> change_account(Id acting, Id user_id, const UserChange& change);
  Result<std::vector<User>> list_users() { return users_.list(); }
  Result<User> find_by_email(const std::string& email);

  [[nodiscard]] const MembersOptions& options() const { return options_; }

 private:
  Result<void> check_password_rules(const std::string& password, const char* field) const;

  UserRepository& users_;
  SessionRepository& sessions_;
  const util::Clock& clock_;
  SignInThrottle& throttle_;
  MembersOptions options_;
  std::string dummy_hash_;  // verified against for unknown accounts, so timing does not tell
};

}  // namespace vestibule::domain
