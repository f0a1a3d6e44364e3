// The storage contract: every repository must pass these on every engine. This file is built
// twice: into the unit tests against SQLite, and (with VESTIBULE_CONTRACT_POSTGRES) into a binary
// of its own against a PostgreSQL cluster it starts (support/postgres_server.hpp).
#include "domain/outbox.hpp"
#include "domain/repositories.hpp"
#include "domain/sign_in_throttle.hpp"
#include "store/sql/repositories.hpp"
#include "store/sqlite/database.hpp"
#include "support/temp_dir.hpp"

#if defined(VESTIBULE_CONTRACT_POSTGRES)
#include "store/postgres/database.hpp"
#include "support/postgres_server.hpp"
#endif

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

using namespace vestibule::domain;

// The repositories over one engine's freshly migrated database.
struct Backend {
  virtual ~Backend() = default;
  UserRepository& users() { return stores->users; }
  SessionRepository& sessions() { return stores->sessions; }
  SpaceRepository& spaces() { return stores->spaces; }
  ItemRepository& items() { return stores->items; }
  SharingRepository& sharing() { return stores->sharing; }
  OutboxRepository& outbox() { return stores->outbox; }
  ThrottleRepository& throttles() { return stores->throttles; }
  // Another node's connection pool on the same database.
  virtual std::unique_ptr<sql::Database> another_node() = 0;

 protected:
  void attach(sql::Database& db) {
    (void)db.migrate().value();
    stores = std::make_unique<Stores>(db);
  }

 private:
  struct Stores {
    explicit Stores(sql::Database& db)
        : users(db), sessions(db), spaces(db), items(db), sharing(db), outbox(db), throttles(db) {}
    sql::UserStore users;
    sql::SessionStore sessions;
    sql::SpaceStore spaces;
    sql::ItemStore items;
    sql::SharingStore sharing;
    sql::OutboxStore outbox;
    sql::ThrottleStore throttles;
  };
  std::unique_ptr<Stores> stores;
};

struct SqliteBackend final : Backend {
  SqliteBackend() { attach(db); }
  std::unique_ptr<sql::Database> another_node() override {
    return std::make_unique<sqlite::Database>((dir.path() / "contract.db").string(), 2, false);
  }
  testing::TempDir dir;
  sqlite::Database db{(dir.path() / "contract.db").string(), 2};
};

#if defined(VESTIBULE_CONTRACT_POSTGRES)
struct PostgresBackend final : Backend {
  PostgresBackend() { attach(db); }
  std::unique_ptr<sql::Database> another_node() override {
    return std::make_unique<postgres::Database>(url, 2);
  }
  std::string url = testing::PostgresServer::shared().fresh_database();
  postgres::Database db{url, 2};
};
#endif

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
      b().items()
          .commit_file(root, "a", "b1", 1, domain::Actor{ada.id, {}}, now_, 2, std::nullopt)
          .value();
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(b().items()
                  .commit_file(root, "a", "b2", 2, domain::Actor{ada.id, {}}, now_, 2, std::nullopt)
                  .value()
                  .released_blobs.empty());
  const auto third =
      b().items()
          .commit_file(root, "a", "b3", 3, domain::Actor{ada.id, {}}, now_, 2, std::nullopt)
          .value();
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
                .commit_file(root, "a", "blob", 1, domain::Actor{ada.id, {}}, now_, 5, std::nullopt)
                .error()
                .code,
            Errc::kConflict);
  EXPECT_FALSE(b().items().blob_referenced("blob").value());
}

