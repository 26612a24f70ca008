// `tokprob score` run as a user runs it: the first token, scored on request.
#include <gtest/gtest.h>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

TEST(ScoreCommand, OneTokenTextSaysWhyNothingWasScored) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto r = run_tokprob({"score", "-m", dir, "Hi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("over 0 tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--score-first-token"), std::string::npos) << r.out;
}

TEST(ScoreCommand, ScoreFirstTokenConditionsOnEndOfText) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto r = run_tokprob({"score", "-m", dir, "--format", "json", "--score-first-token", "Hi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["scored_tokens"], 1);
  ASSERT_EQ(lines[0]["tokens"].size(), 2u);
  EXPECT_EQ(lines[0]["tokens"][0]["id"], 50256);  // <|endoftext|>
  const auto table = run_tokprob({"score", "-m", dir, "--score-first-token", "Hi"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("over 1 token,"), std::string::npos) << table.out;
}

}  // namespace
}  // namespace tokprob::testing
