#include "util/csv.hpp"

namespace vestibule::util {

std::string csv_field(std::string_view text) {
  std::string field;
  append_csv_field(field, text);
  return field;
}

void append_csv_field(std::string& out, std::string_view text) {
  const bool neutralize =
      !text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos;
  // Only empty fields and plain numbers go bare: every other field is quoted, so a spreadsheet
  // that splits on another separator (Excel's ";" in many locales) still reads it as one cell and
  // cannot find a formula start after that separator.
  if (!neutralize && text.find_first_not_of("0123456789") == std::string_view::npos) {
    out.append(text);
    return;
  }
  out += '"';
  if (neutralize) {
    out += '\'';
  }
  for (auto quote = text.find('"'); quote != std::string_view::npos; quote = text.find('"')) {
    out.append(text.substr(0, quote + 1)).append(1, '"');  // a quote, doubled
    text.remove_prefix(quote + 1);
  }
  out.append(text).append(1, '"');
}

void append_csv_record(std::string& out, const std::vector<std::string_view>& fields) {
  bool first = true;
  for (const auto field : fields) {
    if (!first) {
      out += ',';
    }
    first = false;
    append_csv_field(out, field);
  }
  out += "\r\n";
}

}  // namespace vestibule::util
