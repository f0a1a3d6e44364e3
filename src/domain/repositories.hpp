// The storage interfaces the domain needs. Implementations (store/sqlite, later store/postgres)
// translate engine errors into Errc values (a unique-constraint violation is kConflict, a missing
// row kNotFound) and are safe to call from many threads at once. Each method is one transaction.
#pragma once

#include "domain/model.hpp"
#include "util/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::domain {

struct NewUser {
  std::string email;  // normalized
  std::string display_name;
  std::string password_hash;
  UserRole role = UserRole::kUser;
};

// An administrative change to an account; absent members are left as they are.
struct UserChange {
  std::optional<bool> disabled;
  std::optional<UserRole> role;
  std::optional<std::string> display_name;
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  // Creates the user and their personal space ("My files") together.
  virtual Result<User> create(const NewUser& user, TimePoint now) = 0;
  virtual Result<User> find_by_id(Id id) = 0;
  virtual Result<User> find_by_email(const std::string& email) = 0;
  virtual Result<std::vector<User>> list() = 0;
  virtual Result<std::int64_t> count() = 0;
  virtual Result<void> set_disabled(Id id, bool disabled) = 0;
  virtual Result<void> set_password_hash(Id id, const std::string& hash) = 0;
  // Applies `change` in one transaction; kNotFound for an unknown id, and kConflict (changing
  // nothing) when it would take the role or the access of the last admin that is not disabled.
  virtual Result<User> update(Id id, const UserChange& change) = 0;
};

class SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  virtual Result<Session> create(const Session& session) = 0;
  virtual Result<Session> find_by_token_hash(const std::string& token_hash) = 0;
  virtual Result<void> touch(Id id, TimePoint last_seen) = 0;
  virtual Result<void> remove(Id id) = 0;
  // Removes the user's sessions except `keep` (0 keeps none).
  virtual Result<void> remove_for_user(Id user_id, Id keep) = 0;
  virtual Result<void> remove_expired(TimePoint now) = 0;
};

// A space and the caller's role in it.
struct SpaceWithRole {
  Space space;
  SpaceRole role = SpaceRole::kVisitor;
};

class SpaceRepository {
 public:
  virtual ~SpaceRepository() = default;
  // Creates a team space with its root folder; `owner` becomes its owner.
  virtual Result<Space> create_team(const std::string& name, Id owner, TimePoint now) = 0;
  virtual Result<Space> find(Id id) = 0;
  virtual Result<std::vector<SpaceWithRole>> list_for_user(Id user_id) = 0;
  virtual Result<std::optional<SpaceRole>> member_role(Id space_id, Id user_id) = 0;
  virtual Result<std::vector<SpaceMember>> members(Id space_id) = 0;
  virtual Result<SpaceMember> set_member(Id space_id, Id user_id, SpaceRole role) = 0;
  virtual Result<void> remove_member(Id space_id, Id user_id) = 0;
  // Guests in team spaces: the guest's role in one space (none when it is not in it), the spaces
  // it is in, the guests of a space, adding (or changing the role of) and removing one.
  virtual Result<std::optional<SpaceRole>> guest_role(Id space_id, Id external_id) = 0;
  virtual Result<std::vector<SpaceWithRole>> list_for_guest(Id external_id) = 0;
  virtual Result<std::vector<SpaceGuest>> guests_of(Id space_id) = 0;
  virtual Result<std::vector<SpaceGuest>> spaces_of_guest(Id external_id) = 0;
  virtual Result<SpaceGuest> set_guest(Id space_id, Id external_id, SpaceRole role,
                                       TimePoint now) = 0;
  virtual Result<void> remove_guest(Id space_id, Id external_id) = 0;
  // What the space stores (every kept version of every file, the trash included) and its own
  // quota, if an admin set one.
  virtual Result<SpaceStorage> storage(Id space_id) = 0;
  // Sets the space's own quota (0: none), or with nullopt returns it to the server's default.
  virtual Result<SpaceStorage> set_quota(Id space_id, std::optional<std::int64_t> quota_bytes) = 0;
};

// What committing an upload did.
struct CommittedFile {
  Item item;
  bool created = false;                     // a new file rather than a new version
  std::vector<std::string> released_blobs;  // blobs of versions dropped beyond the kept count
};

