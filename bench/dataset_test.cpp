// The generated dataset against the real code: its rows are the rows the services write for the
// same actions, its paths follow the store's format, its check passes, and a cached dataset is
// reused only when it has the asked-for shape.
#include "dataset.hpp"

#include "support/temp_dir.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <gtest/gtest.h>
#include <sodium.h>
#include <sqlite3.h>

namespace vestibule::bench {
namespace {

using domain::Id;
using store::sql::Connection;

DatasetShape tiny() {
  DatasetShape shape;
  shape.items = 300;
  shape.links = 40;
  shape.depth = 6;
  shape.members = 5;
  shape.samples = 10;
  shape.admin_password_cost = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  return shape;
}

using Row = std::map<std::string, std::string>;

// The row of `table` whose `key` column is `id`, column by column (every column the schema has,
// so a column added later is compared too), leaving out those in `skip`.
Row row(Services& s, const std::string& table, const std::string& key, Id id,
        const std::set<std::string>& skip) {
  return s.db
      .read<Row>([&](Connection& base) {
        auto& c = static_cast<store::sqlite::Connection&>(base);
        const std::string sql = "SELECT * FROM " + table + " WHERE " + key + " = ?1";
        sqlite3_stmt* raw = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(c.handle(), sql.c_str(), -1, &raw, nullptr), SQLITE_OK);
        std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw, sqlite3_finalize);
        sqlite3_bind_int64(raw, 1, id);
        Row out;
        if (sqlite3_step(raw) != SQLITE_ROW) {
          ADD_FAILURE() << "no row in " << table << " with " << key << " = " << id;
          return out;
        }
        for (int i = 0; i < sqlite3_column_count(raw); ++i) {
          const std::string name = sqlite3_column_name(raw, i);
          if (skip.contains(name)) {
            continue;
          }
          const auto* text = sqlite3_column_text(raw, i);
          out[name] = text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
        }
        return out;
      })
      .value();
}

Id first_id(Services& s, const std::string& sql) {
  return s.db
      .read<Id>([&](Connection& c) {
        auto& q = c.prepare(sql);
        return q.step() ? q.int64(0) : 0;
      })
      .value();
}

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override { manifest = generate(dir.path() / "data", tiny()).value(); }
  std::unique_ptr<Services> open() {
    return std::make_unique<Services>(dir.path() / "data", util::from_unix(manifest.generated_at),
                                      tiny().admin_password_cost);
  }

  testing::TempDir dir;
  DatasetManifest manifest;
};

TEST_F(DatasetTest, GeneratedDatasetPassesItsCheck) {
  auto s = open();
  EXPECT_TRUE(check(*s, manifest)) << check(*s, manifest).error().message;
  EXPECT_FALSE(manifest.member_samples.empty());
  EXPECT_FALSE(manifest.specific_samples.empty());
  EXPECT_FALSE(manifest.anyone_samples.empty());
}

TEST_F(DatasetTest, TreeHasTheAskedForSizeAndDepth) {
  auto s = open();
  const auto deepest = s->db.read<std::int64_t>([&](Connection& c) {
    auto& q = c.prepare(
        "SELECT max(length(path) - length(replace(path, '/', ''))) - 2 FROM items "
        "WHERE space_id = ?1");
    q.with(manifest.space_id);
    q.step();
    return q.int64(0);
  });
  EXPECT_EQ(deepest.value(), tiny().depth);
  const auto files = first_id(*s, "SELECT count(*) FROM items WHERE kind = 'file'");
  const auto versions = first_id(*s, "SELECT count(*) FROM versions");
  EXPECT_EQ(files, versions);
  EXPECT_GT(files, tiny().items / 2);
}

TEST_F(DatasetTest, PathsAreTheStoresFormat) {
  auto s = open();
  EXPECT_EQ(first_id(*s,
                     "SELECT count(*) FROM items i LEFT JOIN items p ON p.id = i.parent_id "
                     "WHERE i.path != COALESCE(p.path, '/') || i.id || '/'"),
            0);
}

