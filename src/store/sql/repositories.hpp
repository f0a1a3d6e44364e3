// The domain's repositories, written once over the engine port (engine.hpp) and run on SQLite and
// on PostgreSQL alike: all SQL of the product lives in this folder, in one text for both engines.
// Each object holds a reference to the shared Database; thread-safe.
#pragma once

#include "domain/api_tokens.hpp"
#include "domain/outbox.hpp"
#include "domain/repositories.hpp"
#include "domain/sessions.hpp"
#include "domain/sign_in_throttle.hpp"
#include "domain/verification.hpp"
#include "store/sql/engine.hpp"

#include <string_view>

namespace vestibule::store::sql {

class UserStore final : public domain::UserRepository {
 public:
  explicit UserStore(Database& db) : db_(db) {}
  Result<domain::User> create(const domain::NewUser& user, domain::TimePoint now) override;
  Result<domain::User> find_by_id(domain::Id id) override;
  Result<domain::User> find_by_email(const std::string& email) override;
  Result<std::vector<domain::User>> list() override;
  Result<std::int64_t> count() override;
  Result<void> set_disabled(domain::Id id, bool disabled) override;
  Result<void> set_password_hash(domain::Id id, const std::string& hash) override;
  Result<domain::User> update(domain::Id id, const domain::UserChange& change) override;

 private:
  Database& db_;
};

class SessionStore final : public domain::SessionRepository {
 public:
  explicit SessionStore(Database& db) : db_(db) {}
  Result<domain::Session> create(const domain::Session& session) override;
  Result<domain::Session> find_by_token_hash(const std::string& token_hash) override;
  Result<void> touch(domain::Id id, domain::TimePoint last_seen) override;
  Result<void> remove(domain::Id id) override;
  Result<void> remove_for_user(domain::Id user_id, domain::Id keep) override;
  Result<void> remove_expired(domain::TimePoint now) override;

 private:
  Database& db_;
};

class SpaceStore final : public domain::SpaceRepository {
 public:
  explicit SpaceStore(Database& db) : db_(db) {}
  Result<domain::Space> create_team(const std::string& name, domain::Id owner,
                                    domain::TimePoint now) override;
  Result<domain::Space> find(domain::Id id) override;
  Result<std::vector<domain::SpaceWithRole>> list_for_user(domain::Id user_id) override;
  Result<std::optional<domain::SpaceRole>> member_role(domain::Id space_id,
                                                       domain::Id user_id) override;
  Result<std::vector<domain::SpaceMember>> members(domain::Id space_id) override;
  Result<domain::SpaceMember> set_member(domain::Id space_id, domain::Id user_id,
                                         domain::SpaceRole role) override;
  Result<void> remove_member(domain::Id space_id, domain::Id user_id) override;
  Result<std::optional<domain::SpaceRole>> guest_role(domain::Id space_id,
                                                      domain::Id external_id) override;
  Result<std::vector<domain::SpaceWithRole>> list_for_guest(domain::Id external_id) override;
  Result<std::vector<domain::SpaceGuest>> guests_of(domain::Id space_id) override;
  Result<std::vector<domain::SpaceGuest>> spaces_of_guest(domain::Id external_id) override;
  Result<domain::SpaceGuest> set_guest(domain::Id space_id, domain::Id external_id,
                                       domain::SpaceRole role, domain::TimePoint now) override;
  Result<void> remove_guest(domain::Id space_id, domain::Id external_id) override;
  Result<domain::SpaceStorage> storage(domain::Id space_id) override;
  Result<domain::SpaceStorage> set_quota(domain::Id space_id,
                                         std::optional<std::int64_t> quota_bytes) override;

