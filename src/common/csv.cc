#include "common/csv.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace strongroom {

namespace {

// The number of the first line of `text` that is not valid UTF-8.
size_t FirstInvalidLine(std::string_view text) {
  size_t line = 1, start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    const auto piece = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (!Utf8CodePoints(piece) || end == std::string_view::npos) break;
    start = end + 1;
    ++line;
  }
  return line;
}

}  // namespace

Result<std::vector<CsvRow>> ParseCsv(std::string_view text, size_t max_rows) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (!Utf8CodePoints(text)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("line {}: not valid UTF-8", FirstInvalidLine(text)));
  }
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string cell;
  size_t line = 1;
  row.line = 1;
  bool quoted = false, after_quote = false, any = false;
  auto end_cell = [&] {
    row.cells.push_back(std::move(cell));
    cell.clear();
    after_quote = false;
  };
  auto end_row = [&]() -> Result<void> {
    end_cell();
    const bool blank = row.cells.size() == 1 && row.cells[0].empty();
    if (!blank) {
      if (rows.size() > max_rows) {  // the header plus max_rows
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("at most {} rows may be sent at once", max_rows));
      }
      rows.push_back(std::move(row));
    }
    row = CsvRow{};
    row.line = line;
    any = false;
    return {};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell.push_back('"');
          ++i;
        } else {
          quoted = false;
          after_quote = true;
        }
      } else if (c == '\0') {
        // Refused quoted as unquoted: else a cell read here could not be written back.
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("line {}: a control character in a field", line));
      } else {
        if (c == '\n') ++line;
        cell.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      end_cell();
      any = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the \n ends the row
    } else if (c == '\n') {
      ++line;
      RETURN_IF_ERROR(end_row());
    } else if (c == '"') {
      if (!cell.empty() || after_quote) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("line {}: a quote inside an unquoted field", line));
      }
      quoted = true;
    } else if (after_quote) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("line {}: text after a closing quote", line));
    } else if (c == '\r' || c == '\0') {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("line {}: a control character in a field", line));
    } else {
      cell.push_back(c);
    }
  }
  if (quoted) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("line {}: a quote is never closed", row.line));
  }
  if (!cell.empty() || !row.cells.empty() || any || after_quote) RETURN_IF_ERROR(end_row());
  return rows;
}

std::string CsvCell(std::string_view value) {
  std::string v(value);
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    v.insert(v.begin(), '\'');
  }
  // A cell that starts with U+FEFF is quoted: at the start of a file, unquoted, it would be read
  // as the byte order mark and lost.
  if (v.find_first_of(",\"\r\n") == std::string::npos && !v.starts_with("\xEF\xBB\xBF")) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvLine(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += CsvCell(cells[i]);
  }
  out += "\r\n";
  return out;
}

}  // namespace strongroom
