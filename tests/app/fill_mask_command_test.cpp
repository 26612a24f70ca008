// `tokprob fill-mask` run as a user runs it, against bert-tiny-mlm's golden.json
// (fill_mask[]: text, input_ids, mask_position, pipeline_top10).
#include <gtest/gtest.h>

#include "app/golden_cases_run.hpp"

namespace tokprob::testing {
namespace {

TEST(FillMaskCommand, JsonMatchesPipelineTop10) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto dir = (fixtures_dir() / "bert-tiny-mlm").string();
  const auto golden = load_json(fixtures_dir() / "bert-tiny-mlm" / "golden.json");
  const auto lines = json_lines_over_cases({"fill-mask", "-m", dir, "--format", "json", "-k", "10"}, golden["fill_mask"]);
  ASSERT_EQ(lines.size(), golden["fill_mask"].size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& g = golden["fill_mask"][i];
    const auto& o = lines[i];
    EXPECT_EQ(o["text"], g["text"]);
    EXPECT_EQ(o["input_ids"], g["input_ids"]);
    ASSERT_EQ(o["masks"].size(), 1u);
    const auto& m = o["masks"][0];
    EXPECT_EQ(m["position"], g["mask_position"]);
    ASSERT_EQ(m["top"].size(), 10u);
    for (size_t k = 0; k < 10; ++k) {
      const auto& p = g["pipeline_top10"][k];
      EXPECT_EQ(m["top"][k]["id"], p["token"]) << g["text"] << " rank " << k;
      EXPECT_EQ(m["top"][k]["text"], p["token_str"]);
      EXPECT_EQ(m["top"][k]["sequence"], p["sequence"]);
      EXPECT_NEAR(m["top"][k]["prob"].get<double>(), p["score"].get<double>(), 1e-5);
    }
  }
}

TEST(FillMaskCommand, TargetsAfterWhichTextsFollow) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto dir = (fixtures_dir() / "bert-tiny-mlm").string();
  const auto golden = load_json(fixtures_dir() / "bert-tiny-mlm" / "golden.json");
  const auto& g = golden["fill_mask"][0];
  // laos is in the golden top10 of this text; the second word splits into pieces.
  const auto r = run_tokprob({"fill-mask", "-m", dir, "--format", "json", "-k", "1", "--targets", "laos,tokprobability",
                              g["text"].get<std::string>(), "One more [MASK] text."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  const auto& targets = lines[0]["masks"][0]["targets"];
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0]["target"], "laos");
  EXPECT_EQ(targets[0]["whole_word"], true);
  EXPECT_EQ(targets[0]["scored"], "word");
  bool in_golden = false;
  for (const auto& t : g["top10"]) {
    if (t["token"] != "laos") continue;
    in_golden = true;
    EXPECT_NEAR(targets[0]["prob"].get<double>(), t["prob"].get<double>(), 1e-5);
  }
  EXPECT_TRUE(in_golden);
  EXPECT_EQ(targets[1]["whole_word"], false);
  EXPECT_EQ(targets[1]["scored"], "first piece");
  EXPECT_GT(targets[1]["pieces"].size(), 1u);
  EXPECT_EQ(targets[1]["id"], targets[1]["pieces"][0]["id"]);
}

TEST(FillMaskCommand, TableAndCsv) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto dir = (fixtures_dir() / "bert-tiny-mlm").string();
  const auto table = run_tokprob({"fill-mask", "-m", dir, "-k", "5", "Paris is the [MASK] of France."});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("paris is the outset of france."), std::string::npos) << table.out;  // golden rank 2
  EXPECT_EQ(line_count(table.out), 1u + 1u + 5u);
  const auto csv = run_tokprob({"fill-mask", "-m", dir, "-k", "3", "--format", "csv", "a [MASK] b [MASK]"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(line_count(csv.out), 1u + 2u * 3u);
}

TEST(FillMaskCommand, BadInput) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto bert = (fixtures_dir() / "bert-tiny-mlm").string();
  const auto classifier = (fixtures_dir() / "distilbert-tiny-sst2").string();
  auto expect_error = [](const std::vector<std::string>& args, int code, const std::string& needle) {
    const auto r = run_tokprob(args);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  };
  expect_error({"fill-mask", "-m", bert, "no mask here"}, 2, "[MASK]");
  expect_error({"fill-mask", "-m", bert, "-k", "0", "a [MASK]"}, 2, "-k");
  expect_error({"fill-mask", "-m", bert, "--format", "xml", "a [MASK]"}, 2, "--format");
  expect_error({"fill-mask", "-m", classifier, "a [MASK]"}, 1, "masked-LM");
  expect_error({"fill-mask", "-m", (fixtures_dir() / "gpt2-tiny").string(), "a [MASK]"}, 1, "gpt2");
}

}  // namespace
}  // namespace tokprob::testing
