// Texts and free-text option values reach every command byte for byte: square brackets, commas,
// '@' and a leading '-' (after `--`) are not read as lists or options (issue 19, item 2).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

// Runs `command -m fixture --format json <options> <texts> -- <dash_text>` and checks that every
// result line carries its text unchanged, in order.
void expect_texts_kept(const std::string& command, const std::string& fixture, std::vector<std::string> options,
                       const std::vector<std::string>& texts, const std::string& dash_text) {
  std::vector<std::string> args = {command, "-m", (fixtures_dir() / fixture).string(), "--format", "json"};
  args.insert(args.end(), options.begin(), options.end());
  args.insert(args.end(), texts.begin(), texts.end());
  args.push_back("--");
  args.push_back(dash_text);
  const auto r = run_tokprob(args);
  ASSERT_EQ(r.exit_code, 0) << command << ": " << r.err;
  std::vector<std::string> expected = texts;
  expected.push_back(dash_text);
  std::vector<std::string> got;
  for (const auto& line : json_lines(r.out)) got.push_back(line.at("text"));
  EXPECT_EQ(got, expected) << command;
}

const std::vector<std::string> kCausalTexts = {"[Hello, world]", "@user, hi", "a,b,c", "[x]"};

TEST(FreeTextArgs, NextKeepsBracketsCommasAndDashes) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_texts_kept("next", "gpt2-tiny", {"-k", "1"}, kCausalTexts, "-starts with a dash");
}

TEST(FreeTextArgs, ScoreKeepsBracketsCommasAndDashes) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_texts_kept("score", "gpt2-tiny", {}, kCausalTexts, "-starts with a dash");
}

TEST(FreeTextArgs, GenerateKeepsBracketsCommasAndDashes) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  expect_texts_kept("generate", "gpt2-tiny", {"--max-new-tokens", "1"}, kCausalTexts, "-starts with a dash");
}

TEST(FreeTextArgs, FillMaskKeepsBracketsCommasAndDashes) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  expect_texts_kept("fill-mask", "bert-tiny-mlm", {"-k", "1"}, {"[the [MASK], here]", "@x [MASK], y", "a,[MASK],c"},
                    "-[MASK] z");
}

TEST(FreeTextArgs, ClassifyKeepsBracketsCommasAndDashes) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  expect_texts_kept("classify", "distilbert-tiny-sst2", {}, {"[good, bad]", "@a, b", "x,y"}, "-not an option");
}

TEST(FreeTextArgs, Seq2SeqKeepsBracketsCommasAndDashes) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  expect_texts_kept("seq2seq", "t5-tiny", {"--max-new-tokens", "1", "-k", "1"}, {"[translate, this]", "@a, b"},
                    "-dash");
}

TEST(FreeTextArgs, TokenizeKeepsTheMaskTokenWhole) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto dir = (fixtures_dir() / "bert-tiny-mlm").string();
  const auto r = run_tokprob({"tokenize", "-m", dir, "--format", "json", "--no-special", "[MASK]",
                              "[CLS] hello [SEP] world [SEP]"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["text"], "[MASK]");
  EXPECT_EQ(lines[0]["tokens"], nlohmann::json::array({"[MASK]"}));
  EXPECT_EQ(lines[1]["text"], "[CLS] hello [SEP] world [SEP]");
  EXPECT_EQ(lines[1]["tokens"].front(), "[CLS]");
  EXPECT_EQ(lines[1]["tokens"].back(), "[SEP]");
}

TEST(FreeTextArgs, OptionValuesKeepBracketsAndLeadingDashes) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto cls = run_tokprob({"classify", "-m", (fixtures_dir() / "distilbert-tiny-sst2").string(), "--format",
                                "json", "--pair", "[-a, b]", "text"});
  ASSERT_EQ(cls.exit_code, 0) << cls.err;
  EXPECT_EQ(json_lines(cls.out).at(0)["pair"], "[-a, b]");
  const auto s2s = run_tokprob({"seq2seq", "-m", (fixtures_dir() / "t5-tiny").string(), "--format", "json", "-k", "1",
                                "--target", "-[x, y]", "text"});
  ASSERT_EQ(s2s.exit_code, 0) << s2s.err;
  EXPECT_EQ(json_lines(s2s.out).at(0)["target"], "-[x, y]");
}

TEST(FreeTextArgs, RepeatedTargetsAreTakenWholeAndTextsFollow) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  // Given once, --targets is a comma list; repeated, each value is one target, commas kept.
  const auto once = run_tokprob({"next", "-m", dir, "--format", "json", "-k", "1", "--targets", " go, to", "Hi"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  const auto once_targets = json_lines(once.out).at(0)["targets"];
  ASSERT_EQ(once_targets.size(), 2u);
  EXPECT_EQ(once_targets[0]["target"], " go");
  EXPECT_EQ(once_targets[1]["target"], " to");
  const auto r = run_tokprob({"next", "-m", dir, "--format", "json", "-k", "1", "--targets", " go, to", "--targets",
                              "[a,b]", "Hi", "there"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["text"], "there");
  const auto targets = lines[0]["targets"];
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0]["target"], " go, to");
  EXPECT_EQ(targets[1]["target"], "[a,b]");
}

TEST(FreeTextArgs, FillMaskTargetsTakeOneValueAndSayWhy) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto dir = (fixtures_dir() / "bert-tiny-mlm").string();
  const auto ok = run_tokprob({"fill-mask", "-m", dir, "--format", "json", "-k", "1", "--targets", "paris", "--targets",
                               "london", "The [MASK] is big."});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const auto lines = json_lines(ok.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["text"], "The [MASK] is big.");
  EXPECT_EQ(lines[0]["masks"][0]["targets"].size(), 2u);
  // "--targets a b TEXT": b is a text without a mask; the error names --targets as the cause.
  const auto r = run_tokprob({"fill-mask", "-m", dir, "--targets", "paris", "london", "The [MASK] is big."});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--targets takes one value"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tokprob::testing
