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

// --words in every format: the JSON words are the table's and the CSV's rows, named clearly.
TEST(ScoreCommand, WordsInEveryFormat) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto r = run_tokprob({"score", "-m", dir, "--format", "json", "--words", "--score-first-token", "Hello, world"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto words = json_lines(r.out).at(0)["words"];
  ASSERT_EQ(words.size(), 3u);  // Hello , world
  EXPECT_EQ(words[2]["text"], "world");
  for (const char* field : {"logprob", "naive_logprob", "surprisal_bits", "surprisal_nats", "naive_surprisal_bits",
                            "naive_surprisal_nats"})
    EXPECT_TRUE(words[2][field].is_number()) << field;
  const auto csv = run_tokprob({"score", "-m", dir, "--format", "csv", "--words", "--score-first-token", "Hello, world"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "text,word_index,word,begin,end,first_token,end_token,logprob,surprisal_bits,surprisal_nats,"
            "naive_logprob,naive_surprisal_bits,naive_surprisal_nats,word_marker");
  const auto table = run_tokprob({"score", "-m", dir, "--word-spans", "0:6,7:12", "--score-first-token", "Hello, world"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Hello,"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("naive bits"), std::string::npos) << table.out;
  const auto bad = run_tokprob({"score", "-m", dir, "--word-spans", "0-6", "Hello, world"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--word-spans"), std::string::npos) << bad.err;
  const auto split = run_tokprob({"score", "-m", dir, "--word-split", "commas", "Hello, world"});
  EXPECT_EQ(split.exit_code, 2);
  EXPECT_NE(split.err.find("--word-split"), std::string::npos) << split.err;
}

TEST(ScoreCommand, TokenStatsAndAlternativesInTableAndCsv) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto csv = run_tokprob({"score", "-m", dir, "--format", "csv", "--token-stats", "-k", "2", "Hello world"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "text,index,id,token,token_text,logprob,entropy,rank,top1_token,top1_logprob,top2_token,top2_logprob");
  const auto table = run_tokprob({"score", "-m", dir, "--token-stats", "-k", "2", "Hello world"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("entropy"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("top alternatives"), std::string::npos) << table.out;
}

}  // namespace
}  // namespace tokprob::testing
