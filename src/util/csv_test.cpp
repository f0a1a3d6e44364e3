#include "util/csv.hpp"

#include <gtest/gtest.h>

namespace vestibule::util {
namespace {

TEST(Csv, EveryTextFieldIsQuotedOnlyNumbersAndEmptyFieldsGoBare) {
  EXPECT_EQ(csv_field("q3.pdf"), "\"q3.pdf\"");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("42"), "42");
  EXPECT_EQ(csv_field("2030-01-31T17:00:00Z"), "\"2030-01-31T17:00:00Z\"");
  EXPECT_EQ(csv_field("Team/Reports/q3 (final).pdf"), "\"Team/Reports/q3 (final).pdf\"");
}

TEST(Csv, QuotesAreDoubledAndSeparatorsAndLineBreaksStayInside) {
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
}

TEST(Csv, ASemicolonCannotStartAFormulaInAnotherCell) {
  // Excel with ";" as its list separator would split a bare a;=cmd() into a second cell holding a
  // formula; quoted, it is one text cell.
  EXPECT_EQ(csv_field("a;=cmd|' /C calc'!A0"), "\"a;=cmd|' /C calc'!A0\"");
  EXPECT_EQ(csv_field(";@SUM(A1)"), "\";@SUM(A1)\"");
}

TEST(Csv, FormulaStartsAreNeutralizedWithAQuote) {
  EXPECT_EQ(csv_field("=1+1"), "\"'=1+1\"");
  EXPECT_EQ(csv_field("+33 1 23"), "\"'+33 1 23\"");
  EXPECT_EQ(csv_field("-draft.txt"), "\"'-draft.txt\"");
  EXPECT_EQ(csv_field("-5"), "\"'-5\"");
  EXPECT_EQ(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(csv_field("\tx"), "\"'\tx\"");
  EXPECT_EQ(csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  EXPECT_EQ(csv_field("a=b"), "\"a=b\"");  // only the first character counts
}

TEST(Csv, RecordsEndWithCrLf) {
  std::string out;
  append_csv_record(out, {"id", "name"});
  append_csv_record(out, {"1", "a,b"});
  append_csv_record(out, {"", ""});
  EXPECT_EQ(out, "\"id\",\"name\"\r\n1,\"a,b\"\r\n,\r\n");
}

}  // namespace
}  // namespace vestibule::util
