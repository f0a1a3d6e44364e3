// The external directory as admins run it (SPEC §2 "External directory", §3 guest_expiry and
// internal domains, §4 flows 6 and 8): the list filtered by state or text, one address's record
// with everything it can reach, "revoke all", aliases of external identities and of members, and
// the guests' expiry (a warning to the owners of what the guest reaches 7 days before, once, and
// deletion when it has passed). Thread-safe; sweep_guests() is called by a background worker.
#pragma once

#include "domain/authz.hpp"
#include "domain/outbox.hpp"
#include "domain/repositories.hpp"
#include "domain/sharing.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::domain {

struct DirectoryFilter {
  std::optional<IdentityState> state;
  std::optional<std::string> q;  // part of the address or of an alias (case-insensitive)
};

// One thing an address can open: an item through a specific link (or a direct grant), or the
// root of a team space the guest is in.
struct ReachEntry {
  Item item;
  std::optional<Link> link;
  std::optional<SpaceGuest> space;
  Role role = Role::kView;
  std::optional<TimePoint> expires_at;  // the earlier of the link's (under policy) and the grant's
  std::string state;                    // active, expired, revoked, off_by_policy, trashed
  std::optional<TimePoint> last_used_at;
};

// One address's directory record with its reach.
struct IdentityRecord {
  DirectoryEntry entry;
  std::optional<TimePoint> last_sign_in;
  std::optional<TimePoint> guest_expires_at;
  std::vector<ReachEntry> reach;
};

class ExternalDirectory {
 public:
  // Owners are told this long before a guest expires.
  static constexpr std::chrono::hours kWarnBefore{7 * 24};
  static constexpr std::size_t kMaxAliases = 20;

  ExternalDirectory(SharingRepository& sharing, SpaceRepository& spaces, UserRepository& users,
                    ItemRepository& items, Authorizer& authz, Outbox& outbox, SharingEvents& events,
                    const util::Clock& clock)
      : sharing_(sharing),
        spaces_(spaces),
        users_(users),
        items_(items),
        authz_(authz),
        outbox_(outbox),
        events_(events),
        clock_(clock) {}

  // Admins only, as every call below but sweep_guests().
  Result<std::vector<DirectoryEntry>> list(const Principal& who, const DirectoryFilter& filter);
  // The record of an address or alias (kNotFound when the directory has none).
  Result<IdentityRecord> record(const Principal& who, const std::string& address);
  // Removes the address from every specific link and grant and every team space, and ends its
  // sessions, in one transaction.
  Result<RevokedAccess> revoke_all(const Principal& who, const std::string& address);
  // Replaces the aliases of an external identity: each a valid address of no one else (kConflict
  // naming it otherwise), never at an internal domain (those belong to members).
  Result<DirectoryEntry> set_identity_aliases(const Principal& who, const std::string& address,
                                              const std::vector<std::string>& aliases);
  // Replaces the aliases of a member (which makes them internal addresses).
  Result<std::vector<std::string>> set_member_aliases(const Principal& who, Id user_id,
                                                      const std::vector<std::string>& aliases);
  Result<std::vector<std::string>> member_aliases(const Principal& who, Id user_id);

  struct Swept {
    int warned = 0;
    int deleted = 0;
  };
  // Warns the owners of what each guest reaches once within kWarnBefore of its expiry, and
  // deletes the guests past it (grants, space places, sessions and codes go with the record).
  Swept sweep_guests();

 private:
  Result<ExternalIdentity> find(const std::string& address);
  Result<std::vector<std::string>> normalized_aliases(const std::vector<std::string>& aliases);
  Result<std::vector<ReachEntry>> reach_of(const ExternalIdentity& identity);
  void warn_owners(const ExternalIdentity& guest, TimePoint expires_at);

  SharingRepository& sharing_;
  SpaceRepository& spaces_;
  UserRepository& users_;
  ItemRepository& items_;
  Authorizer& authz_;
  Outbox& outbox_;
  SharingEvents& events_;
  const util::Clock& clock_;
};

}  // namespace vestibule::domain