TEST_P(StoreContract, AccountChangesNeverLeaveNoActiveAdmin) {
  const auto ada =
      b().users().create({"ada@example.org", "Ada", "h", UserRole::kAdmin}, now_).value();
  const auto bob = user("bob@example.org");
  UserChange promote;
  promote.role = UserRole::kAdmin;
  promote.display_name = "Bob B.";
  const auto promoted = b().users().update(bob.id, promote).value();
  EXPECT_EQ(promoted.role, UserRole::kAdmin);
  EXPECT_EQ(promoted.display_name, "Bob B.");
  UserChange disable;
  disable.disabled = true;
  EXPECT_TRUE(b().users().update(ada.id, disable).value().disabled);
  // Bob is now the only active admin: demoting or disabling him is refused and changes nothing.
  UserChange demote;
  demote.role = UserRole::kUser;
  demote.display_name = "never written";
  EXPECT_EQ(b().users().update(bob.id, demote).error().code, Errc::kConflict);
  EXPECT_EQ(b().users().update(bob.id, disable).error().code, Errc::kConflict);
  const auto kept = b().users().find_by_id(bob.id).value();
  EXPECT_EQ(kept.role, UserRole::kAdmin);
  EXPECT_EQ(kept.display_name, "Bob B.");
  EXPECT_FALSE(kept.disabled);
  EXPECT_EQ(b().users().update(999, disable).error().code, Errc::kNotFound);
}

TEST_P(StoreContract, RestoreVersionAddsACurrentVersionWithTheOldBlob) {
  const auto ada = user("ada@example.org");
  const auto root = root_of(ada);
  const domain::Actor by{ada.id, {}};
  b().items().commit_file(root, "a", "b1", 1, by, now_, 2, std::nullopt).value();
  const auto second =
      b().items().commit_file(root, "a", "b2", 2, by, now_, 2, std::nullopt).value().item;
  const auto restored =
      b().items().restore_version(second, 1, by, now_ + std::chrono::hours(1), 2).value();
  EXPECT_FALSE(restored.created);
  EXPECT_EQ(restored.item.version, 3);
  EXPECT_EQ(restored.item.blob, "b1");
  EXPECT_EQ(restored.item.size, 1);
  EXPECT_EQ(restored.item.modified_at, now_ + std::chrono::hours(1));
  // Version 1 is dropped (2 kept) but its blob lives on in version 3: nothing to release.
  EXPECT_TRUE(restored.released_blobs.empty());
  const auto versions = b().items().versions(second.id).value();
  ASSERT_EQ(versions.size(), 2U);
  EXPECT_EQ(versions[0].number, 3);
  EXPECT_EQ(versions[0].blob, "b1");
  EXPECT_EQ(b().items().restore_version(restored.item, 1, by, now_, 2).error().code,
            Errc::kNotFound);
  const auto folder = b().items().create_folder(root, "f", by, now_).value();
  EXPECT_EQ(b().items().restore_version(folder, 1, by, now_, 2).error().code, Errc::kNotFound);
}

TEST_P(StoreContract, LinksCreatedByAMemberExceptRevokedNewestFirst) {
  const auto ada = user("ada@example.org");
  const auto bob = user("bob@example.org");
  const auto root = root_of(ada);
  const auto link = [&](const User& by, const std::string& hash, TimePoint at) {
    NewLink l;
    l.item_id = root.id;
    l.kind = LinkKind::kOrganization;
    l.token_hash = hash;
    l.created_by = by.id;
    l.created_at = at;
    return b().sharing().create_link(l, {}).value().link.id;
  };
  const Id old_one = link(ada, "h1", now_);
  const Id revoked = link(ada, "h2", now_ + std::chrono::seconds(1));
  const Id new_one = link(ada, "h3", now_ + std::chrono::seconds(2));
  link(bob, "h4", now_ + std::chrono::seconds(3));
  ASSERT_TRUE(b().sharing().revoke_link(revoked, now_ + std::chrono::seconds(4)));
  std::vector<Id> ids;
  const auto links = b().sharing().links_created_by(ada.id).value();  // held: no dangling
  for (const auto& l : links) {
    ids.push_back(l.id);
  }
  EXPECT_EQ(ids, (std::vector<Id>{new_one, old_one}));
}

