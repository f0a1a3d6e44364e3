// The authorization point: "may this principal do this action on this item (through this link)
// now?". Every route asks here and nowhere else. It reads the current state on every call
// (memberships, grants, links and their recipients, the external directory, the policy of the
// item's space), so a revocation, an expiry, a block or a policy change applies to the very next
// request. The item's ancestors come from one indexed query on its stored path and the grants of
// the principal on them from one more, so the cost grows with folder depth only.
// Thread-safe (holds only references to thread-safe repositories and the clock).
#pragma once

#include "domain/model.hpp"
#include "domain/policy.hpp"
#include "domain/repositories.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::domain {

enum class Action {
  kRead,      // see the item's metadata, and view a file in the browser (even if downloads are
              // blocked)
  kList,      // list a folder's children
  kDownload,  // read a file's bytes
  kUpload,    // add files or versions, create folders
  kRename,    // rename or move
  kDelete,    // move to the trash, restore, purge
  kShare,     // create, change and revoke links and grants; see who has access
  kManage,    // manage a space's members and settings
};

// The weakest role allowed to do `action` on an item.
Role required_role(Action action);

enum class PrincipalKind { kAnonymous, kMember, kGuest, kExternal };

// Who is asking, and the link the request came through, if any.
struct Principal {
  PrincipalKind kind = PrincipalKind::kAnonymous;
  Id user_id = 0;      // members and guests
  Id external_id = 0;  // external identities
  std::string name;    // display name or address, recorded as "modified by"
  std::string email;   // the account's or the verified address
  bool admin = false;
  // External identities: when the address was last proved, and whether the device is
  // remembered; the reverification period is checked against these on every decision.
  std::optional<TimePoint> proved_at;
  bool remembered = false;
  // The identity's directory state as read for this request (with its session), so the decision
  // need not read it again; absent, the Authorizer reads it.
  std::optional<IdentityState> identity_state;
  // External identities: their last proof with a code and when they became a guest, as read with
  // the session (guest_expiry is checked against these).
  std::optional<TimePoint> last_verified_at;
  std::optional<TimePoint> guest_since;
  // The session the request came with (a member's or an external identity's; 0 for none or an
  // API token), so that a listing of sessions can mark the current one.
  Id session_id = 0;
  // Set when the request came with an API token: what the token allows. A token without the
  // admin scope acts without its owner's admin rights (`admin` is false), and authorize_admin()
  // names the scope it needs.
  std::optional<TokenScope> token_scope;
  std::optional<Link> via;            // the link of a /shares/{token} request
  bool link_password_proved = false;  // the browser proved the anyone link's password

  static Principal member(Id user_id, bool admin, std::string name = {}, std::string email = {}) {
    Principal p;
    p.kind = PrincipalKind::kMember;
    p.user_id = user_id;
    p.admin = admin;
    p.name = std::move(name);
    p.email = std::move(email);
    return p;
  }
};

// Who a change is recorded as.
Actor actor_of(const Principal& who);

// The access a principal holds on an item, as decided.
struct Access {
  Role role = Role::kView;
  bool download_allowed = true;
  std::vector<Item> ancestors;        // root first
  std::optional<Id> recipient_grant;  // the link recipient grant used, to record its use
  std::optional<TimePoint> recipient_grant_last_used;
};

// What a link asks of the browser before it gives anything.
enum class LinkState {
  kUsable,         // nothing more is needed from the link's side
  kNeedsPassword,  // an anyone link with a password not yet proved by this browser
  kNeedsSignIn,    // an organization link and no member is signed in
  kRevoked,
  kExpired,      // past its own expiry or the policy's maximum lifetime
  kOffByPolicy,  // its kind is no longer allowed, or it lacks a required password
};

class Authorizer {
 public:
  Authorizer(SpaceRepository& spaces, ItemRepository& items, SharingRepository& sharing,
             PolicyRepository& policies, const util::Clock& clock)
      : spaces_(spaces), items_(items), sharing_(sharing), policies_(policies), clock_(clock) {}

  // kNotFound when the item is not live (it or an ancestor is in the trash), is outside the link
  // the request came through, or the principal has no access to it at all (so existence never
  // leaks); kForbidden when the access is too weak or downloads are blocked; through a link also
  // kGone (revoked, expired) and kUnauthenticated (the link needs a password, a sign-in or a
  // verified address first).
  Result<Access> authorize(const Principal& who, Action action, const Item& item);
  // Like authorize(), for items in the trash (restore, purge): the item itself may be trashed.
  Result<Access> authorize_trashed(const Principal& who, Action action, const Item& item);
  // Space-level: may `who` do `action` on the space (kManage: members and settings).
  Result<SpaceRole> authorize_space(const Principal& who, Action action, Id space_id);
  // Organization administration (users, settings, reports).
  Result<void> authorize_admin(const Principal& who);

  // What the link itself requires of this browser now, before grants are looked at.
  Result<LinkState> link_state(const Principal& who, const Link& link);
  // A specific link reached by its id instead of its token (/api/v1/shared-with-me/{link_id}):
  // found only when `who` (a member, or an external identity's session) is a recipient of it or
  // was removed as one, else kNotFound. Finding it gives nothing by itself: what it opens is
  // decided by authorize() with the link as `who.via`, exactly as for its token.
  Result<Link> recipient_link(const Principal& who, Id link_id);

  // The policy in force in a space: the organization's, tightened by the space's own.
  Result<Policy> policy_in(Id space_id);
  Result<Policy> org_policy();
  // When a link stops working under `policy`: its own expiry, shortened by the maximum lifetime
  // of its kind.
  static std::optional<TimePoint> effective_expiry(const Link& link, const Policy& policy);
  // Whether an external principal's proof of its address is within the reverification period.
  static bool verification_current(const Principal& who, const Policy& policy, TimePoint now);

 private:
  Result<Access> decide(const Principal& who, Action action, const Item& item, bool allow_trashed);
  Result<std::optional<SpaceRole>> membership(const Principal& who, Id space_id);
  [[nodiscard]] LinkState state_under(const Principal& who, const Link& link,
                                      const Policy& policy) const;

  SpaceRepository& spaces_;
  ItemRepository& items_;
  SharingRepository& sharing_;
  PolicyRepository& policies_;
  const util::Clock& clock_;
};

// How many authorization decisions this thread has asked for; lets a test prove that every route
// goes through the authorization point.
std::uint64_t authorization_checks();

}  // namespace vestibule::domain