class ItemRepository {
 public:
  virtual ~ItemRepository() = default;
  // Any item, trashed or not.
  virtual Result<Item> find(Id id) = 0;
  // The items on `item.path` above `item`, root first, in one query.
  virtual Result<std::vector<Item>> ancestors(const Item& item) = 0;
  // Children that are not in the trash; folders first, then by name.
  virtual Result<std::vector<Item>> children(Id folder_id) = 0;
  // A live child by name (kNotFound if none).
  virtual Result<Item> child_by_name(Id folder_id, const std::string& name) = 0;
  virtual Result<Item> create_folder(const Item& parent, const std::string& name, const Actor& by,
                                     TimePoint now) = 0;
  // Adds a file under `parent` or a new version of the live file of that name, keeping at most
  // `keep_versions` versions; atomic. With `space_limit`, refuses (kInsufficientStorage, nothing
  // changed) when the space would then store more than that many bytes.
  virtual Result<CommittedFile> commit_file(const Item& parent, const std::string& name,
                                            const std::string& blob, std::int64_t size,
                                            const Actor& by, TimePoint now, int keep_versions,
                                            std::optional<std::int64_t> space_limit) = 0;
  // Renames and/or moves; a move rewrites the paths of the whole subtree atomically.
  virtual Result<Item> rename_move(const Item& item, const std::string& name,
                                   const Item& new_parent, const Actor& by, TimePoint now) = 0;
  virtual Result<void> trash(Id id, const Actor& by, TimePoint now) = 0;
  virtual Result<Item> restore(const Item& item, const std::string& name) = 0;
  // Deletes the item, its subtree and their versions; returns the blobs no longer referenced.
  virtual Result<std::vector<std::string>> purge(const Item& item) = 0;
  virtual Result<std::vector<FileVersion>> versions(Id item_id) = 0;
  // Adds a new current version of the live file `item` with the bytes of its kept version
  // `number` (kNotFound when it is not kept), keeping at most `keep_versions`; atomic.
  virtual Result<CommittedFile> restore_version(const Item& item, std::int64_t number,
                                                const Actor& by, TimePoint now,
                                                int keep_versions) = 0;
  // Trashed items of a space (the top of each trashed subtree).
  virtual Result<std::vector<Item>> trashed(Id space_id) = 0;
  virtual Result<bool> blob_referenced(const std::string& blob) = 0;
};

struct NewLink {
  Id item_id = 0;
  LinkKind kind = LinkKind::kSpecific;
  Role role = Role::kView;
  std::string token_hash;
  std::string password_hash;
  std::optional<TimePoint> expires_at;
  bool block_download = false;
  std::string message;
  Id created_by = 0;
  TimePoint created_at;
};

// A recipient of a specific link: an account (user_id set) or an external address, whose
// directory record is created `pending` when it does not exist yet.
struct NewRecipient {
  std::string address;
  std::optional<Id> user_id;
  std::optional<TimePoint> expires_at;
};

struct LinkWithRecipients {
  Link link;
  std::vector<Grant> recipients;
};

// A grant that may apply to a request, with the link it belongs to (recipients of specific
// links), so that the authorization point can judge the link's current state.
struct ApplicableGrant {
  Grant grant;
  std::optional<Link> link;
};

// One way an item is reachable from outside the organization, as stored: a live anyone link, or
// one external recipient of a live specific link.
struct ExternalShareRecord {
  Link link;                    // with its creator's display name
  std::string shared_by_email;  // the link's creator's
  Item item;                    // id, space_id, name, kind, path and trashed_at only
  std::string space_name;
  std::string space_policy;        // the space's stored policy override (JSON text)
  std::optional<Grant> recipient;  // specific links: the recipient, with address and state
};

// What the external-sharing report reads; absent members do not filter.
struct ExternalShareQuery {
  std::optional<Id> created_by;       // links this member created
  std::optional<std::string> domain;  // recipients at this domain or below it (lower-case ASCII)
  std::optional<LinkKind> kind;       // kAnyone or kSpecific
};

