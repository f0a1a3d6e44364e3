// The storage contract: every repository implementation must pass these, parameterised over the
// backends (SQLite today; PostgreSQL joins the list when it exists).
#include "domain/repositories.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/repositories.hpp"
#include "support/temp_dir.hpp"

#include <functional>
#include <memory>

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

using namespace vestibule::domain;

struct Backend {
  virtual ~Backend() = default;
  virtual UserRepository& users() = 0;
  virtual SessionRepository& sessions() = 0;
  virtual SpaceRepository& spaces() = 0;
  virtual ItemRepository& items() = 0;
};

struct SqliteBackend final : Backend {
  SqliteBackend() : db((dir.path() / "contract.db").string(), 2) { (void)db.migrate().value(); }
  UserRepository& users() override { return user_store; }
  SessionRepository& sessions() override { return session_store; }
  SpaceRepository& spaces() override { return space_store; }
  ItemRepository& items() override { return item_store; }

  testing::TempDir dir;
  sqlite::Database db;
  sqlite::UserStore user_store{db};
  sqlite::SessionStore session_store{db};
  sqlite::SpaceStore space_store{db};
  sqlite::ItemStore item_store{db};
};

using Factory = std::function<std::unique_ptr<Backend>()>;

class StoreContract : public ::testing::TestWithParam<std::pair<const char*, Factory>> {
 protected:
  void SetUp() override { backend_ = GetParam().second(); }
  Backend& b() { return *backend_; }
  User user(const std::string& email) {
    return b().users().create({email, "Name", "$argon2id$x", UserRole::kUser}, now_).value();
  }
  Item root_of(const User& u) {
    const auto spaces = b().spaces().list_for_user(u.id).value();
    return b().items().find(spaces.at(0).space.root_item_id).value();
  }
  TimePoint now_ = util::from_unix(1'800'000'000);

 private:
  std::unique_ptr<Backend> backend_;
};

TEST_P(StoreContract, DuplicateEmailIsAConflict) {
  user("ada@example.org");
  auto again = b().users().create({"ada@example.org", "Ada", "h", UserRole::kUser}, now_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kConflict);
}

TEST_P(StoreContract, MissingRowsAreNotFound) {
  EXPECT_EQ(b().users().find_by_id(999).error().code, Errc::kNotFound);
  EXPECT_EQ(b().items().find(999).error().code, Errc::kNotFound);
  EXPECT_EQ(b().sessions().find_by_token_hash("nope").error().code, Errc::kNotFound);
  EXPECT_EQ(b().spaces().find(999).error().code, Errc::kNotFound);
}

TEST_P(StoreContract, NewUserGetsAPersonalSpaceTheyOwn) {
  const auto ada = user("ada@example.org");
  const auto spaces = b().spaces().list_for_user(ada.id).value();
  ASSERT_EQ(spaces.size(), 1U);
  EXPECT_EQ(spaces[0].space.kind, SpaceKind::kPersonal);
  EXPECT_EQ(spaces[0].role, SpaceRole::kOwner);
  const auto root = root_of(ada);
  EXPECT_FALSE(root.parent_id);
  EXPECT_EQ(root.path, "/" + std::to_string(root.id) + "/");
}

TEST_P(StoreContract, SessionsAreFoundByHashAndRemovedPerUser) {
  const auto ada = user("ada@example.org");
  Session s;
  s.token_hash = "h1";
  s.user_id = ada.id;
  s.method = "password";
  s.expires_at = now_ + std::chrono::hours(1);
  const auto first = b().sessions().create(s).value();
  s.token_hash = "h2";
  const auto second = b().sessions().create(s).value();
  EXPECT_EQ(b().sessions().find_by_token_hash("h1").value().id, first.id);
  ASSERT_TRUE(b().sessions().remove_for_user(ada.id, second.id));
  EXPECT_FALSE(b().sessions().find_by_token_hash("h1"));
  EXPECT_TRUE(b().sessions().find_by_token_hash("h2"));
  ASSERT_TRUE(b().sessions().remove_expired(now_ + std::chrono::hours(2)));
  EXPECT_FALSE(b().sessions().find_by_token_hash("h2"));
}

TEST_P(StoreContract, AncestorsComeRootFirstForAnyDepth) {
  const auto ada = user("ada@example.org");
  Item parent = root_of(ada);
  std::vector<Id> chain{parent.id};
  for (int depth = 0; depth < 20; ++depth) {
    parent =
        b().items()
            .create_folder(parent, "d" + std::to_string(depth), domain::Actor{ada.id, {}}, now_)
            .value();
    chain.push_back(parent.id);
  }
  chain.pop_back();
  const auto ancestors = b().items().ancestors(parent).value();
  ASSERT_EQ(ancestors.size(), chain.size());
  for (std::size_t i = 0; i < chain.size(); ++i) {
    EXPECT_EQ(ancestors[i].id, chain[i]);
  }
}

TEST_P(StoreContract, CommitFileVersionsAndReleasesDroppedBlobs) {
  const auto ada = user("ada@example.org");
  const auto root = root_of(ada);
  const auto first =
      b().items().commit_file(root, "a", "b1", 1, domain::Actor{ada.id, {}}, now_, 2).value();
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(b().items()
                  .commit_file(root, "a", "b2", 2, domain::Actor{ada.id, {}}, now_, 2)
                  .value()
                  .released_blobs.empty());
  const auto third =
      b().items().commit_file(root, "a", "b3", 3, domain::Actor{ada.id, {}}, now_, 2).value();
  EXPECT_FALSE(third.created);
  EXPECT_EQ(third.item.version, 3);
  EXPECT_EQ(third.released_blobs, std::vector<std::string>{"b1"});
  EXPECT_FALSE(b().items().blob_referenced("b1").value());
  EXPECT_TRUE(b().items().blob_referenced("b3").value());
}

TEST_P(StoreContract, LiveNamesAreUniquePerFolder) {
  const auto ada = user("ada@example.org");
  const auto root = root_of(ada);
  const auto a = b().items().create_folder(root, "a", domain::Actor{ada.id, {}}, now_).value();
  EXPECT_EQ(b().items().create_folder(root, "a", domain::Actor{ada.id, {}}, now_).error().code,
            Errc::kConflict);
  ASSERT_TRUE(b().items().trash(a.id, domain::Actor{ada.id, {}}, now_));
  EXPECT_TRUE(b().items().create_folder(root, "a", domain::Actor{ada.id, {}}, now_));
  EXPECT_EQ(b().items().restore(b().items().find(a.id).value(), "a").error().code, Errc::kConflict);
}

TEST_P(StoreContract, FailedTransactionsLeaveNoTrace) {
  const auto ada = user("ada@example.org");
  const auto root = root_of(ada);
  ASSERT_TRUE(b().items().create_folder(root, "a", domain::Actor{ada.id, {}}, now_));
  // A file upload onto a folder's name is refused as a whole: no version row remains.
  EXPECT_EQ(b().items()
                .commit_file(root, "a", "blob", 1, domain::Actor{ada.id, {}}, now_, 5)
                .error()
                .code,
            Errc::kConflict);
  EXPECT_FALSE(b().items().blob_referenced("blob").value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values(std::make_pair(
                             "sqlite", Factory([] { return std::make_unique<SqliteBackend>(); }))),
                         [](const auto& p) { return std::string(p.param.first); });

TEST(SqliteMigrations, AreIdempotentAndRecordTheVersion) {
  testing::TempDir dir;
  sqlite::Database db((dir.path() / "m.db").string(), 1);
  EXPECT_EQ(db.migrate().value(), sqlite::Database::latest_schema_version());
  EXPECT_EQ(db.migrate().value(), sqlite::Database::latest_schema_version());
  EXPECT_EQ(db.integrity_check().value(), "ok");
}

}  // namespace
}  // namespace vestibule::store
