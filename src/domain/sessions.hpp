// Sessions as their owners and admins see them (SPEC §2 "Session": listed to their owner and to
// admins, and revocable). Two kinds live in storage: members' sessions (password sign-in) and
// external recipients' and guests' verified sessions (email code). Each is named to clients by
// an opaque id that says which ("m12", "r7"), never by its token. Revoking deletes the session,
// so its cookie is refused on the very next request, on any connection. Thread-safe.
#pragma once

#include "domain/authz.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::domain {

enum class SessionKind { kMember, kRecipient };

// Which session: its kind and its id in that kind's table.
struct SessionRef {
  SessionKind kind = SessionKind::kMember;
  Id id = 0;
};
// "m12" / "r7".
std::string to_string(SessionRef ref);
std::optional<SessionRef> session_ref_from_string(std::string_view text);

// One live session, as stored.
struct SessionRecord {
  SessionRef ref;
  Id principal_id = 0;    // the member's user id, or the external identity's id
  std::string principal;  // the member's email or the recipient's address
  std::string display_name;
  std::string method;  // "password" or "email_code"
  TimePoint created_at;
  TimePoint proved_at;
  std::optional<TimePoint> last_seen_at;
  TimePoint expires_at;  // the earlier of the absolute and (members) the idle limit
  bool remembered = false;
  std::string client_address;
  std::string user_agent;
};

// Which sessions to list; absent members do not filter.
struct SessionQuery {
  std::optional<SessionKind> kind;
  std::optional<Id> user_id;             // members' sessions of this account
  std::optional<Id> external_id;         // recipients' sessions of this identity
  std::optional<std::string> principal;  // email or address containing this (case-insensitive)
  std::optional<std::string> client;     // client address containing this
  TimePoint now;                         // sessions whose absolute expiry has passed are left out
  std::size_t limit = 500;
};

class SessionDirectory {
 public:
  virtual ~SessionDirectory() = default;
  // Newest first; at most `query.limit`.
  virtual Result<std::vector<SessionRecord>> list(const SessionQuery& query) = 0;
  virtual Result<SessionRecord> find(SessionRef ref) = 0;
  virtual Result<void> remove(SessionRef ref) = 0;
};

struct SessionsOptions {
  std::chrono::seconds member_idle{7 * 86400};  // a member's session unused this long has ended
};

class Sessions {
 public:
  Sessions(SessionDirectory& directory, Authorizer& authz, const util::Clock& clock,
           SessionsOptions options = {});

  // The caller's own sessions: a member's (by cookie or token) or an external identity's.
  Result<std::vector<SessionRecord>> list_own(const Principal& who);
  // Ends one of the caller's own sessions; kNotFound for anyone else's (the same answer as none).
  Result<void> revoke_own(const Principal& who, const std::string& id);
  // Admins: anyone's sessions, filtered.
  Result<std::vector<SessionRecord>> list_any(const Principal& admin, SessionQuery query);
  Result<void> revoke_any(const Principal& admin, const std::string& id);

 private:
  // Drops members' sessions past their idle limit and sets their effective expiry.
  std::vector<SessionRecord> live(std::vector<SessionRecord> records, TimePoint now) const;
  Result<SessionRecord> find(const std::string& id);

  SessionDirectory& directory_;
  Authorizer& authz_;
  const util::Clock& clock_;
  SessionsOptions options_;
};

}  // namespace vestibule::domain
