#include "domain/members.hpp"

#include "util/email.hpp"
#include "util/names.hpp"

namespace vestibule::domain {

namespace {

Error invalid_credentials() {
  return make_error(Errc::kUnauthenticated,
                    "the email or password is not right; check both and try again");
}

}  // namespace

Members::Members(UserRepository& users, SessionRepository& sessions, const util::Clock& clock,
                 SignInThrottle& throttle, MembersOptions options)
    : users_(users),
      sessions_(sessions),
      clock_(clock),
      throttle_(throttle),
      options_(options),
      dummy_hash_(util::hash_password(util::random_token(16), options.password_cost).value()) {}

Result<void> Members::check_password_rules(const std::string& password, const char* field) const {
  if (password.size() < options_.min_password_length) {
    return fail(Errc::kInvalidArgument,
                "the password is too short: use at least " +
                    std::to_string(options_.min_password_length) + " characters",
                field);
  }
  if (password.size() > 1024) {
    return fail(Errc::kInvalidArgument, "the password is too long: use at most 1024 characters",
                field);
  }
  return outcome::success();
}

Result<User> Members::add_user(const std::string& email, const std::string& password,
                               const std::string& display_name, UserRole role) {
  VST_TRY(normalized, util::normalize_email(email));
  VST_TRYV(check_password_rules(password, "password"));
  if (display_name.size() > 200) {
    return fail(Errc::kInvalidArgument, "the display name is at most 200 characters",
                "display_name");
  }
  VST_TRY(hash, util::hash_password(password, options_.password_cost));
  NewUser user{normalized,
               display_name.empty() ? normalized.substr(0, normalized.find('@')) : display_name,
               hash, role};
  auto created = users_.create(user, clock_.now());
  if (!created && created.error().code == Errc::kConflict) {
    return fail(Errc::kConflict, "an account with the email " + normalized + " already exists",
                "email");
  }
  return created;
}

Result<SignedIn> Members::sign_in(const std::string& email, const std::string& password,
                                  const ClientInfo& client) {
  auto normalized = util::normalize_email(email);
  const std::string account = normalized ? normalized.value() : email;
  VST_TRY(wait, throttle_.wait_seconds(account, client.address));
  if (wait > 0) {
    auto error = make_error(Errc::kTooManyRequests,
                            "too many failed sign-ins; wait " + std::to_string(wait) +
                                " seconds before trying again, or ask an admin to reset the "
                                "password");
    error.retry_after_seconds = wait;
    return fail(std::move(error));
  }
  auto user = normalized ? users_.find_by_email(account) : Result<User>(invalid_credentials());
  if (!user && user.error().code != Errc::kNotFound &&
      user.error().code != Errc::kUnauthenticated) {
    return fail(user.error());
  }
  const bool found = user.has_value();
  const bool password_ok =
      util::verify_password(found ? user.value().password_hash : dummy_hash_, password);
  if (!found || !password_ok || user.value().disabled) {
    VST_TRYV(throttle_.record_failure(account, client.address));
    return fail(invalid_credentials());
  }
  VST_TRYV(throttle_.record_success(account, client.address));
  const auto now = clock_.now();
  Session session;
  session.user_id = user.value().id;
  session.method = "password";
  session.created_at = now;
  session.proved_at = now;
  session.last_seen_at = now;
  session.expires_at = now + options_.session_lifetime;
  session.client_address = client.address;
  session.user_agent = util::displayable_text(client.user_agent, 512);
  std::string token = util::random_token(32);
  session.token_hash = util::sha256_hex(token);
  VST_TRY(stored, sessions_.create(session));
  return SignedIn{std::move(user).value(), std::move(stored), std::move(token)};
}

Result<Authenticated> Members::authenticate(const std::string& token) {
  const auto unauthenticated = [] {
    return fail(Errc::kUnauthenticated,
                "you are not signed in, or your session has ended; "
                "sign in again");
  };
  if (token.empty() || token.size() > 128) {
    return unauthenticated();
  }
  auto session = sessions_.find_by_token_hash(util::sha256_hex(token));
  if (!session) {
    return session.error().code == Errc::kNotFound ? unauthenticated() : fail(session.error());
  }
  const auto now = clock_.now();
  const auto& s = session.value();
  if (now >= s.expires_at || now >= s.last_seen_at + options_.session_idle) {
    std::ignore = sessions_.remove(s.id);  // best effort; it is refused either way
    return unauthenticated();
  }
  auto user = users_.find_by_id(s.user_id);
  if (!user || user.value().disabled) {
    return unauthenticated();
  }
  // Writing last-seen on every request would serialize readers on the database; a minute's
  // precision is enough for the idle limit.
  if (now - s.last_seen_at > std::chrono::minutes(1)) {
    std::ignore = sessions_.touch(s.id, now);  // a missed touch only shortens the idle window
  }
  return Authenticated{std::move(user).value(), std::move(session).value(), std::nullopt};
}

Result<void> Members::sign_out(const Session& session) { return sessions_.remove(session.id); }

Result<void> Members::change_password(const Authenticated& who, const std::string& current,
                                      const std::string& replacement, bool end_other_sessions,
                                      const std::string& client_address) {
  // Guessing the current password through a taken-over session is throttled as sign-in is, on
  // the same counts: the same (account, client) pair.
  const std::string& account = who.user.email;
  VST_TRY(wait, throttle_.wait_seconds(account, client_address));
  if (wait > 0) {
    auto error = make_error(Errc::kTooManyRequests, "too many wrong current passwords; wait " +
                                                        std::to_string(wait) +
                                                        " seconds before trying again");
    error.retry_after_seconds = wait;
    return fail(std::move(error));
  }
  if (!util::verify_password(who.user.password_hash, current)) {
    VST_TRYV(throttle_.record_failure(account, client_address));
    return fail(Errc::kForbidden, "the current password is not right", "current_password");
  }
  VST_TRYV(throttle_.record_success(account, client_address));
  VST_TRYV(check_password_rules(replacement, "new_password"));
  VST_TRY(hash, util::hash_password(replacement, options_.password_cost));
  VST_TRYV(users_.set_password_hash(who.user.id, hash));
  if (end_other_sessions) {
    VST_TRYV(sessions_.remove_for_user(who.user.id, who.session.id));
  }
  return outcome::success();
}

Result<void> Members::reset_password(Id user_id, const std::string& replacement) {
  VST_TRYV(check_password_rules(replacement, "password"));
  VST_TRY(hash, util::hash_password(replacement, options_.password_cost));
  VST_TRYV(users_.set_password_hash(user_id, hash));
  return sessions_.remove_for_user(user_id, 0);
}

Result<std::string> Members::reset_password_generated(Id user_id) {
  std::string password = util::random_token(16);
  VST_TRYV(reset_password(user_id, password));
  return password;
}

Result<User> Members::change_account(Id acting, Id user_id, const UserChange& change) {
  if (acting == user_id && change.disabled.value_or(false)) {
    return fail(Errc::kInvalidArgument,
                "you cannot disable your own account; another admin can do it", "disabled");
  }
  if (acting == user_id && change.role && *change.role != UserRole::kAdmin) {
    return fail(Errc::kInvalidArgument,
                "you cannot take the admin role from yourself; another admin can do it", "role");
  }
  if (change.display_name && (change.display_name->empty() || change.display_name->size() > 200)) {
    return fail(Errc::kInvalidArgument, "the display name is 1 to 200 characters", "display_name");
  }
  auto changed = users_.update(user_id, change);
  if (!changed) {
    if (changed.error().code == Errc::kNotFound) {
      return fail(Errc::kNotFound, "no member with id " + std::to_string(user_id));
    }
    return changed;
  }
  if (change.disabled.value_or(false)) {
    VST_TRYV(sessions_.remove_for_user(user_id, 0));  // as set_disabled(): out at once
  }
  return changed;
}

Result<User> Members::find_by_email(const std::string& email) {
  VST_TRY(normalized, util::normalize_email(email));
  auto user = users_.find_by_email(normalized);
  if (!user && user.error().code == Errc::kNotFound) {
    return fail(Errc::kNotFound, "no member has the email " + normalized, "email");
  }
  return user;
}

Result<void> Members::set_disabled(Id user_id, bool disabled) {
  VST_TRYV(users_.set_disabled(user_id, disabled));
  if (disabled) {
    return sessions_.remove_for_user(user_id, 0);
  }
  return outcome::success();
}

}  // namespace vestibule::domain
