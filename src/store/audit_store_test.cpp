// The audit log (schema 11): the chain verifies, any edit, removal, insertion or reordering of a
// row is found at the first bad entry, a change and its entry commit together or not at all, and
// pruning and erasing one address keep the rest verifiable.
#include "store/sql/audit_store.hpp"

#include "support/store_fixture.hpp"
#include "util/request_origin.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

using namespace vestibule::domain;

struct AuditLogTest : ::testing::Test {
  AuditEntry entry(const std::string& event, const std::string& actor = "admin@example.org",
                   const std::string& target_address = "") {
    AuditEntry e;
    e.event = event;
    e.actor_kind = "member";
    e.actor_id = 1;
    e.target = "link:7";
    e.personal.actor_address = actor;
    e.personal.target_address = target_address;
    e.details = {{"item", 3}};
    return e;
  }
  void record(int n) {
    for (int i = 0; i < n; ++i) {
      f.audit.record(entry("link.changed"));
      f.clock.advance(std::chrono::seconds{10});
    }
  }
  void sql(const std::string& statement) {
    ASSERT_TRUE(f.db.write<void>([&](sql::Connection& c) { c.exec(statement); }));
  }
  std::int64_t count(const std::string& query) {
    return f.db
        .read<std::int64_t>([&](sql::Connection& c) {
          auto& s = c.prepare(query);
          s.step();
          const auto n = s.int64(0);
          s.reset();
          return n;
        })
        .value();
  }
  AuditVerdict verify() { return f.audit.verify().value(); }

  testing::StoreFixture f;
};

TEST_F(AuditLogTest, AnUntouchedLogVerifies) {
  EXPECT_TRUE(verify().ok);
  EXPECT_EQ(verify().entries, 0);
  record(5);
  const auto v = verify();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.entries, 5);
  const auto head = f.audit.head().value();
  EXPECT_EQ(head.id, 5);
  EXPECT_EQ(head.hash.size(), 64U);
}

TEST_F(AuditLogTest, EachEntryKeepsTheRequestsOrigin) {
  {
    const util::RequestOriginScope origin({"203.0.113.9", "Firefox/140"});
    f.audit.record(entry("member.signed_in"));
  }
  const auto page = f.audit.list({}).value();
  ASSERT_EQ(page.entries.size(), 1U);
  EXPECT_EQ(page.entries[0].personal.client_ip, "203.0.113.9");
  EXPECT_EQ(page.entries[0].personal.user_agent, "Firefox/140");
  EXPECT_EQ(page.entries[0].personal.actor_address, "admin@example.org");
  // The chained row holds commitments only, never the values.
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE instr(commitments, '203.0.113.9') > 0 "
                  "OR instr(details, 'admin@') > 0"),
            0);
}

TEST_F(AuditLogTest, EditingAnyFieldIsFoundAtThatEntry) {
  for (const std::string& edit :
       {std::string("UPDATE audit_log SET event = 'link.viewed' WHERE id = 3"),
        std::string("UPDATE audit_log SET at = at - 1 WHERE id = 3"),
        std::string("UPDATE audit_log SET details = '{\"item\":4}' WHERE id = 3"),
        std::string("UPDATE audit_log SET actor_id = 2 WHERE id = 3"),
        std::string("UPDATE audit_personal SET value = 'eve@example.org' WHERE entry = 3 AND "
                    "field = 'actor_address'")}) {
    testing::StoreFixture fresh;
    for (int i = 0; i < 5; ++i) {
      fresh.audit.record(entry("link.changed"));
    }
    ASSERT_TRUE(fresh.audit.verify().value().ok);
    ASSERT_TRUE(fresh.db.write<void>([&](sql::Connection& c) { c.exec(edit); }));
    const auto v = fresh.audit.verify().value();
    EXPECT_FALSE(v.ok) << edit;
    EXPECT_EQ(v.first_bad, 3) << edit << ": " << v.reason;
  }
}