// A position in the report's order: (link id, recipient's external identity id, 0 for the link
// itself). Pages resume strictly after it.
struct ExternalShareKey {
  Id link_id = 0;
  Id external_id = 0;
};

// A folder on the path of a reported item.
struct AncestorName {
  Id id = 0;
  std::string name;
  bool trashed = false;
};

struct ExternalSharePage {
  std::vector<ExternalShareRecord> records;
  std::vector<AncestorName> ancestors;  // every folder above the records' items, each once
};

// What may make items shared, as stored (the listings' `shared` mark): the links on them that are
// neither revoked nor past their own expiry (with the fields link_status() reads: id, item_id,
// kind, expires_at, created_at, password_hash, revoked_at), and the items with a direct grant
// that has not expired.
struct ShareMarks {
  std::vector<Link> links;
  std::vector<Id> granted;
};

// Links, grants, link password proofs and the external directory.
class SharingRepository {
 public:
  virtual ~SharingRepository() = default;
  // The link, its recipients' grants and new directory records, in one transaction.
  virtual Result<LinkWithRecipients> create_link(const NewLink& link,
                                                 const std::vector<NewRecipient>& recipients) = 0;
  virtual Result<Link> find_link(Id id) = 0;
  virtual Result<Link> find_link_by_token_hash(const std::string& token_hash) = 0;
  // Writes role, expiry, block_download and password hash; a changed password ends the link's
  // password proofs.
  virtual Result<Link> update_link(const Link& link) = 0;
  virtual Result<void> revoke_link(Id id, TimePoint now) = 0;
  // Removes the address's grant from the link and remembers that it was removed (at `now`), in
  // one transaction; kNotFound when the address is not a recipient of the link. Any later grant
  // of the link for the address (re-adding it) forgets the removal.
  virtual Result<void> remove_recipient(Id link_id, const std::string& address, TimePoint now) = 0;
  // When the address was removed from the link (and not added again since), if it was.
  virtual Result<std::optional<TimePoint>> removed_at(Id link_id, const std::string& address) = 0;
  // Links on any of `item_ids`, revoked ones included, newest first.
  virtual Result<std::vector<Link>> links_on(const std::vector<Id>& item_ids) = 0;
  virtual Result<std::vector<Grant>> recipients(Id link_id) = 0;
  // Links the member created that are not revoked, newest first.
  virtual Result<std::vector<Link>> links_created_by(Id user_id) = 0;
  // Direct grants (not link recipients) on any of `item_ids`.
  virtual Result<std::vector<Grant>> grants_on(const std::vector<Id>& item_ids) = 0;
  // What may make any of `item_ids` (not their ancestors) shared at `now`, in one query that
  // finds its rows through the (item) indexes of links and grants, whatever the number of ids.
  virtual Result<ShareMarks> share_marks(const std::vector<Id>& item_ids, TimePoint now) = 0;
  // Every grant of one principal on any of `item_ids` (an item and its ancestors): one indexed
  // query whatever the number of items and links.
  virtual Result<std::vector<ApplicableGrant>> applicable_grants(
      Grantee grantee, Id principal_id, const std::vector<Id>& item_ids) = 0;
  // Every grant of one principal (direct grants and link recipients), each with its link, newest
  // first: what has been shared with them.
  virtual Result<std::vector<ApplicableGrant>> grants_of(Grantee grantee, Id principal_id) = 0;
  // A direct grant; granting again to the same principal on the same item changes the role.
  virtual Result<Grant> put_grant(Id item_id, Id user_id, Role role, Id by, TimePoint now) = 0;
  virtual Result<Grant> find_grant(Id id) = 0;
  virtual Result<void> remove_grant(Id id) = 0;
  virtual Result<void> record_link_use(Id link_id, TimePoint now) = 0;
  virtual Result<void> record_grant_use(Id grant_id, TimePoint now) = 0;

  // Proof that a browser knows an anyone link's password.
  virtual Result<void> create_link_session(const std::string& token_hash, Id link_id, TimePoint now,
                                           TimePoint expires_at) = 0;
  // The link id the proof is for, or kNotFound (also when it has expired).
  virtual Result<Id> find_link_session(const std::string& token_hash, TimePoint now) = 0;

