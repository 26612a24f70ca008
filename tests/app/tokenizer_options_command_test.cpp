// --add-prefix-space / --no-add-prefix-space / --no-special-tokens reach the tokenizer of every
// command that tokenizes. Expected ids are the reference's (tests/tokenizer/tokenizer_options_expected.json).
#include <gtest/gtest.h>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

std::string fixture(const char* name) { return (fixtures_dir() / name).string(); }

TEST(TokenizerOptionsCommand, AddPrefixSpaceOnCausalCommands) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::vector<int> spaced = {770, 5041, 314, 1410, 284};  // " This weekend I plan to"
  for (const char* command : {"next", "generate"}) {
    std::vector<std::string> args = {command, "-m", fixture("gpt2-tiny"), "--format", "json", "--add-prefix-space"};
    if (std::string(command) == "generate") args.insert(args.end(), {"--max-new-tokens", "1"});
    args.push_back("This weekend I plan to");
    const auto r = run_tokprob(args);
    ASSERT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_EQ(json_lines(r.out).at(0)["input_ids"].get<std::vector<int>>(), spaced) << command;
  }
  const auto score = run_tokprob({"score", "-m", fixture("gpt2-tiny"), "--format", "json", "--add-prefix-space",
                                  "This weekend I plan to"});
  ASSERT_EQ(score.exit_code, 0) << score.err;
  EXPECT_EQ(json_lines(score.out).at(0)["tokens"][0]["id"], 770);
  const auto tokenize = run_tokprob({"tokenize", "-m", fixture("gpt2-tiny"), "--format", "json", "--add-prefix-space",
                                     "This weekend I plan to"});
  ASSERT_EQ(tokenize.exit_code, 0) << tokenize.err;
  EXPECT_EQ(json_lines(tokenize.out).at(0)["ids"].get<std::vector<int>>(), spaced);
}

TEST(TokenizerOptionsCommand, NoPrefixSpaceAndNoSpecialTokensOnLlama) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto r = run_tokprob({"tokenize", "-m", fixture("llama-tiny"), "--format", "json", "--no-add-prefix-space",
                              "--no-special-tokens", "Hello world"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out).at(0)["ids"].get<std::vector<int>>(), (std::vector<int>{10994, 3186}));
  const auto next = run_tokprob({"next", "-m", fixture("llama-tiny"), "--format", "json", "--no-special-tokens",
                                 "Hello world"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(json_lines(next.out).at(0)["input_ids"].get<std::vector<int>>(), (std::vector<int>{15043, 3186}));
  const auto both = run_tokprob({"tokenize", "-m", fixture("llama-tiny"), "--add-prefix-space",
                                 "--no-add-prefix-space", "Hello"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
}

TEST(TokenizerOptionsCommand, EncoderCommandsTakeTheOptions) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  // BERT ignores add_prefix_space, as the reference does; --no-special-tokens drops [CLS]/[SEP].
  const auto fill = run_tokprob({"fill-mask", "-m", fixture("bert-tiny-mlm"), "--format", "json", "--add-prefix-space",
                                 "--no-special-tokens", "hello [MASK] world"});
  ASSERT_EQ(fill.exit_code, 0) << fill.err;
  EXPECT_EQ(json_lines(fill.out).at(0)["input_ids"].get<std::vector<int>>(), (std::vector<int>{7592, 103, 2088}));
  const auto cls = run_tokprob({"classify", "-m", fixture("distilbert-tiny-sst2"), "--format", "json",
                                "--add-prefix-space", "Hello world"});
  ASSERT_EQ(cls.exit_code, 0) << cls.err;
  EXPECT_EQ(json_lines(cls.out).at(0)["input_ids"].get<std::vector<int>>(), (std::vector<int>{101, 7592, 2088, 102}));
  const auto t5 = run_tokprob({"seq2seq", "-m", fixture("t5-tiny"), "--format", "json", "--no-special-tokens",
                               "--max-new-tokens", "1", "Hello world"});
  ASSERT_EQ(t5.exit_code, 0) << t5.err;
  EXPECT_EQ(json_lines(t5.out).at(0)["input_ids"].get<std::vector<int>>(), (std::vector<int>{8774, 296}));
}

}  // namespace
}  // namespace tokprob::testing