TEST_F(AuditLogTest, RemovingInsertingOrReorderingIsFound) {
  record(6);
  sql("DELETE FROM audit_log WHERE id = 4");
  auto v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5) << v.reason;

  testing::StoreFixture g;
  for (int i = 0; i < 4; ++i) {
    g.audit.record(entry(i % 2 == 0 ? "link.changed" : "link.revoked"));
  }
  // Rows 2 and 3 trade places: each keeps its own hash, now in the wrong position.
  ASSERT_TRUE(g.db.write<void>([](sql::Connection& c) {
    c.exec(
        "PRAGMA defer_foreign_keys = ON; UPDATE audit_log SET id = 100 WHERE id = 2; UPDATE "
        "audit_log SET id = 2 WHERE id = 3;"
        "UPDATE audit_log SET id = 3 WHERE id = 100;");
  }));
  v = g.audit.verify().value();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 2) << v.reason;

  testing::StoreFixture h;
  for (int i = 0; i < 3; ++i) {
    h.audit.record(entry("link.changed"));
  }
  // A forged row between two real ones, with a made-up hash.
  ASSERT_TRUE(h.db.write<void>([](sql::Connection& c) {
    c.exec(
        "PRAGMA defer_foreign_keys = ON; UPDATE audit_log SET id = id + 10 WHERE id = 3;"
        "INSERT INTO audit_log (id, at, event, actor_kind, hash) VALUES (3, 0, 'link.revoked', "
        "'member', 'ab');");
  }));
  v = h.audit.verify().value();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 3) << v.reason;

  testing::StoreFixture k;
  for (int i = 0; i < 3; ++i) {
    k.audit.record(entry("link.changed"));
  }
  ASSERT_TRUE(k.db.write<void>(
      [](sql::Connection& c) { c.exec("DELETE FROM audit_log WHERE id = 1"); }));
  v = k.audit.verify().value();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 2) << v.reason;
}

TEST_F(AuditLogTest, AnotherKeyCannotVerifyOrForgeTheChain) {
  record(2);
  sql::AuditStore other(f.db, f.clock, std::string(32, 'x'));
  const auto v = other.verify().value();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 1);
  f.db.set_before_commit({});
}

TEST_F(AuditLogTest, AChangeAndItsEntryCommitTogetherOrNotAtAll) {
  const auto write_setting = [this](bool fail) {
    return f.db.write<void>([fail](sql::Connection& c) {
      c.exec("INSERT OR REPLACE INTO settings (key, value) VALUES ('probe', 'x')");
      if (fail) {
        sql::refuse(Errc::kConflict, "refused");
      }
    });
  };
  {
    const auto announced = f.audit.before_change(entry("settings.changed"));
    ASSERT_TRUE(write_setting(false));
  }
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE event = 'settings.changed'"), 1);
  {
    const auto announced = f.audit.before_change(entry("link.revoked"));
    EXPECT_FALSE(write_setting(true));  // rolled back: neither the change nor the entry
  }
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE event = 'link.revoked'"), 0);
  {
    const auto announced = f.audit.before_change(entry("grant.put"));
    // The change is refused before it writes anything; the guard drops the entry.
  }
  ASSERT_TRUE(write_setting(false));
  EXPECT_EQ(count("SELECT count(*) FROM audit_log"), 1);
  EXPECT_TRUE(verify().ok);
}