TEST_P(StoreContract, RequestsForAManagerComeFromWhatTheyOwnOrManage) {
  const auto ada = user("ada@example.org");
  const auto bob = user("bob@example.org");
  const auto root = root_of(ada);
  const domain::Actor by{ada.id, {}};
  const auto folder = b().items().create_folder(root, "shared", by, now_).value();
  const auto other = b().items().create_folder(root, "other", by, now_).value();
  NewLink l;
  l.item_id = folder.id;
  l.kind = LinkKind::kOrganization;
  l.token_hash = "h";
  l.created_by = ada.id;
  l.created_at = now_;
  const Id link = b().sharing().create_link(l, {}).value().link.id;
  ASSERT_TRUE(b().sharing().add_access_request(
      {0, link, folder.id, "eve@partner.example", "", "pending", now_, std::nullopt}));
  ASSERT_TRUE(b().sharing().add_access_request(
      {0, link, other.id, "bea@partner.example", "", "pending", now_, std::nullopt}));
  const auto for_ada = b().sharing().access_requests_for_manager(ada.id, true, 10).value();
  EXPECT_EQ(for_ada.size(), 2U);
  EXPECT_TRUE(b().sharing().access_requests_for_manager(bob.id, false, 10).value().empty());
  ASSERT_TRUE(b().sharing().put_grant(folder.id, bob.id, Role::kEdit, ada.id, now_));
  EXPECT_TRUE(b().sharing().access_requests_for_manager(bob.id, false, 10).value().empty());
  ASSERT_TRUE(b().sharing().put_grant(folder.id, bob.id, Role::kManage, ada.id, now_));
  const auto for_bob = b().sharing().access_requests_for_manager(bob.id, false, 10).value();
  ASSERT_EQ(for_bob.size(), 1U);
  EXPECT_EQ(for_bob[0].address, "eve@partner.example");
  ASSERT_TRUE(b().sharing().decide_access_request(for_bob[0].id, "declined", ada.id, now_));
  EXPECT_TRUE(b().sharing().access_requests_for_manager(bob.id, true, 10).value().empty());
  EXPECT_EQ(b().sharing().access_requests_for_manager(ada.id, false, 1).value().size(), 1U);
  // Pending first.
  EXPECT_EQ(b().sharing().access_requests_for_manager(ada.id, false, 10).value()[0].state,
            "pending");
}

TEST_P(StoreContract, AnIdentityIsLastSeenAtItsLatestVerificationOrUse) {
  const auto ada = user("ada@example.org");
  const auto root = root_of(ada);
  NewLink l;
  l.item_id = root.id;
  l.kind = LinkKind::kSpecific;
  l.token_hash = "h";
  l.created_by = ada.id;
  l.created_at = now_;
  const auto created =
      b().sharing().create_link(l, {{"eve@partner.example", std::nullopt, std::nullopt}}).value();
  const Id eve = created.recipients.at(0).principal_id;
  EXPECT_EQ(b().sharing().identity_last_seen(eve).value(), std::nullopt);
  ASSERT_TRUE(b().sharing().set_identity_state(eve, IdentityState::kVerified,
                                               now_ + std::chrono::hours(1)));
  EXPECT_EQ(b().sharing().identity_last_seen(eve).value(), now_ + std::chrono::hours(1));
  ASSERT_TRUE(
      b().sharing().record_grant_use(created.recipients.at(0).id, now_ + std::chrono::hours(5)));
  EXPECT_EQ(b().sharing().identity_last_seen(eve).value(), now_ + std::chrono::hours(5));
  EXPECT_EQ(b().sharing().identity_last_seen(9999).error().code, Errc::kNotFound);
}