 private:
  Database& db_;
};

class ItemStore final : public domain::ItemRepository {
 public:
  explicit ItemStore(Database& db) : db_(db) {}
  Result<domain::Item> find(domain::Id id) override;
  Result<std::vector<domain::Item>> ancestors(const domain::Item& item) override;
  Result<std::vector<domain::Item>> children(domain::Id folder_id) override;
  Result<domain::Item> child_by_name(domain::Id folder_id, const std::string& name) override;
  Result<domain::Item> create_folder(const domain::Item& parent, const std::string& name,
                                     const domain::Actor& by, domain::TimePoint now) override;
  Result<domain::CommittedFile> commit_file(const domain::Item& parent, const std::string& name,
                                            const std::string& blob, std::int64_t size,
                                            const domain::Actor& by, domain::TimePoint now,
                                            int keep_versions,
                                            std::optional<std::int64_t> space_limit) override;
  Result<domain::Item> rename_move(const domain::Item& item, const std::string& name,
                                   const domain::Item& new_parent, const domain::Actor& by,
                                   domain::TimePoint now) override;
  Result<void> trash(domain::Id id, const domain::Actor& by, domain::TimePoint now) override;
  Result<domain::Item> restore(const domain::Item& item, const std::string& name) override;
  Result<std::vector<std::string>> purge(const domain::Item& item) override;
  Result<std::vector<domain::FileVersion>> versions(domain::Id item_id) override;
  Result<domain::CommittedFile> restore_version(const domain::Item& item, std::int64_t number,
                                                const domain::Actor& by, domain::TimePoint now,
                                                int keep_versions) override;
  Result<std::vector<domain::Item>> trashed(domain::Id space_id) override;
  Result<bool> blob_referenced(const std::string& blob) override;

 private:
  Database& db_;
};

class SharingStore final : public domain::SharingRepository {
 public:
  explicit SharingStore(Database& db) : db_(db) {}
  Result<domain::LinkWithRecipients> create_link(
      const domain::NewLink& link, const std::vector<domain::NewRecipient>& recipients) override;
  Result<domain::Link> find_link(domain::Id id) override;
  Result<domain::Link> find_link_by_token_hash(const std::string& token_hash) override;
  Result<domain::Link> update_link(const domain::Link& link) override;
  Result<void> revoke_link(domain::Id id, domain::TimePoint now) override;
  Result<void> remove_recipient(domain::Id link_id, const std::string& address,
                                domain::TimePoint now) override;
  Result<std::optional<domain::TimePoint>> removed_at(domain::Id link_id,
                                                      const std::string& address) override;
  Result<std::vector<domain::Link>> links_on(const std::vector<domain::Id>& item_ids) override;
  Result<std::vector<domain::Grant>> recipients(domain::Id link_id) override;
  Result<std::vector<domain::Link>> links_created_by(domain::Id user_id) override;
  Result<std::vector<domain::Grant>> grants_on(const std::vector<domain::Id>& item_ids) override;
  Result<domain::ShareMarks> share_marks(const std::vector<domain::Id>& item_ids,
                                         domain::TimePoint now) override;
  // share_marks()' one statement (?1 the ids as a JSON array, ?2 now), each half finding its
  // rows through its table's index on the item (links_by_item, grants_direct or grants_by_item);
  // share_marks_plan_test.cpp checks the plan.
  static constexpr std::string_view kShareMarksQuery =
      "SELECT 1, l.item_id, l.id, l.kind, l.expires_at, l.created_at, l.password_hash "
      "FROM links l WHERE l.item_id IN (SELECT value FROM json_each(?1)) "
      "AND l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > ?2) "
      "UNION ALL "
      "SELECT 0, g.item_id, g.id, NULL, NULL, NULL, NULL "
      "FROM grants g WHERE g.item_id IN (SELECT value FROM json_each(?1)) "
      "AND g.link_id IS NULL AND (g.expires_at IS NULL OR g.expires_at > ?2)";
  Result<std::vector<domain::ApplicableGrant>> applicable_grants(
      domain::Grantee grantee, domain::Id principal_id,
      const std::vector<domain::Id>& item_ids) override;
  Result<std::vector<domain::ApplicableGrant>> grants_of(domain::Grantee grantee,
                                                         domain::Id principal_id) override;
  Result<domain::Grant> put_grant(domain::Id item_id, domain::Id user_id, domain::Role role,
                                  domain::Id by, domain::TimePoint now) override;
  Result<domain::Grant> find_grant(domain::Id id) override;
  Result<void> remove_grant(domain::Id id) override;
  Result<void> record_link_use(domain::Id link_id, domain::TimePoint now) override;
  Result<void> record_grant_use(domain::Id grant_id, domain::TimePoint now) override;
  Result<void> create_link_session(const std::string& token_hash, domain::Id link_id,
                                   domain::TimePoint now, domain::TimePoint expires_at) override;
  Result<domain::Id> find_link_session(const std::string& token_hash,
                                       domain::TimePoint now) override;
  Result<domain::ExternalIdentity> find_identity(domain::Id id) override;
  Result<domain::ExternalIdentity> find_identity_by_address(const std::string& address) override;
  Result<std::optional<domain::TimePoint>> identity_last_seen(domain::Id id) override;
  Result<domain::ExternalIdentity> set_identity_state(domain::Id id, domain::IdentityState state,
                                                      domain::TimePoint now) override;
  Result<void> add_access_request(const domain::AccessRequest& request) override;
  Result<int> count_pending_requests(domain::Id link_id) override;
  Result<std::vector<domain::AccessRequest>> access_requests(domain::Id item_id) override;
  Result<std::vector<domain::AccessRequest>> access_requests_for_manager(
      domain::Id user_id, bool pending_only, std::size_t limit) override;
  Result<domain::AccessRequest> find_access_request(domain::Id id) override;
  Result<void> decide_access_request(domain::Id id, const std::string& state, domain::Id by,
                                     domain::TimePoint now) override;
  Result<std::vector<domain::DirectoryEntry>> directory() override;
  Result<domain::ExternalSharePage> external_shares(
      const domain::ExternalShareQuery& query, const domain::ExternalShareKey& after,
      std::size_t limit, const std::function<bool(domain::Id)>& known) override;
  Result<void> delete_identity(domain::Id id) override;
  Result<std::optional<domain::AliasOwner>> alias_owner(const std::string& address) override;
  Result<std::vector<std::string>> aliases_of(const domain::AliasOwner& owner) override;
  Result<std::vector<std::string>> set_aliases(const domain::AliasOwner& owner,
                                               const std::vector<std::string>& aliases,
                                               domain::TimePoint now) override;
  Result<domain::RevokedAccess> revoke_all(domain::Id external_id, domain::TimePoint now) override;
  Result<std::vector<domain::GuestRecord>> guests() override;
  Result<bool> mark_expiry_warned(domain::Id external_id, domain::TimePoint now) override;
  Result<void> reset_failures(domain::Id id) override;