TEST_F(AuditLogTest, PruningLeavesACheckpointAndTheRestVerifies) {
  record(6);  // at t0 .. t0+50 s
  const auto cut = f.clock.now() - std::chrono::seconds{25};
  AuditEntry actor;
  actor.actor_kind = "cli";
  EXPECT_EQ(f.audit.prune(cut, actor).value(), 4);
  auto v = verify();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.entries, 3);  // two kept and the checkpoint
  record(2);
  // The first checkpoint and the entries before the cut go; the checkpoint's successor verifies.
  EXPECT_EQ(f.audit.prune(f.clock.now() - std::chrono::seconds{15}, actor).value(), 4);
  v = verify();
  EXPECT_TRUE(v.ok) << v.reason;
  // Pruning everything leaves the checkpoint alone, and it verifies.
  {
    testing::StoreFixture g;
    for (int i = 0; i < 3; ++i) {
      g.audit.record(entry("link.changed"));
    }
    g.clock.advance(std::chrono::seconds{10});
    EXPECT_EQ(g.audit.prune(g.clock.now(), actor).value(), 3);
    const auto alone = g.audit.verify().value();
    EXPECT_TRUE(alone.ok) << alone.reason;
    EXPECT_EQ(alone.entries, 1);
  }
  // Removing the oldest kept entry is not a prune: it is found.
  sql("DELETE FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)");
  EXPECT_FALSE(verify().ok);
}

TEST_F(AuditLogTest, ErasingAnAddressKeepsTheChainAndLeavesItNowhere) {
  const std::string address = "erin.private@partner.example";
  {
    const util::RequestOriginScope origin({"198.51.100.77", "ErinBrowser/1.0"});
    auto failed = entry("verification.failed", "", address);
    failed.actor_kind = "anonymous";  // the person's own browser, before it proved anything
    f.audit.record(std::move(failed));
  }
  f.audit.record(entry("link.recipient_removed", "owner@example.org", address));
  f.audit.record(entry("link.changed"));
  ASSERT_TRUE(f.db.write<void>([&](sql::Connection& c) {
    c.prepare(
         "INSERT INTO external_identities (address, state, created_at) VALUES (?1, "
         "'verified', 0)")
        .with(address)
        .run();
  }));
  AuditEntry admin = entry("");
  const auto erased = f.audit.erase(address, admin).value();
  EXPECT_EQ(erased.entries, 2);
  EXPECT_EQ(erased.rows, 1);
  const auto v = verify();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.entries, 4);  // three and the erasure's own
  const auto page = f.audit.list({}).value();
  ASSERT_EQ(page.entries.size(), 4U);
  EXPECT_EQ(page.entries[0].event, "identity.erased");
  EXPECT_TRUE(page.entries[2].erased_at.has_value());
  EXPECT_EQ(page.entries[2].personal.actor_address, "owner@example.org");  // not theirs: kept
  EXPECT_TRUE(page.entries[3].personal.client_ip.empty());  // their own request: all of it gone
  f.db.checkpoint_truncate();
  for (const char* file : {"vestibule.db", "vestibule.db-wal"}) {
    std::ifstream in(f.dir.path() / file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("erin.private"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("198.51.100.77"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("ErinBrowser"), std::string::npos) << file;
  }
}

TEST_F(AuditLogTest, ListFiltersAndPages) {
  f.audit.record(entry("link.created", "ada@example.org"));
  f.audit.record(entry("link.revoked", "ada@example.org"));
  f.audit.record(entry("member.signed_in", "bob@example.org"));
  AuditFilter by_prefix;
  by_prefix.event = "link.";
  EXPECT_EQ(f.audit.list(by_prefix).value().entries.size(), 2U);
  AuditFilter by_actor;
  by_actor.actor = "bob@example.org";
  ASSERT_EQ(f.audit.list(by_actor).value().entries.size(), 1U);
  AuditFilter paged;
  paged.limit = 2;
  const auto first = f.audit.list(paged).value();
  ASSERT_EQ(first.entries.size(), 2U);
  ASSERT_TRUE(first.next_cursor.has_value());
  paged.before_id = first.next_cursor;
  const auto second = f.audit.list(paged).value();
  ASSERT_EQ(second.entries.size(), 1U);
  EXPECT_EQ(second.entries[0].id, 1);
  EXPECT_FALSE(second.next_cursor.has_value());
}

}  // namespace
}  // namespace vestibule::store
