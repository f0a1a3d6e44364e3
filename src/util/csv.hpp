// CSV as RFC 4180 writes it (comma-separated, CRLF line ends, quotes doubled), for reports that
// people open in spreadsheets. Every field but an empty one or a plain number (digits only) is
// quoted, so a spreadsheet splitting on ";" (Excel in many locales) keeps it one cell.
// A field starting with = + - @ (or a tab or carriage return) gets a leading single quote, so a
// spreadsheet shows it as text instead of running it as a formula.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vestibule::util {

// One field as it appears in a record: neutralized, then quoted when needed.
std::string csv_field(std::string_view text);
// The same, appended to `out`.
void append_csv_field(std::string& out, std::string_view text);
// Appends one record (the fields and a CRLF) to `out`.
void append_csv_record(std::string& out, const std::vector<std::string_view>& fields);

}  // namespace vestibule::util
