// The CSV writer (util/csv) of the reports people open in spreadsheets. The input is cut into
// records of fields (0x1E ends a record, 0x1F a field). Properties: a strict RFC 4180 reader gets
// every field back exactly — as given, or with the one leading single quote that neutralizes a
// formula — and no cell it reads starts a formula (= + - @ tab CR).
#include "check.hpp"
#include "util/csv.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Records = std::vector<std::vector<std::string>>;

bool starts_formula(std::string_view text) {
  return !text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos;
}

// RFC 4180: fields separated by ',', records ended by CRLF, a quoted field doubles its quotes; a
// bare field holds no quote, comma, CR or LF. nullopt when the text breaks a rule.
std::optional<Records> read_csv(std::string_view text) {
  Records records;
  std::vector<std::string> record;
  std::size_t i = 0;
  while (i < text.size()) {
    std::string field;
    if (text[i] == '"') {
      ++i;
      while (true) {
        if (i >= text.size()) {
          return std::nullopt;  // unterminated quote
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r') {
        if (text[i] == '"' || text[i] == '\n') {
          return std::nullopt;
        }
        field += text[i++];
      }
    }
    record.push_back(std::move(field));
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (text.substr(i, 2) != "\r\n") {
      return std::nullopt;
    }
    i += 2;
    records.push_back(std::move(record));
    record.clear();
  }
  if (!record.empty()) {
    return std::nullopt;  // a record without its CRLF
  }
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Records given;
  std::vector<std::string> record;
  std::string field;
  for (const char c : input) {
    if (c == '\x1f' || c == '\x1e') {
      record.push_back(std::move(field));
      field.clear();
      if (c == '\x1e') {
        given.push_back(std::move(record));
        record.clear();
      }
    } else {
      field += c;
    }
  }
  record.push_back(std::move(field));
  given.push_back(std::move(record));

  std::string out;
  for (const auto& fields : given) {
    std::vector<std::string_view> views(fields.begin(), fields.end());
    vestibule::util::append_csv_record(out, views);
  }
  const auto read = read_csv(out);
  FUZZ_CHECK(read.has_value());
  FUZZ_CHECK(read->size() == given.size());
  for (std::size_t r = 0; r < given.size(); ++r) {
    FUZZ_CHECK((*read)[r].size() == given[r].size());
    for (std::size_t f = 0; f < given[r].size(); ++f) {
      const std::string& cell = (*read)[r][f];
      const std::string& text = given[r][f];
      FUZZ_CHECK(cell == (starts_formula(text) ? "'" + text : text));
      FUZZ_CHECK(!starts_formula(cell));
    }
  }
  return 0;
}
