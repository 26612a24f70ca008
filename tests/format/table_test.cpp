// Tables align by display width: a double-width (CJK) character takes two columns, a combining
// mark none, so every row's next column starts at the same terminal column.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "format/table.hpp"
#include "format/text_cells.hpp"

namespace tokprob {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Table, AlignsByDisplayWidthNotBytesOrCodePoints) {
  Table t;
  t.add_column("token", Table::Align::left);
  t.add_column("id", Table::Align::right);
  t.add_row({"日本語", "1"});
  t.add_row({"abc", "22"});
  t.add_row({"e\u0301te\u0301", "333"});  // combining acute accents: 3 columns
  t.add_row({"テキスト", "4"});
  std::ostringstream out;
  t.write(out);
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 5u);
  // Every line ends at the same display column: the right-aligned id column's edge.
  const size_t width = display_width(lines[0]);
  for (const auto& line : lines) EXPECT_EQ(display_width(line), width) << line;
  EXPECT_EQ(display_width("日本語"), 6u);
  EXPECT_EQ(display_width("e\u0301te\u0301"), 3u);
}

}  // namespace
}  // namespace tokprob