 private:
  Database& db_;
};

class OutboxStore final : public domain::OutboxRepository {
 public:
  explicit OutboxStore(Database& db) : db_(db) {}
  Result<domain::MailMessage> enqueue(const domain::NewMail& mail, const std::string& message_id,
                                      domain::TimePoint now) override;
  Result<std::vector<domain::MailMessage>> due(domain::TimePoint now, std::size_t limit) override;
  Result<std::optional<domain::ClaimedMail>> claim(domain::Id id, domain::TimePoint now) override;
  Result<void> mark_sent(domain::Id id, domain::TimePoint now, bool scrub) override;
  Result<void> reschedule(domain::Id id, int attempts, domain::TimePoint next,
                          const std::string& error) override;
  Result<void> finish(domain::Id id, domain::MailState state, int attempts,
                      const std::string& error, domain::TimePoint now) override;
  Result<std::optional<domain::MailMessage>> latest(domain::Id link_id, const std::string& to,
                                                    domain::MailKind kind) override;
  Result<std::vector<domain::MailMessage>> recent(std::size_t limit) override;
  Result<std::vector<domain::MailMessage>> history(domain::Id link_id, const std::string& to,
                                                   domain::MailKind kind) override;

 private:
  Database& db_;
};

class VerificationStore final : public domain::VerificationRepository {
 public:
  explicit VerificationStore(Database& db) : db_(db) {}
  Result<void> add_request(const domain::VerificationRequest& request) override;
  Result<int> count_requests_for(const std::string& address, domain::TimePoint since) override;
  Result<int> count_requests(std::optional<domain::Id> link_id, const std::string& client_address,
                             domain::TimePoint since) override;
  Result<std::vector<domain::VerificationRequest>> pending_requests(std::size_t limit) override;
  Result<bool> mark_processed(domain::Id request_id) override;
  Result<int> count_codes(const std::string& address, domain::TimePoint since) override;
  Result<int> count_codes_for_browser(const std::string& address, const std::string& browser_hash,
                                      domain::TimePoint since) override;
  Result<void> create_code(const domain::VerificationCode& code) override;
  Result<std::optional<domain::VerificationCode>> live_code(std::optional<domain::Id> link_id,
                                                            const std::string& address,
                                                            const std::string& browser_hash,
                                                            domain::TimePoint now) override;
  Result<void> record_wrong_try(domain::Id code_id, domain::Id external_id) override;
  Result<bool> consume(domain::Id code_id, int max_tries, domain::TimePoint now) override;
  Result<void> mark_verified(domain::Id external_id, domain::IdentityState state,
                             domain::TimePoint now) override;
  Result<int> consecutive_failures(domain::Id external_id) override;
  Result<void> create_session(const domain::ExternalSession& session) override;
  Result<domain::ExternalSession> find_session(const std::string& token_hash) override;
  Result<void> remove_session(const std::string& token_hash) override;
  Result<void> touch_session(domain::Id id, domain::TimePoint last_seen) override;

