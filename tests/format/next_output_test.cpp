// The `next` table's bar column is on an absolute scale (issue 19): a full bar is 100 %, so an
// unlikely top token does not look certain.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "format/next_output.hpp"

namespace tokprob {
namespace {

size_t occurrences(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

TEST(NextOutput, BarsShowTheProbabilityNotTheShareOfTheTopToken) {
  NextResult r;
  r.text = "x";
  r.input_ids = {1};
  r.position = 0;
  TokenScore unlikely;
  unlikely.id = 5;
  unlikely.token = unlikely.text = "a";
  unlikely.prob = 0.003;
  TokenScore half = unlikely;
  half.id = 6;
  half.prob = 0.5;
  TableStyle style;
  style.bars = true;

  std::ostringstream low;
  std::vector<NextResult> only_unlikely = {r};
  only_unlikely[0].top = {unlikely};
  write_next(low, only_unlikely, OutputFormat::table, style);
  EXPECT_EQ(occurrences(low.str(), "█"), 0u) << low.str();

  std::ostringstream mid;
  std::vector<NextResult> with_half = {r};
  with_half[0].top = {half};
  write_next(mid, with_half, OutputFormat::table, style);
  EXPECT_EQ(occurrences(mid.str(), "█"), 15u) << mid.str();  // half of the 30-column bar
}

}  // namespace
}  // namespace tokprob