TEST_F(DatasetTest, RowsEqualWhatTheServicesWrite) {
  auto s = open();
  const auto admin = s->member(manifest.admin_email).value();

  const auto folder = s->files.create_folder(admin, manifest.root_id, "written-folder").value();
  auto upload =
      s->files.begin_upload(admin, manifest.root_id, "written-file.txt", std::nullopt).value();
  ASSERT_TRUE(upload->write(file_bytes()));
  const auto file = upload->commit().value().item;
  domain::LinkRequest specific;
  specific.kind = domain::LinkKind::kSpecific;
  specific.recipients = {{"written@partner-1.example", std::nullopt}};
  const auto specific_link = s->sharing.create_link(admin, file.id, specific).value();
  domain::LinkRequest anyone;
  anyone.kind = domain::LinkKind::kAnyone;
  const auto anyone_link = s->sharing.create_link(admin, file.id, anyone).value();
  ASSERT_TRUE(s->members.add_user("written-member@bench.example", "bench member password", "",
                                  domain::UserRole::kUser));
  const auto grant =
      s->sharing.put_grant(admin, folder.id, "written-member@bench.example", domain::Role::kView)
          .value();

  const Id generated_folder = manifest.granted_folder_id;
  const Id generated_file = manifest.member_samples.front().item_id;
  const std::set<std::string> item_keys{"id", "parent_id", "name", "path"};
  EXPECT_EQ(row(*s, "items", "id", folder.id, item_keys),
            row(*s, "items", "id", generated_folder, item_keys));
  EXPECT_EQ(row(*s, "items", "id", file.id, item_keys),
            row(*s, "items", "id", generated_file, item_keys));
  EXPECT_EQ(row(*s, "versions", "item_id", file.id, {"item_id"}),
            row(*s, "versions", "item_id", generated_file, {"item_id"}));

  const std::set<std::string> link_keys{"id", "item_id", "token_hash"};
  const Id written_specific = specific_link.link.link.id;
  const Id generated_specific = first_id(*s, "SELECT min(id) FROM links WHERE kind = 'specific'");
  EXPECT_EQ(row(*s, "links", "id", written_specific, link_keys),
            row(*s, "links", "id", generated_specific, link_keys));
  EXPECT_EQ(row(*s, "links", "id", anyone_link.link.link.id, link_keys),
            row(*s, "links", "id", first_id(*s, "SELECT min(id) FROM links WHERE kind = 'anyone'"),
                link_keys));

  const std::set<std::string> grant_keys{"id", "item_id", "user_id", "external_id", "link_id"};
  EXPECT_EQ(row(*s, "grants", "link_id", written_specific, grant_keys),
            row(*s, "grants", "link_id", generated_specific, grant_keys));
  EXPECT_EQ(
      row(*s, "grants", "id", grant.id, grant_keys),
      row(*s, "grants", "id",
          first_id(*s, "SELECT min(id) FROM grants WHERE user_id IS NOT NULL AND role = 'view'"),
          grant_keys));

  const std::set<std::string> identity_keys{"id", "address"};
  EXPECT_EQ(row(*s, "external_identities", "id", specific_link.link.recipients.front().principal_id,
                identity_keys),
            row(*s, "external_identities", "id",
                first_id(*s, "SELECT min(id) FROM external_identities WHERE state = 'pending'"),
                identity_keys));
}

TEST(DatasetCache, ReusesADatasetOnlyOfTheSameShape) {
  testing::TempDir dir;
  const auto first = open_or_generate(dir.path() / "data", tiny()).value();
  const auto again = open_or_generate(dir.path() / "data", tiny()).value();
  EXPECT_EQ(again.specific_samples.front().link_token, first.specific_samples.front().link_token);
  auto other = tiny();
  other.links = 30;
  const auto changed = open_or_generate(dir.path() / "data", other).value();
  EXPECT_EQ(changed.links, 30);
  EXPECT_NE(changed.specific_samples.front().link_token, first.specific_samples.front().link_token);
}

TEST(DatasetCache, LeavesAFolderThatIsNotADatasetAlone) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "keep.txt") << "mine\n";
  const auto refused = open_or_generate(dir.path(), tiny());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kConflict);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "keep.txt"));
}

}  // namespace
}  // namespace vestibule::bench