 private:
  Database& db_;
};

class PolicyStore final : public domain::PolicyRepository {
 public:
  explicit PolicyStore(Database& db) : db_(db) {}
  Result<std::string> load_org() override;
  Result<void> save_org(const std::string& text) override;
  Result<std::string> load_space(domain::Id space_id) override;
  Result<void> save_space(domain::Id space_id, const std::string& text) override;
  Result<std::pair<std::string, std::string>> load_for_space(domain::Id space_id) override;

 private:
  Database& db_;
};

class ApiTokenStore final : public domain::ApiTokenRepository {
 public:
  explicit ApiTokenStore(Database& db) : db_(db) {}
  Result<domain::ApiToken> create(const domain::ApiToken& token) override;
  Result<domain::ApiToken> find_by_token_hash(const std::string& token_hash) override;
  Result<domain::ApiToken> find(domain::Id id) override;
  Result<std::vector<domain::ApiToken>> list(std::optional<domain::Id> user_id) override;
  Result<void> remove(domain::Id id) override;
  Result<void> touch(domain::Id id, domain::TimePoint last_used) override;

 private:
  Database& db_;
};

// Members' and recipients' sessions, listed together.
class SessionDirectoryStore final : public domain::SessionDirectory {
 public:
  explicit SessionDirectoryStore(Database& db) : db_(db) {}
  Result<std::vector<domain::SessionRecord>> list(const domain::SessionQuery& query) override;
  Result<domain::SessionRecord> find(domain::SessionRef ref) override;
  Result<void> remove(domain::SessionRef ref) override;

 private:
  Database& db_;
};

// The throttles' failure counts, shared by every node on the database.
class ThrottleStore final : public domain::ThrottleRepository {
 public:
  explicit ThrottleStore(Database& db) : db_(db) {}
  Result<domain::ThrottleEntries> entries(const std::string& scope, const std::string& account,
                                          const std::string& client_address) override;
  Result<void> record_failure(const std::string& scope, const std::string& account,
                              const std::string& client_address, const Next& next) override;
  Result<void> clear(const std::string& scope, const std::string& account,
                     const std::string& client_address) override;
  Result<void> prune(const std::string& scope, std::int64_t above,
                     util::TimePoint idle_before) override;

 private:
  Database& db_;
};

// Creates a space's root folder and the space row in the current transaction; used for
// personal spaces (with the user) and team spaces.
domain::Space insert_space(Connection& c, const std::string& name, domain::SpaceKind kind,
                           std::optional<domain::Id> owner, domain::Id creator,
                           domain::TimePoint now);

}  // namespace vestibule::store::sql
