#include "common/csv.h"

#include <gtest/gtest.h>

namespace strongroom {
namespace {

std::vector<std::vector<std::string>> Cells(const Result<std::vector<CsvRow>>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : *rows) out.push_back(r.cells);
  return out;
}

TEST(CsvTest, ParsesCrlfLfBomAndQuotedFields) {
  for (const std::string text : {"username,note\r\nann,\"a, b\"\r\nbob,\"say \"\"hi\"\"\"\r\n",
                                 "\xEF\xBB\xBFusername,note\nann,\"a, b\"\nbob,\"say \"\"hi\"\"\"",
                                 "username,note\n\nann,\"a, b\"\n\nbob,\"say \"\"hi\"\"\"\n\n"}) {
    auto rows = ParseCsv(text, 10);
    ASSERT_TRUE(rows) << rows.error().message;
    EXPECT_EQ(Cells(rows), (std::vector<std::vector<std::string>>{
                               {"username", "note"}, {"ann", "a, b"}, {"bob", "say \"hi\""}}));
  }
}

TEST(CsvTest, LineNumbersCountFromTheTop) {
  auto rows = ParseCsv("h\n\"two\nlines\"\nthree\n", 10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1].line, 2u);
  EXPECT_EQ((*rows)[1].cells[0], "two\nlines");
  EXPECT_EQ((*rows)[2].line, 4u);
}

TEST(CsvTest, MalformedInputNamesTheLineNotTheText) {
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {"h\nok\n\"never closed\n", "line 3: a quote is never closed"},
      {"h\nab\"c\n", "line 2: a quote inside an unquoted field"},
      {"h\n\"a\"b\n", "line 2: text after a closing quote"},
      {"h\nok\n\xff\xfe secret\n", "line 3: not valid UTF-8"},
      {"h\n\xc0\xaf\n", "line 2: not valid UTF-8"},
      {std::string("h\na\0b\n", 6), "line 2: a control character in a field"},
      {"h\na\rb\n", "line 2: a control character in a field"},
  };
  for (const auto& c : cases) {
    auto rows = ParseCsv(c.text, 10);
    ASSERT_FALSE(rows) << c.text;
    EXPECT_EQ(rows.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(rows.error().message, c.message);
  }
}

TEST(CsvTest, RowLimitCountsDataRowsOnly) {
  std::string text = "username\n";
  for (int i = 0; i < 10; ++i) text += "u" + std::to_string(i) + "\n";
  EXPECT_TRUE(ParseCsv(text, 10));
  EXPECT_FALSE(ParseCsv(text + "one.more\n", 10));
}

TEST(CsvTest, FormulaCellsAreNeutralisedAndSpecialCharactersQuoted) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-2"), "'-2");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("\tx"), "'\tx");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvLine({"a", "=b"}), "a,'=b\r\n");
  // What is written reads back as written (neutralised).
  auto rows = ParseCsv("h\r\n" + CsvLine({"x,y", "=1+2", "q\"q"}), 5);
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)[1].cells, (std::vector<std::string>{"x,y", "'=1+2", "q\"q"}));
}

// Found by fuzz/csv_fuzzer.cc: a first cell starting with U+FEFF, written unquoted at the start of
// a file, was read back as the byte order mark and lost.
TEST(CsvTest, ACellStartingWithAByteOrderMarkReadsBackAsWritten) {
  const std::string bom_cell = "\xEF\xBB\xBFx";
  EXPECT_EQ(CsvCell(bom_cell), "\"" + bom_cell + "\"");
  auto rows = ParseCsv(CsvLine({bom_cell, "y"}), 5);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].cells, (std::vector<std::string>{bom_cell, "y"}));
  rows = ParseCsv(CsvLine({"\xEF\xBB\xBF"}), 5);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u) << "a cell that is only the mark is a row, not a blank line";
}

// Found by fuzz/csv_fuzzer.cc: NUL was refused in an unquoted field but kept in a quoted one,
// which CsvLine then wrote unquoted, unreadable.
TEST(CsvTest, NulIsRefusedQuotedAsUnquoted) {
  for (const std::string& text : {std::string("a\0b\n", 4), std::string("\"a\0b\"\n", 6)}) {
    auto rows = ParseCsv(text, 5);
    ASSERT_FALSE(rows) << "a NUL in " << text.size() << " bytes";
    EXPECT_NE(rows.error().message.find("line 1: a control character"), std::string::npos)
        << rows.error().message;
  }
}

}  // namespace
}  // namespace strongroom
