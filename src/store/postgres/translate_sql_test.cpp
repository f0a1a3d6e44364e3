#include "store/postgres/database.hpp"

#include <gtest/gtest.h>

namespace vestibule::store::postgres {
namespace {

TEST(TranslateSql, PlaceholdersBecomeNumberedParameters) {
  EXPECT_EQ(translate_sql("SELECT a FROM t WHERE id = ?1 AND (?2 IS NULL OR b = ?2)"),
            "SELECT a FROM t WHERE id = $1 AND ($2 IS NULL OR b = $2)");
}

TEST(TranslateSql, AnIdListBoundAsJsonBecomesASetOfBigints) {
  EXPECT_EQ(translate_sql("SELECT x FROM items WHERE id IN (SELECT value FROM json_each(?12))"),
            "SELECT x FROM items WHERE id IN (SELECT value::bigint FROM "
            "json_array_elements_text($12::json) AS value)");
}

TEST(TranslateSql, InstrBecomesStrposOnlyAsAWholeName) {
  EXPECT_EQ(translate_sql("WHERE instr(lower(a), lower(?3)) > 0 AND myinstr(b) = 1"),
            "WHERE strpos(lower(a), lower($3)) > 0 AND myinstr(b) = 1");
}

TEST(TranslateSql, QuotedTextIsLeftAsItIs) {
  EXPECT_EQ(translate_sql("SELECT 'why?1 instr(' || ?1 FROM t WHERE s LIKE '%@%.' || ?2"),
            "SELECT 'why?1 instr(' || $1 FROM t WHERE s LIKE '%@%.' || $2");
}

TEST(Redact, HidesThePasswordOfAUrlAndNothingElse) {
  EXPECT_EQ(Database::redact("postgres://ada:s3cret@db.example:5432/v"),
            "postgres://ada:***@db.example:5432/v");
  EXPECT_EQ(Database::redact("postgres://ada@db.example/v"), "postgres://ada@db.example/v");
  EXPECT_EQ(Database::redact("postgres://db.example:5432/v"), "postgres://db.example:5432/v");
}

}  // namespace
}  // namespace vestibule::store::postgres