TEST_P(StoreContract, MailHistoryOfALinkRecipientIsOldestFirst) {
  const auto ada = user("ada@example.org");
  NewLink l;
  l.item_id = root_of(ada).id;
  l.kind = LinkKind::kSpecific;
  l.token_hash = "h";
  l.created_by = ada.id;
  l.created_at = now_;
  const Id link = b().sharing().create_link(l, {}).value().link.id;
  NewMail mail;
  mail.kind = MailKind::kInvitation;
  mail.to = "eve@partner.example";
  mail.subject = "first";
  mail.text = "body";
  mail.link_id = link;
  ASSERT_TRUE(b().outbox().enqueue(mail, "<1@test>", now_));
  mail.subject = "second";
  ASSERT_TRUE(b().outbox().enqueue(mail, "<2@test>", now_ + std::chrono::minutes(1)));
  mail.to = "bob@partner.example";
  ASSERT_TRUE(b().outbox().enqueue(mail, "<3@test>", now_));
  mail.to = "eve@partner.example";
  mail.kind = MailKind::kCode;
  ASSERT_TRUE(b().outbox().enqueue(mail, "<4@test>", now_));
  const auto sent =
      b().outbox().history(link, "eve@partner.example", MailKind::kInvitation).value();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].subject, "first");
  EXPECT_EQ(sent[1].created_at, now_ + std::chrono::minutes(1));
  EXPECT_TRUE(sent[1].text.empty());  // no bodies
}

TEST_P(StoreContract, AMailIsClaimedByOneWorkerOfAllNodesAtATimeAndReadCurrent) {
  NewMail mail;
  mail.to = "eve@partner.example";
  mail.subject = "one";
  mail.text = "body";
  const Id id = b().outbox().enqueue(mail, "<1@test>", now_).value().id;
  auto node = b().another_node();
  sql::OutboxStore there(*node);

  auto mine = b().outbox().claim(id, now_).value();
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(mine->message.subject, "one");
  EXPECT_FALSE(there.claim(id, now_).value().has_value());         // another node's worker
  EXPECT_FALSE(b().outbox().claim(id, now_).value().has_value());  // another worker here
  mine.reset();

  auto theirs = there.claim(id, now_).value();
  ASSERT_TRUE(theirs.has_value());
  ASSERT_TRUE(there.mark_sent(id, now_, false));
  theirs.reset();
  // Free again, but delivered: a worker that read it as due before is told so.
  EXPECT_FALSE(b().outbox().claim(id, now_).value().has_value());
}

TEST_P(StoreContract, AMailIsNotClaimedBeforeItIsDue) {
  NewMail mail;
  mail.to = "eve@partner.example";
  mail.subject = "later";
  const Id id = b().outbox().enqueue(mail, "<1@test>", now_).value().id;
  ASSERT_TRUE(b().outbox().reschedule(id, 1, now_ + std::chrono::minutes(5), "451 busy"));
  EXPECT_FALSE(b().outbox().claim(id, now_).value().has_value());
  const auto later = b().outbox().claim(id, now_ + std::chrono::minutes(5)).value();
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->message.attempts, 1);
  EXPECT_EQ(later->message.last_error, "451 busy");
}

TEST_P(StoreContract, ThrottleCountsArePerScopeAndASuccessClearsThePairAndTheAccount) {
  auto& t = b().throttles();
  // Each failure blocks until now_ plus as many seconds (and a few microseconds) as it counts.
  const auto next = [&](ThrottleKind kind, ThrottleEntry e) {
    e.blocked_until = now_ + std::chrono::seconds{e.failures} +
                      std::chrono::microseconds{static_cast<int>(kind) + 1};
    return e;
  };
  ASSERT_TRUE(t.record_failure("sign-in", "ada@example.org", "10.0.0.1", next));
  ASSERT_TRUE(t.record_failure("sign-in", "ada@example.org", "10.0.0.1", next));
  ASSERT_TRUE(t.record_failure("sign-in", "bob@example.org", "10.0.0.1", next));
  auto ada = t.entries("sign-in", "ada@example.org", "10.0.0.1").value();
  EXPECT_EQ(ada.pair.failures, 2);
  EXPECT_EQ(ada.pair.blocked_until, now_ + std::chrono::seconds{2} + std::chrono::microseconds{1});
  EXPECT_EQ(ada.account.failures, 2);
  EXPECT_EQ(ada.account.blocked_until,
            now_ + std::chrono::seconds{2} + std::chrono::microseconds{2});
  EXPECT_EQ(ada.address.failures, 3);
  EXPECT_EQ(ada.address.blocked_until,
            now_ + std::chrono::seconds{3} + std::chrono::microseconds{3});
  // Another scope, another client: counted apart.
  const auto link = t.entries("link-password", "ada@example.org", "10.0.0.1").value();
  EXPECT_EQ(link.pair.failures + link.account.failures + link.address.failures, 0);
  const auto elsewhere = t.entries("sign-in", "ada@example.org", "10.0.0.2").value();
  EXPECT_EQ(elsewhere.pair.failures, 0);
  EXPECT_EQ(elsewhere.account.failures, 2);
  EXPECT_EQ(elsewhere.address.failures, 0);
  EXPECT_EQ(elsewhere.address.blocked_until, TimePoint{});

  ASSERT_TRUE(t.clear("sign-in", "ada@example.org", "10.0.0.1"));
  ada = t.entries("sign-in", "ada@example.org", "10.0.0.1").value();
  EXPECT_EQ(ada.pair.failures, 0);
  EXPECT_EQ(ada.account.failures, 0);
  EXPECT_EQ(ada.address.failures, 3);  // the address keeps its count
  EXPECT_EQ(t.entries("sign-in", "bob@example.org", "10.0.0.1").value().pair.failures, 1);
}

