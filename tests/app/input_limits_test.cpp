// Outside input at the command line: invalid UTF-8 in a text, -k beyond the vocabulary, and a
// request whose output would be too large.
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::testing {
namespace {

// Invalid UTF-8 reads as U+FFFD (include/tokprob/tokenizer.hpp), in `next` and in `tokenize`.
TEST(InvalidUtf8, NextTreatsBadBytesAsReplacementCharacters) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto expected = Tokenizer::from_folder(dir).encode("\xEF\xBF\xBD\xEF\xBF\xBD").ids;
  const auto r = run_tokprob({"next", "-m", dir.string(), "--format", "json", "\xff\xfe"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["input_ids"], nlohmann::json(expected));
  EXPECT_EQ(lines[0]["top"].size(), 10u);
  const auto table = run_tokprob({"next", "-m", dir.string(), "\xff\xfe"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
}

TEST(InvalidUtf8, TokenizeTreatsBadBytesAsReplacementCharacters) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = fixtures_dir() / "gpt2-tiny";
  const auto r = run_tokprob({"tokenize", "-m", dir.string(), "--format", "json", "a\xff" "b\xe2\x82"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = json_lines(r.out).at(0);
  EXPECT_EQ(o["ids"], nlohmann::json(Tokenizer::from_folder(dir).encode("a\xEF\xBF\xBD" "b\xEF\xBF\xBD").ids));
  EXPECT_EQ(o["offsets"].back(), nlohmann::json({3, 4}));  // code points of the replaced text
  for (const char* format : {"table", "csv"}) {
    const auto t = run_tokprob({"tokenize", "-m", dir.string(), "--format", format, "\xff\xfe"});
    EXPECT_EQ(t.exit_code, 0) << format << ": " << t.err;
  }
}

TEST(TopKBounds, BeyondTheVocabularyListsTheWholeDistribution) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  for (const char* k : {"9223372036854775807", "99999999999999999999"}) {
    const auto r = run_tokprob({"next", "-m", dir, "--format", "json", "-k", k, "Hello"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json_lines(r.out).at(0)["top"].size(), 50257u) << k;
  }
  for (const char* k : {"0", "-3", "x"}) {
    const auto bad = run_tokprob({"next", "-m", dir, "-k", k, "Hello"});
    EXPECT_EQ(bad.exit_code, 2) << k << ": " << bad.err;
    EXPECT_EQ(line_count(bad.err), 1u) << bad.err;
  }
}

// Negative is a usage error; any positive count is accepted and generation stops at the model's
// positions (the last new token comes from the logits at the last position: one past them).
TEST(MaxNewTokensBounds, NegativeIsRefusedHugeStopsAtThePositions) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  for (const char* n : {"-1", "-9223372036854775807", "x"}) {
    const auto bad = run_tokprob({"generate", "-m", dir, "--max-new-tokens", n, "Hello"});
    EXPECT_EQ(bad.exit_code, 2) << n << ": " << bad.err;
    EXPECT_EQ(line_count(bad.err), 1u) << bad.err;
  }
  const auto r = run_tokprob({"generate", "-m", dir, "--format", "json", "--max-new-tokens", "9223372036854775807", "Hello"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = json_lines(r.out).at(0);
  const auto& s = o["sequences"].at(0);
  const int64_t positions = load_json(fixtures_dir() / "gpt2-tiny" / "config.json")["n_positions"];
  EXPECT_EQ(static_cast<int64_t>(o["input_ids"].size() + s["new_ids"].size()), positions + 1);
  EXPECT_EQ(s["finish_reason"], "length");
}

TEST(OutputSize, WholeDistributionsAtEveryPositionAreRefused) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  std::string text;
  for (int i = 0; i < 100; ++i) text += " hello";
  const auto r = run_tokprob({"next", "-m", dir, "--position", "all", "-k", "100000", text});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("more than the 4194304 rows"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

// One flag must not start unbounded work (issue 19, item 5): refused at once, before any load.
TEST(UnboundedWork, Seq2SeqNewTokensAreCapped) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto dir = (fixtures_dir() / "t5-tiny").string();
  const auto r = run_tokprob({"seq2seq", "-m", dir, "--max-new-tokens", "100000", "translate: hi"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--max-new-tokens must be in 1..1024, got 100000"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(UnboundedWork, ThreadsAreCapped) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  for (const std::string command : {"next", "score", "generate", "serve"}) {
    std::vector<std::string> args = {command, "-m", dir, "--threads", "100000"};
    if (command != "serve") args.push_back("Hi");
    const auto r = run_tokprob(args);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("--threads must be at most"), std::string::npos) << command << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace tokprob::testing
