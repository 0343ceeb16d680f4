// CSV uploads (common/csv.h): what parses is valid UTF-8, has no more rows than lines and no more
// than the bound, numbers its rows in order within the text; and any row written back with
// CsvLine parses to the same cells, unless CsvCell neutralised a formula in it.

#include <algorithm>

#include "common/csv.h"
#include "common/utf8.h"
#include "fuzz_check.h"

namespace {

using namespace strongroom;

constexpr size_t kMaxRows = 50;

bool Neutralised(const std::string& cell) {
  return !cell.empty() && std::string_view("=+-@\t\r").find(cell[0]) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = fuzz::Text(data, size);
  auto rows = ParseCsv(text, kMaxRows);
  if (!rows) return 0;
  FUZZ_CHECK(Utf8CodePoints(text).has_value(), "accepted text that is not UTF-8");
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  FUZZ_CHECK(rows->size() <= lines, "more rows than lines");
  FUZZ_CHECK(rows->size() <= kMaxRows + 1, "more data rows than the bound");
  size_t last = 0;
  for (const auto& row : *rows) {
    FUZZ_CHECK(row.line > last && row.line <= lines, "a row numbered out of order or range");
    last = row.line;
    FUZZ_CHECK(!row.cells.empty(), "a row without cells");
    bool formula = false;
    for (const auto& cell : row.cells) formula |= Neutralised(cell);
    if (formula || (row.cells.size() == 1 && row.cells[0].empty())) continue;
    auto again = ParseCsv(CsvLine(row.cells), kMaxRows);
    FUZZ_CHECK(again.has_value() && again->size() == 1 && (*again)[0].cells == row.cells,
               "a row written back parsed differently");
  }
  return 0;
}
