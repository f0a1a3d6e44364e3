// The PostgreSQL schema keeps up with SQLite's: every table, column, index and trigger that the
// SQLite migrations end up with is created by the PostgreSQL migrations under the same name (and
// nothing else is), so a schema change made to one list only fails here, without a PostgreSQL
// server. tests/integration/schema_parity.py compares the two in full against a real server.
#include "store/postgres/migrations.hpp"

#include "store/sqlite/database.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

std::string postgres_schema() {
  std::string all;
  for (const auto& m : postgres::migrations()) {
    all += m;
  }
  return all;
}

// The text of `CREATE TABLE name (` up to its closing `);` in the PostgreSQL migrations.
std::string table_block(const std::string& schema, const std::string& table) {
  const std::string head = "CREATE TABLE " + table + " (\n";
  const auto start = schema.find(head);
  if (start == std::string::npos) {
    return {};
  }
  return schema.substr(start, schema.find("\n);", start) - start);
}

struct SqliteSchema {
  std::map<std::string, std::vector<std::string>> columns;  // table -> columns
  std::map<std::string, std::string> indexes;               // index -> table
  std::map<std::string, std::string> triggers;              // trigger -> table
};

SqliteSchema migrated_sqlite(const std::filesystem::path& dir) {
  sqlite::Database db((dir / "schema.db").string(), 1);
  EXPECT_TRUE(db.migrate());
  SqliteSchema out;
  EXPECT_TRUE(db.read<void>([&](sql::Connection& c) {
    auto& s = c.prepare(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name");
    while (s.step()) {
      const auto type = s.text(0);
      if (type == "table") {
        out.columns[s.text(1)];
      } else if (type == "index") {
        out.indexes[s.text(1)] = s.text(2);
      } else if (type == "trigger") {
        out.triggers[s.text(1)] = s.text(2);
      }
    }
    s.reset();
    for (auto& [table, columns] : out.columns) {
      auto& cols = c.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
      cols.with(table);
      while (cols.step()) {
        columns.push_back(cols.text(0));
      }
    }
  }));
  return out;
}

TEST(PostgresSchema, CreatesEveryTableColumnIndexAndTriggerOfTheSqliteSchema) {
  testing::TempDir dir;
  const auto lite = migrated_sqlite(dir.path());
  const auto pg = postgres_schema();
  ASSERT_GT(lite.columns.size(), 20U);
  for (const auto& [table, columns] : lite.columns) {
    const auto block = table_block(pg, table);
    ASSERT_FALSE(block.empty()) << "no CREATE TABLE " << table << " in the PostgreSQL schema";
    // The columns in SQLite's order, one per line, each line starting with its name.
    std::vector<std::string> pg_columns;
    static const std::regex kColumn(R"(\n  ([a-z_]+) )");
    for (std::sregex_iterator it(block.begin(), block.end(), kColumn), end; it != end; ++it) {
      pg_columns.push_back((*it)[1]);
    }
    EXPECT_EQ(pg_columns, columns) << "the columns of " << table;
  }
  for (const auto& [index, table] : lite.indexes) {
    static const std::regex kAnyIndex(R"(CREATE (UNIQUE )?INDEX ([a-z_]+)\s+ON ([a-z_]+)\()");
    bool found = false;
    for (std::sregex_iterator it(pg.begin(), pg.end(), kAnyIndex), end; it != end; ++it) {
      if ((*it)[2] == index) {
        EXPECT_EQ((*it)[3], table) << "the table of index " << index;
        found = true;
      }
    }
    EXPECT_TRUE(found) << "no CREATE INDEX " << index << " in the PostgreSQL schema";
  }
  for (const auto& [trigger, table] : lite.triggers) {
    EXPECT_TRUE(std::regex_search(pg, std::regex("CREATE TRIGGER " + trigger +
                                                 R"( (AFTER|BEFORE) [A-Z]+ ON )" + table + "\\b")))
        << "no CREATE TRIGGER " << trigger << " on " << table << " in the PostgreSQL schema";
  }
}

TEST(PostgresSchema, CreatesNothingTheSqliteSchemaLacks) {
  testing::TempDir dir;
  const auto lite = migrated_sqlite(dir.path());
  const auto pg = postgres_schema();
  std::set<std::string> extra;
  static const std::regex kCreated(R"(CREATE (TABLE|(UNIQUE )?INDEX|TRIGGER) ([a-z_]+))");
  for (std::sregex_iterator it(pg.begin(), pg.end(), kCreated), end; it != end; ++it) {
    const std::string kind = (*it)[1];
    const std::string name = (*it)[3];
    const bool known = kind == "TABLE"     ? lite.columns.contains(name)
                       : kind == "TRIGGER" ? lite.triggers.contains(name)
                                           : lite.indexes.contains(name);
    if (!known) {
      extra.insert(kind + " " + name);
    }
  }
  EXPECT_TRUE(extra.empty()) << "created only in PostgreSQL: " << ::testing::PrintToString(extra);
}

TEST(PostgresSchema, KeepsSqliteTypesAndByteOrder) {
  // INTEGER is BIGINT and TEXT is TEXT COLLATE "C" (byte order whatever the locale); no boolean,
  // no plain TEXT, no SQLite-only words.
  const auto pg = postgres_schema();
  for (const char* banned : {" INTEGER", " BOOLEAN", "WITHOUT ROWID", "AUTOINCREMENT", "NOCASE"}) {
    EXPECT_EQ(pg.find(banned), std::string::npos) << banned;
  }
  EXPECT_FALSE(std::regex_search(pg, std::regex(R"(\bTEXT\b(?! COLLATE "C"))")))
      << "a TEXT column without COLLATE \"C\"";
}

}  // namespace
}  // namespace vestibule::store