TEST_P(StoreContract, ThrottlePruningForgetsIdleEntriesOnlyPastTheLimit) {
  auto& t = b().throttles();
  const auto blocked_until = [](TimePoint until) {
    return [until](ThrottleKind, ThrottleEntry e) {
      e.blocked_until = until;
      return e;
    };
  };
  const auto idle = now_ - std::chrono::hours{1};
  ASSERT_TRUE(t.record_failure("sign-in", "ada@example.org", "10.0.0.1", blocked_until(idle)));
  ASSERT_TRUE(t.record_failure("sign-in", "bob@example.org", "10.0.0.2",
                               blocked_until(now_ + std::chrono::minutes{1})));
  ASSERT_TRUE(t.record_failure("link-password", "link:1", "10.0.0.1", blocked_until(idle)));
  // Six entries in sign-in: under the limit nothing goes.
  ASSERT_TRUE(t.prune("sign-in", 6, now_));
  EXPECT_EQ(t.entries("sign-in", "ada@example.org", "10.0.0.1").value().pair.failures, 1);
  // Past it, the idle ones go and the one still blocked stays; other scopes are untouched.
  ASSERT_TRUE(t.prune("sign-in", 5, now_));
  const auto ada = t.entries("sign-in", "ada@example.org", "10.0.0.1").value();
  EXPECT_EQ(ada.pair.failures + ada.account.failures + ada.address.failures, 0);
  EXPECT_EQ(t.entries("sign-in", "bob@example.org", "10.0.0.2").value().pair.failures, 1);
  EXPECT_EQ(t.entries("link-password", "link:1", "10.0.0.1").value().pair.failures, 1);
}

#if defined(VESTIBULE_CONTRACT_POSTGRES)
INSTANTIATE_TEST_SUITE_P(
    Backends, StoreContract,
    ::testing::Values(std::make_pair("postgres",
                                     Factory([] { return std::make_unique<PostgresBackend>(); }))),
    [](const auto& p) { return std::string(p.param.first); });
#else
INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values(std::make_pair(
                             "sqlite", Factory([] { return std::make_unique<SqliteBackend>(); }))),
                         [](const auto& p) { return std::string(p.param.first); });
#endif

#if !defined(VESTIBULE_CONTRACT_POSTGRES)
TEST(SqliteMigrations, AreIdempotentAndRecordTheVersion) {
  testing::TempDir dir;
  sqlite::Database db((dir.path() / "m.db").string(), 1);
  EXPECT_EQ(db.migrate().value(), db.latest_schema_version());
  EXPECT_EQ(db.migrate().value(), db.latest_schema_version());
  EXPECT_EQ(db.integrity_check().value(), "ok");
}
#endif

}  // namespace
}  // namespace vestibule::store
