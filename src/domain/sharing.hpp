// Sharing (SPEC §2–§4): links of four kinds and their recipients, direct grants, the external
// directory, manage access, the external-sharing report, invitations, requests for access, the
// recipient's side of a link (opening it, proving an anyone link's password) and the organization's
// and spaces' sharing policy. Every operation asks the Authorizer first; every change is reported
// to the injected SharingEvents sink, one event per action. Thread-safe.
#pragma once

#include "domain/audit.hpp"
#include "domain/authz.hpp"
#include "domain/external_sharing_report.hpp"
#include "domain/outbox.hpp"
#include "domain/policy.hpp"
#include "domain/repositories.hpp"
#include "domain/sign_in_throttle.hpp"
#include "util/clock.hpp"
#include "util/crypto.hpp"

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace vestibule::domain {

// One sharing action: who did what to which item, link or address.
struct SharingEvent {
  std::string type;  // link.created, link.recipient_added, link.changed, link.revoked,
                     // link.recipient_removed,
                     // link.invitation_resent, link.opened, link.password_failed, grant.put,
                     // grant.removed, settings.changed, space_settings.changed
  Principal actor;
  Id item_id = 0;
  Id link_id = 0;
  std::string subject;                                // an address, a setting's keys
  nlohmann::json details = nlohmann::json::object();  // e.g. a setting's old and new values
  std::string new_link_token_hash{};                  // a link being created (see AuditEntry)
};

class SharingEvents {
 public:
  virtual ~SharingEvents() = default;
  // An event that has happened (or has no change of its own: a failed password).
  virtual void record(const SharingEvent& event) = 0;
  // An event about to happen: announced before the change's write, so a sink that keeps a
  // record (the audit log) writes it in the change's own transaction; see domain/audit.hpp.
  [[nodiscard]] virtual AuditChange before_change(const SharingEvent& event) {
    record(event);
    return {};
  }
};

// Writes each event as a line of the application log.
class LoggedSharingEvents final : public SharingEvents {
 public:
  void record(const SharingEvent& event) override;
};

struct RecipientInput {
  std::string address;  // as typed; normalized by Sharing
  std::optional<TimePoint> expires_at;
};

struct LinkRequest {
  std::optional<LinkKind> kind;  // the policy's default when absent
  std::optional<Role> role;
  std::vector<RecipientInput> recipients;
  std::optional<TimePoint> expires_at;
  std::optional<std::string> password;
  bool block_download = false;
  std::string message;
};

struct CreatedLink {
  LinkWithRecipients link;
  std::string token;  // shown once, never stored
};

// A change to a link; absent members are left as they are. The inner optional clears a value.
struct LinkChange {
  std::optional<Role> role;
  std::optional<std::optional<TimePoint>> expires_at;
  std::optional<bool> block_download;
  std::optional<std::optional<std::string>> password;
};

// Everything manage access shows for one item.
struct AccessReport {
  Item item;
  std::vector<Item> ancestors;  // root first
  Space space;
  std::vector<SpaceMember> space_members;  // grants on the space root
  std::vector<Grant> grants;               // direct grants on the item or above it
  std::vector<LinkWithRecipients> links;   // links on the item or above it, revoked ones too
  Policy policy;                           // in force in the item's space
};

// The delivery of the newest invitation to a link's recipient, for manage access.
struct Delivery {
  std::string state;   // none, queued, sent, failed, dropped
  std::string detail;  // the relay's answer when it failed
};

// A link's state as listed to its owner.
std::string_view link_status(const Link& link, const Policy& policy, TimePoint now);

// When a recipient has to prove the address again (manage access: "reverification due …"): the
// last proof (`verified_at`) plus the reverify_after of `policy` (the item's space's). None for
// members, for an address never verified, and when reverify_after is 0 (a code for every new
// session: nothing lasts to be due).
std::optional<TimePoint> reverify_at(const Grant& recipient, const Policy& policy);

// What the holder of a link sees before anything else (GET /api/v1/shares/{token}).
struct ShareSummary {
  Link link;
  Item item;
  std::string shared_by;
  std::string needs;  // none, password, sign_in, verification
  Policy policy;      // in force in the item's space
  // When the link stops working under `policy` (Authorizer::effective_expiry); none if never.
  std::optional<TimePoint> expires_at;
  // The caller's own recipient grant on this link ends earlier than the link.
  std::optional<TimePoint> recipient_expires_at;
  // Only when `needs` is not none and the browser is signed in (never for anonymous callers, so
  // nothing about the recipients can be learnt without a session): why the session does not
  // open the link. reverification_due (a current recipient whose proof is older than
  // reverify_after; `proved_at` says when), removed (the address was removed from the link),
  // blocked (the identity is blocked in the external directory), not_invited (anything else).
  std::string reason;
  std::optional<TimePoint> proved_at;
};

// A link that no longer works, as its page may describe it: never the item's name.
struct EndedLink {
  std::string state;                    // expired, revoked, off_by_policy, deleted (the item)
  std::optional<TimePoint> expired_at;  // expired: when
  std::string shared_by;                // the display name of the link's creator
};

// One item shared with the caller (GET /api/v1/shared-with-me).
struct SharedWithMe {
  Item item;
  std::string shared_by;      // display name of whoever created the link or the grant
  std::optional<Id> link_id;  // the specific link; none for a member's direct grant
  Role role = Role::kView;
  std::optional<TimePoint> expires_at;  // the earlier of the link's and the recipient's
  bool block_download = false;
  TimePoint shared_at;
};

// What the share dialog says of one typed address (UX "Share dialog"): who this is, or why link
// creation would refuse it.
enum class RecipientStatus {
  kMember,    // a member's account
  kGuest,     // an external address promoted to guest
  kVerified,  // an external address that proved itself at least once
  kPending,   // an external address shared with before, never verified
  kNew,       // an external address not in the directory yet: it would be added as pending
  kBlocked,   // an admin blocked the address
  kRefused,   // the policy (or a disabled account) refuses it
  kInvalid,   // not an email address
};
std::string_view to_string(RecipientStatus status);

// One address classified by the rules create_link applies to its recipients.
struct RecipientCheck {
  std::string address;                    // as typed
  std::optional<std::string> normalized;  // absent when invalid
  RecipientStatus status = RecipientStatus::kInvalid;
  std::optional<Id> user_id;              // members
  std::string display_name;               // members
  std::optional<TimePoint> last_seen_at;  // verified addresses and guests, when asked for
  std::optional<Refused> refusal;         // blocked, refused, invalid: the rule and why

  // Whether create_link would take the address as a recipient.
  [[nodiscard]] bool accepted() const { return !refusal.has_value(); }
};

// Whether a new link of one kind may be made on an item, and why not.
struct KindOption {
  LinkKind kind = LinkKind::kSpecific;
  std::optional<PolicyRefusal> refusal;
};

// The expiry a new link of one kind gets, and how far it may go.
struct ExpiryOption {
  std::optional<TimePoint> default_at;  // what create_link sets when no expiry is given
  Policy::Seconds max{0};               // the maximum lifetime; 0 = none
  std::optional<TimePoint> max_at;      // the latest expiry a link created now may have
};

// What the share dialog may offer for an item, from the policy in force in its space.
struct LinkOptions {
  std::vector<KindOption> kinds;  // specific, anyone, organization, existing
  LinkKind default_kind = LinkKind::kSpecific;
  Role default_role = Role::kView;
  ExpiryOption anyone;
  ExpiryOption specific;
  ExpiryOption organization;
  bool anyone_requires_password = false;
  std::size_t min_password_length = 8;
  bool email_code_enabled = true;
};

// A link its creator shares, with its item and the policy it is judged under.
struct SharedLink {
  LinkWithRecipients link;
  Item item;
  Policy policy;
  std::optional<TimePoint> effective_expiry;
};

// A request for access with the item it asks for.
struct RequestOnItem {
  AccessRequest request;
  Item item;
};

struct SharingOptions {
  std::string public_url = "http://127.0.0.1:8080";  // links in emails point here
  util::PasswordHashCost password_cost = util::default_password_cost();
  std::size_t min_link_password_length = 8;
  std::chrono::seconds link_session_lifetime{12 * 3600};
};

class Sharing {
 public:
  Sharing(SharingRepository& sharing, ItemRepository& items, SpaceRepository& spaces,
          UserRepository& users, PolicyRepository& policies, Authorizer& authz,
          SharingEvents& events, SignInThrottle& password_throttle, Outbox& outbox,
          const util::Clock& clock, SharingOptions options);

  // The address links in emails start with; set once the server knows where it listens.
  void set_public_url(std::string url) { options_.public_url = std::move(url); }

  // Checks every recipient against the policy before anything is written: when one is refused,
  // the result is kPolicyRefused naming each refused address and rule, and nothing is created.
  // Each recipient is then sent an invitation through the outbox.
  Result<CreatedLink> create_link(const Principal& who, Id item_id, const LinkRequest& request);
  Result<Link> update_link(const Principal& who, Id link_id, const LinkChange& change);
  Result<void> revoke_link(const Principal& who, Id link_id);
  Result<void> remove_recipient(const Principal& who, Id link_id, const std::string& address);
  Result<LinkWithRecipients> link(const Principal& who, Id link_id);

  // Direct grants to members (and guests) on an item.
  Result<Grant> put_grant(const Principal& who, Id item_id, const std::string& email, Role role);
  Result<void> remove_grant(const Principal& who, Id grant_id);

  Result<AccessReport> access(const Principal& who, Id item_id);
  Delivery delivery(Id link_id, const std::string& address);

  // Which of `items` are shared, for the mark in listings: the item itself (not a folder above
  // it) has a link that is active under the policy of its space (link_status), or a direct grant
  // that has not expired. One query for all the items. Authorizes nothing: for items the caller
  // was already allowed to list or read.
  Result<std::unordered_set<Id>> shared_among(const std::vector<Item>& items);

  // The share dialog's check of typed addresses (at most kMaxCheckedAddresses): each classified
  // by the very rules create_link applies under the item's policy, so an accepted address is
  // never refused by create_link for the same policy. `kind`, when given, must be specific.
  // Needs the share permission; writes nothing and sends nothing.
  static constexpr std::size_t kMaxCheckedAddresses = 50;
  Result<std::vector<RecipientCheck>> check_recipients(const Principal& who, Id item_id,
                                                       const std::vector<std::string>& addresses,
                                                       std::optional<LinkKind> kind);
  // What a new link on the item may be (kinds, defaults, expiry limits), from the same rules
  // create_link applies. Needs the share permission.
  Result<LinkOptions> link_options(const Principal& who, Id item_id);
  // Every link the member created that is not revoked, on items they may still share: soonest
  // effective expiry first, then those without expiry; newest first among equals.
  Result<std::vector<SharedLink>> shared_by(const Principal& who);
  // Requests for access on every item the member may share (pending ones only when asked):
  // pending first, then newest first; at most kMaxListedRequests.
  static constexpr std::size_t kMaxListedRequests = 500;
  Result<std::vector<RequestOnItem>> requests_to_decide(const Principal& who, bool pending_only);
  // Queues a new invitation to one recipient of a specific link. The token is not stored, so the
  // email links to {public_url}/shared/{link_id}, where the recipient proves their address (or
  // signs in) and is let in by their grant. At most kResendsPerHour per recipient of a link in
  // any hour (kTooManyRequests with when to retry); kConflict when the link or the recipient's
  // access has ended; kPolicyRefused when the policy now refuses the address.
  static constexpr std::size_t kResendsPerHour = 3;
  Result<Grant> resend_invitation(const Principal& who, Id link_id, const std::string& address);

  // The link behind a token (kNotFound for an unknown token).
  Result<Link> find_by_token(const std::string& token);
  // `who` asking through the link, with a password proof when the browser holds one.
  Result<Principal> through_link(Principal who, const std::string& token,
                                 const std::optional<std::string>& proof_token);
  // `who` asking through a specific link named by its id (the token-free twin of the recipient's
  // routes): the same kNotFound as an unknown token unless `who` is, or was removed as, one of
  // its recipients (Authorizer::recipient_link).
  Result<Principal> through_link_id(Principal who, Id link_id);
  Result<ShareSummary> summary(const Principal& through);
  // Why a link is dead, for the `410` of its routes.
  Result<EndedLink> ended(const Link& link);
  // Every live item shared with the caller's address through a specific link that opens it now
  // (the link usable, the recipient's grant not expired, the caller allowed in by the
  // Authorizer), and for members their direct grants too; newest first. kUnauthenticated for an
  // anonymous caller, and for an external one whose proof is past the reverification period.
  Result<std::vector<SharedWithMe>> shared_with_me(const Principal& who);
  // Checks an anyone link's password (throttled per link and client address); the returned
  // token proves it for this browser.
  Result<std::string> prove_password(const std::string& token, const std::string& password,
                                     const std::string& client_address);
  // Records that the principal used its link (first and last use), at most once a minute.
  void record_use(const Principal& through, const Access& access);

  // Anyone holding a link (expired, revoked, or not for them) may ask its owner for access: the
  // request is recorded and the link's creator notified; the answer is the same for everyone.
  Result<void> request_access(const Principal& through, const std::string& email,
                              const std::string& message);
  Result<std::vector<AccessRequest>> access_requests(const Principal& who, Id item_id);
  // Approving shares the item with the address through a new specific link (with the request's
  // link's role, under the policy of now) and sends the invitation; declining only records it.
  Result<std::optional<CreatedLink>> decide(const Principal& who, Id request_id, bool approve);

  // The newest outbox messages (without their bodies), for admins.
  Result<std::vector<MailMessage>> recent_mail(const Principal& who, std::size_t limit);

  // The external directory, for admins.
  Result<std::vector<DirectoryEntry>> directory(const Principal& who);
  Result<ExternalIdentity> change_identity(const Principal& who, const std::string& address,
                                           std::optional<IdentityState> state, bool lift_block);
  Result<void> delete_identity(const Principal& who, const std::string& address);

  // The external-sharing report, for admins. The owner is looked up by email and the domain
  // normalized; either one unusable is kInvalidArgument naming it, as is a kind other than
  // anyone or specific.
  Result<ExternalSharingReport> external_sharing(const Principal& who,
                                                 const ExternalShareFilter& filter);
  // The same for `vestibule report`, run by whoever holds the data folder (and so the database).
  Result<ExternalSharingReport> external_sharing_for_operator(const ExternalShareFilter& filter);

  Result<Policy> org_settings(const Principal& who);
  Result<Policy> change_org_settings(const Principal& who, const nlohmann::json& patch);
  Result<SpacePolicy> space_settings(const Principal& who, Id space_id);
  Result<SpacePolicy> change_space_settings(const Principal& who, Id space_id,
                                            const nlohmann::json& patch);

 private:
  struct Classified {
    std::vector<NewRecipient> recipients;
    std::vector<Refused> refused;
  };
  Result<Classified> classify(const std::vector<RecipientInput>& inputs, const Policy& policy);
  // The one rule set for a recipient address; `with_last_seen` also reads when a verified
  // address or guest was last seen.
  Result<RecipientCheck> classify_one(const std::string& typed, const Policy& policy,
                                      bool with_last_seen);
  Result<std::optional<TimePoint>> checked_expiry(LinkKind kind, std::optional<TimePoint> requested,
                                                  const Policy& policy, bool at_creation,
                                                  TimePoint created_at);
  Result<std::string> hash_link_password(const std::string& password);
  Result<std::pair<Link, Item>> link_to_manage(const Principal& who, Id link_id);
  Result<ExternalIdentity> directory_entry(const std::string& address);
  void invite(const Principal& who, const Item& item, const Link& link, const std::string& token,
              const std::vector<Grant>& recipients);
  // An invitation to `recipient` (also a resent one, which says so) pointing at `url`.
  [[nodiscard]] NewMail invitation_mail(const std::string& sharer,
                                        const std::string& sharer_address, const Item& item,
                                        const Link& link, const Grant& recipient,
                                        const std::string& url, bool resent) const;

  SharingRepository& sharing_;
  ItemRepository& items_;
  SpaceRepository& spaces_;
  UserRepository& users_;
  PolicyRepository& policies_;
  Authorizer& authz_;
  SharingEvents& events_;
  SignInThrottle& password_throttle_;
  Outbox& outbox_;
  const util::Clock& clock_;
  SharingOptions options_;
};

}  // namespace vestibule::domain
