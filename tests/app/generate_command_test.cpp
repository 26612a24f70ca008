// `tokprob generate` and `tokprob score` run as a user runs them, against the goldens of
// gpt2-tiny (greedy, beam4, per_position) and tinystories-656k (greedy).
#include <gtest/gtest.h>

#include <cmath>

#include "cli_runner.hpp"

namespace tokprob::testing {
namespace {

TEST(GenerateCommand, GreedyJsonMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto golden = load_json(fixtures_dir() / "gpt2-tiny" / "golden.json");
  const auto& g = golden["prompts"][1];
  const auto r = run_tokprob({"generate", "-m", dir, "--format", "json", "--logprobs", "2", g["text"]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  const auto& o = lines[0];
  EXPECT_EQ(o["mode"], "greedy");
  EXPECT_EQ(o["input_ids"], g["input_ids"]);
  ASSERT_EQ(o["sequences"].size(), 1u);
  const auto& s = o["sequences"][0];
  EXPECT_EQ(s["new_ids"], g["greedy"]["new_ids"]);
  EXPECT_EQ(s["ids"], g["greedy"]["output_ids"]);
  EXPECT_EQ(s["text"], g["greedy"]["new_text"]);
  ASSERT_EQ(s["steps"].size(), g["greedy"]["step_logprobs"].size());
  double sum = 0;
  for (size_t i = 0; i < s["steps"].size(); ++i) {
    const auto& st = s["steps"][i];
    EXPECT_NEAR(st["logprob"].get<double>(), g["greedy"]["step_logprobs"][i].get<double>(), 1e-4);
    EXPECT_EQ(st["top"].size(), 2u);
    sum += st["logprob"].get<double>();
  }
  EXPECT_NEAR(s["score"].get<double>(), sum, 1e-6);
  EXPECT_EQ(s["finish_reason"], "length");
}

TEST(GenerateCommand, BeamJsonMatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto golden = load_json(fixtures_dir() / "gpt2-tiny" / "golden.json");
  const auto& g = golden["prompts"][2];
  const auto r = run_tokprob({"generate", "-m", dir, "--format", "json", "--num-beams", "4", "--num-return-sequences",
                              "4", "--max-new-tokens", "10", g["text"]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = json_lines(r.out).at(0);
  EXPECT_EQ(o["mode"], "beam");
  ASSERT_EQ(o["sequences"].size(), 4u);
  for (size_t s = 0; s < 4; ++s) {
    EXPECT_EQ(o["sequences"][s]["ids"], g["beam4"]["sequences"][s]);
    EXPECT_NEAR(o["sequences"][s]["score"].get<double>(), g["beam4"]["sequences_scores"][s].get<double>(), 1e-4);
  }
}

TEST(GenerateCommand, StreamsJsonEventsThenResult) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const auto dir = (fixtures_dir() / "tinystories-656k").string();
  const auto golden = load_json(fixtures_dir() / "tinystories-656k" / "golden.json");
  const auto& g = golden["prompts"][0];
  const auto r = run_tokprob({"generate", "-m", dir, "--format", "json", "--stream", "--max-new-tokens", "30", g["text"]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 31u);
  std::string streamed;
  for (size_t i = 0; i < 30; ++i) {
    EXPECT_EQ(lines[i]["id"], g["greedy"]["new_ids"][i]);
    streamed += lines[i]["delta"].get<std::string>();
  }
  EXPECT_EQ(lines[30]["sequences"][0]["new_ids"], g["greedy"]["new_ids"]);
  EXPECT_EQ(streamed, lines[30]["sequences"][0]["text"]);
}

TEST(GenerateCommand, TableStreamsTextAndSeedRepeats) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const auto dir = (fixtures_dir() / "tinystories-656k").string();
  const auto r = run_tokprob({"generate", "-m", dir, "--max-new-tokens", "30", "One day, a little bird"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = run_tokprob({"generate", "-m", dir, "--format", "json", "--max-new-tokens", "30", "One day, a little bird"});
  const auto o = json_lines(json.out).at(0);
  EXPECT_EQ(r.out, "One day, a little bird" + o["sequences"][0]["text"].get<std::string>() + "\n");

  const std::vector<std::string> args = {"generate", "-m",        dir,   "--format", "json", "--seed", "5",
                                         "--top-p",  "0.9",       "--num-return-sequences", "2", "Once upon a time"};
  const auto a = run_tokprob(args), b = run_tokprob(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto ja = json_lines(a.out).at(0), jb = json_lines(b.out).at(0);
  EXPECT_EQ(ja["mode"], "sample");
  EXPECT_EQ(ja["seed"], 5);
  EXPECT_EQ(ja["sequences"], jb["sequences"]);

  const auto table = run_tokprob({"generate", "-m", dir, "--max-new-tokens", "3", "--logprobs", "2", "One day"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("processed"), std::string::npos) << table.out;
  const auto csv = run_tokprob({"generate", "-m", dir, "--max-new-tokens", "3", "--logprobs", "2", "--format", "csv", "One day"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(line_count(csv.out), 1u + 3u * 3u);
}

// One stop rule on every front end (issue 19, item 6): the text ends before the stop string, in
// JSON and in the streamed table alike (the server's /v1/completions uses the same task).
TEST(GenerateCommand, StopCutsTheTextBeforeTheStopString) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const auto dir = (fixtures_dir() / "tinystories-656k").string();
  const std::string prompt = "One day, a little bird";
  const auto plain = run_tokprob({"generate", "-m", dir, "--format", "json", "--max-new-tokens", "30", prompt});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const std::string full = json_lines(plain.out).at(0)["sequences"][0]["text"];
  ASSERT_NE(full.find('.'), std::string::npos) << full;
  const std::string cut = full.substr(0, full.find('.'));
  const auto json = run_tokprob({"generate", "-m", dir, "--format", "json", "--max-new-tokens", "30", "--stop", ".", prompt});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto seq = json_lines(json.out).at(0)["sequences"][0];
  EXPECT_EQ(seq["text"], cut);
  EXPECT_EQ(seq["finish_reason"], "stop");
  const auto table = run_tokprob({"generate", "-m", dir, "--max-new-tokens", "30", "--stop", ".", prompt});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out, prompt + cut + "\n");
}

// Options are validated before anything is printed, and errors spell the command's flags
// (issue 19 rough edges, issue 14 item 3).
TEST(GenerateCommand, BadOptionsPrintNothingAndNameTheFlag) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"generate", "-m", dir, "--temperature", "-1", "Hi"}, "--temperature must be 0 (greedy) or more, got -1"},
      {{"generate", "-m", dir, "--repetition-penalty", "0", "Hi"}, "--repetition-penalty must be more than 0, got 0"},
      {{"generate", "-m", dir, "--top-p", "1.5", "Hi"}, "--top-p must be in (0, 1], got 1.5"},
      {{"generate", "-m", dir, "--num-return-sequences", "2", "Hi"}, "--num-return-sequences must be 1 for greedy"},
      {{"generate", "-m", dir, "Hi", ""}, "empty text"},
      {{"next", "-m", dir, "-k", "0", "Hi"}, "-k must be at least 1, got 0"},
      {{"next", "-m", dir, "--position", "5", "Hi"}, "--position must be inside the text"},
      {{"score", "-m", dir, "--stride", "-2", "Hi"}, "--stride must be 0 (half the window)"},
      {{"score", "-m", dir, "--window", "100000", "Hi"}, "--window must be at most the model's"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_tokprob(args);
    EXPECT_EQ(r.exit_code, 2) << args[3] << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args[3] << ": " << r.out;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("tokprob: " + message), std::string::npos) << r.err;
  }
}

TEST(GenerateCommand, UsageErrorsExitTwo) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"generate", "-m", dir, "--early-stopping", "maybe", "Hi"},
           {"generate", "-m", dir, "--stream", "--format", "csv", "Hi"},
           {"generate", "-m", dir, "--top-p", "0", "Hi"},
           {"generate", "-m", dir, "--num-beams", "2", "--num-return-sequences", "3", "Hi"},
           {"score", "-m", dir, "--stride", "200", "Hi"}}) {
    const auto r = run_tokprob(bad);
    EXPECT_EQ(r.exit_code, 2) << bad[3] << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
  }
}

TEST(ScoreCommand, JsonMatchesPerPositionGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto golden = load_json(fixtures_dir() / "gpt2-tiny" / "golden.json");
  const auto& g = golden["prompts"][0];
  const auto r = run_tokprob({"score", "-m", dir, "--format", "json", g["text"], "Hello"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  const auto& o = lines[0];
  EXPECT_EQ(o["text"], g["text"]);
  ASSERT_EQ(o["tokens"].size(), g["input_ids"].size());
  EXPECT_TRUE(o["tokens"][0]["logprob"].is_null());
  double total = 0;
  for (size_t i = 1; i < o["tokens"].size(); ++i) {
    EXPECT_EQ(o["tokens"][i]["id"], g["input_ids"][i]);
    EXPECT_NEAR(o["tokens"][i]["logprob"].get<double>(), g["per_position"][i - 1]["next_token_logprob"].get<double>(),
                1e-4);
    total += o["tokens"][i]["logprob"].get<double>();
  }
  EXPECT_NEAR(o["total_logprob"].get<double>(), total, 1e-6);
  EXPECT_NEAR(o["perplexity"].get<double>(), std::exp(-total / double(o["tokens"].size() - 1)), 1e-6);
  // One token: nothing to score, perplexity null.
  EXPECT_TRUE(lines[1]["perplexity"].is_null());
  EXPECT_EQ(lines[1]["scored_tokens"], 0);
}

}  // namespace
}  // namespace tokprob::testing
