#pragma once
// CSV (RFC 4180) in and out, for admin lists and bulk uploads.
//
// Parsing is strict: valid UTF-8 only (a leading BOM is skipped), CRLF or LF line ends, quoted
// fields with "" escapes, no NUL (quoted or not) and no bare CR outside quotes, and at most
// `max_rows` data rows. Errors name the line, never its text.
//
// Writing neutralises formula injection: a cell that a spreadsheet would run as a formula
// (starting with = + - @, tab or carriage return) is prefixed with a single quote, and cells with
// commas, quotes or line breaks, or starting with U+FEFF (a byte order mark), are quoted.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace strongroom {

struct CsvRow {
  size_t line = 0;  // 1-based line number where the row starts
  std::vector<std::string> cells;
};

// Every row, the header included (the first row).
Result<std::vector<CsvRow>> ParseCsv(std::string_view text, size_t max_rows);

// One cell, escaped and neutralised.
std::string CsvCell(std::string_view value);
// One line: cells joined with commas and ended with CRLF.
std::string CsvLine(const std::vector<std::string>& cells);

}  // namespace strongroom
