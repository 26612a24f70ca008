// `tokprob compare` run as a user runs it: two models, one JSON object per text; two tokenizers
// refused in one line.
#include <gtest/gtest.h>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

TEST(CompareCommand, TwoModelsOneTokenizer) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto r = run_tokprob({"compare", "-m", dir, "-m", dir, "--format", "json", "Hello world", "Good day"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  // One model twice: its cross-entropy against itself is its entropy, both log-perplexities agree.
  EXPECT_EQ(lines[0]["observer_log_perplexity"], lines[0]["performer_log_perplexity"]);
  EXPECT_TRUE(lines[0]["binoculars"].is_number());
  const auto table = run_tokprob({"compare", "-m", dir, "-m", dir, "Hello world"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Binoculars"), std::string::npos) << table.out;
}

TEST(CompareCommand, RefusesTwoTokenizersAndOneModel) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const auto a = (fixtures_dir() / "gpt2-tiny").string();
  const auto b = (fixtures_dir() / "tinystories-656k").string();
  const auto r = run_tokprob({"compare", "-m", a, "-m", b, "Hello"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("one tokenizer"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  const auto one = run_tokprob({"compare", "-m", a, "Hello"});
  EXPECT_EQ(one.exit_code, 2);
  EXPECT_NE(one.err.find("two models"), std::string::npos) << one.err;
}

}  // namespace
}  // namespace tokprob::testing
