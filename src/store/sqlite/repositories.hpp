// The SQLite implementations of the domain's repositories. All SQL of the product lives in this
// folder. Each object holds a reference to the shared Database; thread-safe.
#pragma once

#include "domain/repositories.hpp"
#include "store/sqlite/database.hpp"

namespace vestibule::store::sqlite {

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
                                     domain::Id by, domain::TimePoint now) override;
  Result<domain::CommittedFile> commit_file(const domain::Item& parent, const std::string& name,
                                            const std::string& blob, std::int64_t size,
                                            domain::Id by, domain::TimePoint now,
                                            int keep_versions) override;
  Result<domain::Item> rename_move(const domain::Item& item, const std::string& name,
                                   const domain::Item& new_parent, domain::Id by,
                                   domain::TimePoint now) override;
  Result<void> trash(domain::Id id, domain::Id by, domain::TimePoint now) override;
  Result<domain::Item> restore(const domain::Item& item, const std::string& name) override;
  Result<std::vector<std::string>> purge(const domain::Item& item) override;
  Result<std::vector<domain::FileVersion>> versions(domain::Id item_id) override;
  Result<std::vector<domain::Item>> trashed(domain::Id space_id) override;
  Result<bool> blob_referenced(const std::string& blob) override;

 private:
  Database& db_;
};

// Creates a space's root folder and the space row in the current transaction; used for
// personal spaces (with the user) and team spaces.
domain::Space insert_space(Connection& c, const std::string& name, domain::SpaceKind kind,
                           std::optional<domain::Id> owner, domain::Id creator,
                           domain::TimePoint now);

}  // namespace vestibule::store::sqlite
