// `tokprob next` and `tokprob tokenize` run as a user runs them, against gpt2-tiny's golden.json.
#include <gtest/gtest.h>

#include <cmath>

#include "app/golden_cases_run.hpp"

namespace tokprob::testing {
namespace {

TEST(NextCommand, JsonMatchesGoldenTop10) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto golden = load_json(fixtures_dir() / "gpt2-tiny" / "golden.json");
  const auto lines = json_lines_over_cases({"next", "-m", dir, "--format", "json"}, golden["prompts"]);
  ASSERT_EQ(lines.size(), golden["prompts"].size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& g = golden["prompts"][i];
    const auto& o = lines[i];
    EXPECT_EQ(o["text"], g["text"]);
    EXPECT_EQ(o["input_ids"], g["input_ids"]);
    EXPECT_EQ(o["position"].get<size_t>(), g["input_ids"].size() - 1);
    EXPECT_NEAR(o["logsumexp"].get<double>(), g["last_logsumexp"].get<double>(), 1e-4);
    ASSERT_EQ(o["top"].size(), 10u);
    for (size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(o["top"][k]["id"], g["top10"][k]["id"]) << g["text"] << " rank " << k;
      EXPECT_EQ(o["top"][k]["token"], g["top10"][k]["token"]);
      EXPECT_EQ(o["top"][k]["text"], g["top10"][k]["decoded"]);
      EXPECT_NEAR(o["top"][k]["prob"].get<double>(), g["top10"][k]["prob"].get<double>(), 1e-5);
      EXPECT_NEAR(o["top"][k]["logit"].get<double>(), g["top10"][k]["logit"].get<double>(), 1e-4);
    }
  }
}

TEST(NextCommand, BatchEqualsOneAtATime) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto both = run_tokprob({"next", "-m", dir, "--format", "json", "Hello there", "The cat sat on the mat and"});
  const auto one = run_tokprob({"next", "-m", dir, "--format", "json", "The cat sat on the mat and"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto a = json_lines(both.out)[1], b = json_lines(one.out)[0];
  for (size_t k = 0; k < 10; ++k) {
    EXPECT_EQ(a["top"][k]["id"], b["top"][k]["id"]);
    EXPECT_NEAR(a["top"][k]["prob"].get<double>(), b["top"][k]["prob"].get<double>(), 1e-6);
  }
}

TEST(NextCommand, AllPositionsMatchPerPositionGolden) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto golden = load_json(fixtures_dir() / "gpt2-tiny" / "golden.json");
  const auto& g = golden["prompts"][0];
  const auto r = run_tokprob({"next", "-m", dir, "--format", "json", "--position", "all", "-k", "1",
                              g["text"].get<std::string>()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), g["per_position"].size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["position"], i);
    EXPECT_EQ(lines[i]["top"][0]["id"], g["per_position"][i]["argmax"]);
    EXPECT_NEAR(lines[i]["logsumexp"].get<double>(), g["per_position"][i]["logsumexp"].get<double>(), 1e-4);
  }
}

TEST(NextCommand, TargetsUseTheChainRule) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto golden = load_json(fixtures_dir() / "gpt2-tiny" / "golden.json");
  // The golden's per_position next_token_logprob of a prompt's own tokens are exactly what
  // targets compute: score the prompt's tail as a target after its head.
  const auto& g = golden["prompts"][0];
  const auto ids = g["input_ids"].get<std::vector<int>>();
  ASSERT_GE(ids.size(), 3u);
  // Decode the last two tokens through `tokenize` to build head and target text.
  const std::string text = g["text"];
  const auto tok = run_tokprob({"tokenize", "-m", dir, "--format", "json", text});
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  const auto enc = json_lines(tok.out)[0];
  const size_t cut = enc["offsets"][ids.size() - 2][0].get<size_t>();
  const std::string head = text.substr(0, cut), tail = text.substr(cut);
  const auto r = run_tokprob({"next", "-m", dir, "--format", "json", "--targets", tail, head});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = json_lines(r.out)[0];
  ASSERT_EQ(o["targets"].size(), 1u);
  const auto& t = o["targets"][0];
  ASSERT_EQ(t["pieces"].size(), 2u);
  const double lp1 = g["per_position"][ids.size() - 3]["next_token_logprob"].get<double>();
  const double lp2 = g["per_position"][ids.size() - 2]["next_token_logprob"].get<double>();
  EXPECT_EQ(t["pieces"][0]["id"], ids[ids.size() - 2]);
  EXPECT_EQ(t["pieces"][1]["id"], ids[ids.size() - 1]);
  EXPECT_NEAR(t["pieces"][0]["logprob"].get<double>(), lp1, 1e-4);
  EXPECT_NEAR(t["pieces"][1]["logprob"].get<double>(), lp2, 1e-4);
  EXPECT_NEAR(t["logprob"].get<double>(), lp1 + lp2, 2e-4);
}

TEST(NextCommand, TargetsDoNotSwallowTexts) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto r = run_tokprob({"next", "-m", dir, "--format", "json", "--targets", " a, b", "--targets", " c", "Hello",
                              "World"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["text"], "World");
  // Repeated, --targets takes each value whole (commas kept); given once it is a comma list.
  ASSERT_EQ(lines[0]["targets"].size(), 2u);
  EXPECT_EQ(lines[0]["targets"][0]["target"], " a, b");
  EXPECT_EQ(lines[0]["targets"][1]["target"], " c");
}

TEST(NextCommand, TableAndCsvOutput) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto table = run_tokprob({"next", "-m", dir, "-k", "5", "This weekend I plan to"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("rank"), std::string::npos);
  EXPECT_NE(table.out.find("builders"), std::string::npos) << table.out;  // golden top-1
  EXPECT_EQ(line_count(table.out), 1u + 1u + 5u);
  const auto csv = run_tokprob({"next", "-m", dir, "-k", "3", "--format", "csv", "Hello"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(line_count(csv.out), 4u);
}

TEST(TokenizeCommand, IdsAndOffsets) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto dir = (fixtures_dir() / "gpt2-tiny").string();
  const auto r = run_tokprob({"tokenize", "-m", dir, "--format", "json", "Hello world"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = json_lines(r.out)[0];
  EXPECT_EQ(o["ids"], nlohmann::json({15496, 995}));
  EXPECT_EQ(o["tokens"], nlohmann::json({"Hello", "Ġworld"}));
  EXPECT_EQ(o["offsets"], nlohmann::json({{0, 5}, {5, 11}}));
}

}  // namespace
}  // namespace tokprob::testing