  virtual Result<ExternalIdentity> find_identity(Id id) = 0;
  // By its address or one of its aliases.
  virtual Result<ExternalIdentity> find_identity_by_address(const std::string& address) = 0;
  // Whose alias `address` is, if anyone's.
  virtual Result<std::optional<AliasOwner>> alias_owner(const std::string& address) = 0;
  virtual Result<std::vector<std::string>> aliases_of(const AliasOwner& owner) = 0;
  // Replaces the owner's aliases with `aliases` (normalized) in one transaction; kConflict naming
  // the address when one is another member's address or alias, another external identity's
  // address or alias, or (for a member) an address the external directory holds.
  virtual Result<std::vector<std::string>> set_aliases(const AliasOwner& owner,
                                                       const std::vector<std::string>& aliases,
                                                       TimePoint now) = 0;
  // Removes the identity from every link and grant, every team space, and ends its sessions, in
  // one transaction; each link it was on remembers the removal (its page says so).
  virtual Result<RevokedAccess> revoke_all(Id external_id, TimePoint now) = 0;
  // Every identity in state guest, for the expiry sweep.
  virtual Result<std::vector<GuestRecord>> guests() = 0;
  // Records the expiry warning; false when it was already recorded (another node's sweep took
  // it first), so a guest is warned once.
  virtual Result<bool> mark_expiry_warned(Id external_id, TimePoint now) = 0;
  // When the address was last seen: the latest of its verification, its sessions' proofs and its
  // grants' uses (nullopt when never; kNotFound for an unknown id).
  virtual Result<std::optional<TimePoint>> identity_last_seen(Id id) = 0;
  // A pending request (an existing pending one from the same address for the same link is kept).
  virtual Result<void> add_access_request(const AccessRequest& request) = 0;
  virtual Result<int> count_pending_requests(Id link_id) = 0;
  virtual Result<std::vector<AccessRequest>> access_requests(Id item_id) = 0;
  // At most `limit` requests (pending ones only when asked) on items under a space the member
  // owns or under an item the member holds a direct manage grant on: the requests the member
  // may decide, and possibly more (the Authorizer decides). Pending first, then newest first.
  virtual Result<std::vector<AccessRequest>> access_requests_for_manager(Id user_id,
                                                                         bool pending_only,
                                                                         std::size_t limit) = 0;
  virtual Result<AccessRequest> find_access_request(Id id) = 0;
  virtual Result<void> decide_access_request(Id id, const std::string& state, Id by,
                                             TimePoint now) = 0;
  virtual Result<std::vector<DirectoryEntry>> directory() = 0;
  // At most `limit` records after `after` in (link id, recipient) order, with the names of the
  // folders above their items, in one read transaction: one range query on the links' key and one
  // lookup of the names, whatever the number of rows. `known` says which folders the caller has
  // named already; it must know the folders above each of those too, so that an item's folders
  // are looked up from its parent up to the first known one only. Revoked links, organization and
  // existing links, and members among a specific link's recipients are not records.
  virtual Result<ExternalSharePage> external_shares(const ExternalShareQuery& query,
                                                    const ExternalShareKey& after,
                                                    std::size_t limit,
                                                    const std::function<bool(Id)>& known) = 0;
  virtual Result<void> delete_identity(Id id) = 0;
  virtual Result<void> reset_failures(Id id) = 0;
  // Moves an identity to `state`; the first move to `verified` records when.
  virtual Result<ExternalIdentity> set_identity_state(Id id, IdentityState state,
                                                      TimePoint now) = 0;
};

// The stored forms of the organization's policy and of spaces' overrides (JSON text written by
// domain/policy). Empty text when nothing is stored.
class PolicyRepository {
 public:
  virtual ~PolicyRepository() = default;
  virtual Result<std::string> load_org() = 0;
  virtual Result<void> save_org(const std::string& text) = 0;
  virtual Result<std::string> load_space(Id space_id) = 0;
  virtual Result<void> save_space(Id space_id, const std::string& text) = 0;
  // The organization's and the space's stored forms together, read in one transaction.
  virtual Result<std::pair<std::string, std::string>> load_for_space(Id space_id) = 0;
};

}  // namespace vestibule::domain
