// Schemas 8 and 9 on a database that already holds data: the verification tables are rebuilt
// with a nullable link (sign-in codes) keeping every row, and an address's last proof starts from
// its newest recipient session, else from when it was first verified.
#include "store/sqlite/database.hpp"
#include "store/sqlite/migrations.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

TEST(VerificationMigration, KeepsRequestsCodesAndBackfillsTheLastProof) {
  testing::TempDir dir;
  sqlite::Database db((dir.path() / "upgrade.db").string(), 1);
  // A database at schema 7 with a link, two identities, a request, a code and a session.
  ASSERT_TRUE(db.write<void>([](sql::Connection& c) {
    const auto& all = sqlite::migrations();
    for (std::size_t i = 0; i < 7; ++i) {
      c.exec(std::string(all[i]));
    }
    c.exec("PRAGMA user_version = 7");
    c.exec(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at) "
        "VALUES (1, 'o@example.org', 'O', 'x', 'user', 0);"
        "INSERT INTO spaces (id, name, kind, owner_user_id, created_at) "
        "VALUES (1, 'My files', 'personal', 1, 0);"
        "INSERT INTO items (id, space_id, name, kind, path, modified_at) "
        "VALUES (1, 1, 'My files', 'folder', '/1/', 0);"
        "INSERT INTO links (id, item_id, kind, role, token_hash, created_by, created_at) "
        "VALUES (5, 1, 'specific', 'view', 'h', 1, 0);"
        "INSERT INTO external_identities (id, address, state, created_at, verified_at) VALUES "
        "(1, 'eve@partner.example', 'verified', 0, 100), "
        "(2, 'fred@partner.example', 'verified', 0, 200), "
        "(3, 'gus@partner.example', 'pending', 0, NULL);"
        "INSERT INTO external_sessions (token_hash, external_id, created_at, proved_at, "
        "expires_at) VALUES ('s1', 1, 100, 100, 9999), ('s2', 1, 500, 500, 9999);"
        "INSERT INTO verification_requests (link_id, address, browser_hash, client_address, "
        "created_at, processed) VALUES (5, 'eve@partner.example', 'b', '198.51.100.7', 400, 1);"
        "INSERT INTO verification_codes (link_id, address, external_id, browser_hash, code_hmac, "
        "created_at, expires_at, tries) VALUES (5, 'eve@partner.example', 1, 'b', 'mac', 400, "
        "1000, 2);");
  }));
  ASSERT_EQ(db.migrate().value(), db.latest_schema_version());
  ASSERT_GE(db.latest_schema_version(), 9);
  EXPECT_EQ(db.integrity_check().value(), "ok");

  const auto rows = db.read<std::string>([](sql::Connection& c) {
    std::string out;
    auto& r =
        c.prepare("SELECT link_id, address, processed FROM verification_requests ORDER BY id");
    while (r.step()) {
      out += std::to_string(r.int64(0)) + " " + r.text(1) + " " + std::to_string(r.int64(2)) + ";";
    }
    auto& k = c.prepare("SELECT link_id, external_id, code_hmac, tries FROM verification_codes");
    while (k.step()) {
      out += std::to_string(k.int64(0)) + " " + std::to_string(k.int64(1)) + " " + k.text(2) + " " +
             std::to_string(k.int64(3)) + ";";
    }
    auto& e = c.prepare(
        "SELECT address, COALESCE(last_verified_at, -1) FROM external_identities ORDER BY id");
    while (e.step()) {
      out += e.text(0) + " " + std::to_string(e.int64(1)) + ";";
    }
    // A sign-in request and code (no link) can be written now.
    c.prepare(
         "INSERT INTO verification_requests (link_id, address, browser_hash, client_address, "
         "created_at) VALUES (NULL, 'eve@partner.example', 'b', '198.51.100.7', 600)")
        .run();
    c.prepare(
         "INSERT INTO verification_codes (link_id, address, external_id, browser_hash, "
         "code_hmac, created_at, expires_at) VALUES (NULL, 'eve@partner.example', 1, 'b', 'm2', "
         "600, 1200)")
        .run();
    return out;
  });
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_EQ(rows.value(),
            "5 eve@partner.example 1;"
            "5 1 mac 2;"
            "eve@partner.example 500;"   // the newest session's proof
            "fred@partner.example 200;"  // no session: when first verified
            "gus@partner.example -1;");  // never verified
  // The links still cascade to their requests and codes.
  ASSERT_TRUE(db.write<void>([](sql::Connection& c) { c.exec("DELETE FROM links"); }));
  const auto left = db.read<std::int64_t>([](sql::Connection& c) {
    auto& s = c.prepare(
        "SELECT (SELECT count(*) FROM verification_requests WHERE link_id IS NOT NULL) + "
        "(SELECT count(*) FROM verification_codes WHERE link_id IS NOT NULL)");
    s.step();
    return s.int64(0);
  });
  EXPECT_EQ(left.value(), 0);
}

}  // namespace
}  // namespace vestibule::store
