#include "util/csv.hpp"

namespace vestibule::util {

std::string csv_field(std::string_view text) {
  std::string field;
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    field = "'";
  }
  field.append(text);
  // Only empty fields and plain numbers go bare: every other field is quoted, so a spreadsheet
  // that splits on another separator (Excel's ";" in many locales) still reads it as one cell and
  // cannot find a formula start after that separator.
  if (field.empty() || field.find_first_not_of("0123456789") == std::string::npos) {
    return field;
  }
  std::string quoted = "\"";
  for (const char c : field) {
    if (c == '"') {
      quoted += '"';
    }
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

void append_csv_record(std::string& out, const std::vector<std::string_view>& fields) {
  bool first = true;
  for (const auto field : fields) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += csv_field(field);
  }
  out += "\r\n";
}

}  // namespace vestibule::util
