// `tokprob seq2seq` run as a user runs it, against t5-tiny's golden.json (seq2seq[].text,
// input_ids, greedy_output_ids, greedy_text, greedy_step_logprobs, first_step_top10).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "app/golden_cases_run.hpp"
#include "tasks/t5_golden_tolerance.hpp"

namespace tokprob::testing {
namespace {

std::string t5_dir() { return (fixtures_dir() / "t5-tiny").string(); }

// The logits tolerance of fixtures/README.md, which logprobs share (see tests/models/t5_test.cpp).
double logprob_tolerance(const nlohmann::json& step) {
  return 1e-4 * std::max(1.0, std::abs(step["top"][0]["logit"].get<double>()));
}

TEST(Seq2SeqCommand, JsonMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto golden = load_json(fixtures_dir() / "t5-tiny" / "golden.json");
  const auto lines = json_lines_over_cases({"seq2seq", "-m", t5_dir(), "--format", "json"}, golden["seq2seq"]);
  ASSERT_EQ(lines.size(), golden["seq2seq"].size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& g = golden["seq2seq"][i];
    const auto& o = lines[i];
    EXPECT_EQ(o["text"], g["text"]);
    EXPECT_EQ(o["input_ids"], g["input_ids"]);
    auto greedy = g["greedy_output_ids"].get<std::vector<int>>();
    greedy.erase(greedy.begin());  // the decoder start token is not part of output_ids
    EXPECT_EQ(o["output_ids"].get<std::vector<int>>(), greedy);
    EXPECT_EQ(o["output_text"], g["greedy_text"]);
    EXPECT_FALSE(o.contains("target"));
    const auto& steps = o["steps"];
    ASSERT_EQ(steps.size(), g["greedy_step_logprobs"].size());
    for (size_t k = 0; k < steps.size(); ++k) {
      EXPECT_EQ(steps[k]["step"], k);
      EXPECT_EQ(steps[k]["id"], greedy[k]);
      EXPECT_NEAR(steps[k]["logprob"].get<double>(), g["greedy_step_logprobs"][k].get<double>(),
                  logprob_tolerance(steps[k]))
          << g["text"] << " step " << k;
      EXPECT_EQ(steps[k]["top"].size(), 10u);
    }
    for (size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(steps[0]["top"][k]["id"], g["first_step_top10"][k]["id"]);
      EXPECT_EQ(steps[0]["top"][k]["token"], g["first_step_top10"][k]["token"]);
      EXPECT_NEAR(steps[0]["top"][k]["prob"].get<double>(), g["first_step_top10"][k]["prob"].get<double>(),
                  first_step_prob_tolerance(g));
    }
  }
}

TEST(Seq2SeqCommand, TargetScoresEachTokenWithRank) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto r = run_tokprob({"seq2seq", "-m", t5_dir(), "--format", "json", "-k", "3", "--target",
                              "Das Haus ist wunderbar.", "translate English to German: The house is wonderful."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  const auto& o = lines[0];
  EXPECT_EQ(o["target"], "Das Haus ist wunderbar.");
  const auto& steps = o["steps"];
  ASSERT_EQ(steps.size(), o["output_ids"].size());
  EXPECT_EQ(o["output_ids"].back(), 1);  // </s> appended, as for labels
  EXPECT_TRUE(o["finished"].get<bool>());
  double total = 0;
  for (const auto& st : steps) {
    EXPECT_GE(st["rank"].get<int>(), 1);
    EXPECT_EQ(st["top"].size(), 3u);
    EXPECT_NEAR(st["prob"].get<double>(), std::exp(st["logprob"].get<double>()), 1e-9);
    total += st["logprob"].get<double>();
  }
  EXPECT_NEAR(o["logprob"].get<double>(), total, 1e-6);
}

TEST(Seq2SeqCommand, TableAndCsv) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto table = run_tokprob({"seq2seq", "-m", t5_dir(), "--max-new-tokens", "4", "translate English to German: Hi"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("output:"), std::string::npos) << table.out;
  const auto csv = run_tokprob({"seq2seq", "-m", t5_dir(), "--format", "csv", "-k", "2", "--max-new-tokens", "4",
                                "translate English to German: Hi"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  // Header plus, per step, the chosen token and k alternatives.
  EXPECT_EQ(line_count(csv.out), 1u + 4u * 3u) << csv.out;
}

// Expected sequences from transformers 5.25: T5ForConditionalGeneration on t5-tiny,
// generate(**tokenizer(text), do_sample=False, num_beams=4, min_new_tokens=6, max_new_tokens=10,
// repetition_penalty=1.3, early_stopping="never"), the start token left out.
TEST(Seq2SeqCommand, GenerationFlagsMatchTransformers) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto r = run_tokprob({"seq2seq", "-m", t5_dir(), "--format", "json", "--num-beams", "4", "--min-new-tokens",
                              "6", "--max-new-tokens", "10", "--repetition-penalty", "1.3", "--early-stopping", "never",
                              "translate English to German: The house is wonderful."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["output_ids"].get<std::vector<int>>(),
            (std::vector<int>{15195, 19388, 423, 12282, 26757, 26757, 26757, 26757, 26757, 26757}));
}

// A folder whose generation_config.json asks for sampling: refused by name, never ignored; flags
// override the file's other defaults.
TEST(Seq2SeqCommand, GenerationConfigDefaultsAndRefusals) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tokprob_seq2seq_gen_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(fixtures_dir() / "t5-tiny", dir);
  const auto write_config = [&](const std::string& extra) {
    std::ofstream(dir / "generation_config.json")
        << R"({"decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0, "num_beams": 3, "max_length": 9)"
        << extra << "}";
  };
  const std::string text = "translate English to German: The house is wonderful.";
  write_config("");
  auto r = run_tokprob({"seq2seq", "-m", dir.string(), "--format", "json", text});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // transformers: num_beams=3, max_new_tokens=8 (max_length 9 counts the start token).
  EXPECT_EQ(json_lines(r.out).at(0)["output_ids"].get<std::vector<int>>(),
            (std::vector<int>{15994, 19602, 21525, 5454, 6509, 2382, 2382, 2382}));
  write_config(R"(, "do_sample": true, "temperature": 0.7)");
  r = run_tokprob({"seq2seq", "-m", dir.string(), text});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("do_sample true"), std::string::npos) << r.err;
  r = run_tokprob({"seq2seq", "-m", dir.string(), "--target", "Das Haus", text});  // scoring samples nothing
  EXPECT_EQ(r.exit_code, 0) << r.err;
  fs::remove_all(dir);
}

TEST(Seq2SeqCommand, BadInputIsOneLineWithExitCode) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  auto expect_error = [](const std::vector<std::string>& args, int code) {
    const auto r = run_tokprob(args);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  };
  expect_error({"seq2seq", "-m", t5_dir(), "-k", "0", "hello"}, 2);
  expect_error({"seq2seq", "-m", t5_dir(), "--max-new-tokens", "0", "hello"}, 2);
  expect_error({"seq2seq", "-m", t5_dir(), "--num-beams", "0", "hello"}, 2);
  expect_error({"seq2seq", "-m", t5_dir(), "--early-stopping", "sometimes", "hello"}, 2);
  expect_error({"seq2seq", "-m", t5_dir(), "--no-repeat-ngram-size", "-2", "hello"}, 2);
  expect_error({"seq2seq", "-m", t5_dir(), ""}, 2);
  expect_error({"seq2seq", "-m", t5_dir(), "--format", "xml", "hello"}, 2);
  expect_error({"seq2seq", "-m", t5_dir()}, 2);
  expect_error({"seq2seq", "-m", "/nonexistent/model", "hello"}, 1);
  if (std::filesystem::exists(fixtures_dir() / "gpt2-tiny"))
    expect_error({"seq2seq", "-m", (fixtures_dir() / "gpt2-tiny").string(), "hello"}, 1);
}

}  // namespace
}  // namespace tokprob::testing
