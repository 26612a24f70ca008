// `tokprob classify` run as a user runs it, against distilbert-tiny-sst2's golden.json
// (classify[]: text, input_ids, logits, pipeline).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "app/golden_cases_run.hpp"
#include "models/model_folder_copy.hpp"

namespace tokprob::testing {
namespace {

TEST(ClassifyCommand, JsonMatchesPipeline) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  const auto dir = (fixtures_dir() / "distilbert-tiny-sst2").string();
  const auto golden = load_json(fixtures_dir() / "distilbert-tiny-sst2" / "golden.json");
  const auto lines = json_lines_over_cases({"classify", "-m", dir, "--format", "json"}, golden["classify"]);
  ASSERT_EQ(lines.size(), golden["classify"].size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& g = golden["classify"][i];
    const auto& o = lines[i];
    EXPECT_EQ(o["text"], g["text"]);
    EXPECT_EQ(o["input_ids"], g["input_ids"]);
    EXPECT_EQ(o["function"], "softmax");
    EXPECT_FALSE(o.contains("pair"));
    ASSERT_EQ(o["labels"].size(), g["pipeline"].size());
    for (size_t k = 0; k < o["labels"].size(); ++k) {
      EXPECT_EQ(o["labels"][k]["label"], g["pipeline"][k]["label"]);
      EXPECT_NEAR(o["labels"][k]["prob"].get<double>(), g["pipeline"][k]["score"].get<double>(), 1e-5);
      const size_t id = o["labels"][k]["id"].get<size_t>();
      EXPECT_NEAR(o["labels"][k]["logit"].get<double>(), g["logits"][id].get<double>(), 1e-4);
    }
  }
}

TEST(ClassifyCommand, PairFunctionTableCsv) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  const auto dir = (fixtures_dir() / "distilbert-tiny-sst2").string();
  const auto golden = load_json(fixtures_dir() / "distilbert-tiny-sst2" / "golden.json");
  const auto& g = golden["classify"][0];
  const auto none = run_tokprob({"classify", "-m", dir, "--format", "json", "--function", "none", g["text"]});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  const auto o = json_lines(none.out)[0];
  EXPECT_EQ(o["function"], "none");
  for (const auto& l : o["labels"]) EXPECT_NEAR(l["prob"].get<double>(), g["logits"][l["id"].get<size_t>()], 1e-4);

  const auto pair = run_tokprob({"classify", "-m", dir, "--format", "json", "--pair", "It was fine.", "A film."});
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  const auto p = json_lines(pair.out)[0];
  EXPECT_EQ(p["pair"], "It was fine.");
  EXPECT_EQ(std::count(p["input_ids"].begin(), p["input_ids"].end(), 102), 2);

  const auto table = run_tokprob({"classify", "-m", dir, "Hello", "World"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("POSITIVE"), std::string::npos);
  EXPECT_EQ(line_count(table.out), 2u * (1u + 1u + 2u) + 1u);
  const auto csv = run_tokprob({"classify", "-m", dir, "--format", "csv", "Hello", "World"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(line_count(csv.out), 1u + 2u * 2u);
}

TEST(ClassifyCommand, BadInput) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  const auto dir = (fixtures_dir() / "distilbert-tiny-sst2").string();
  auto expect_error = [](const std::vector<std::string>& args, int code, const std::string& needle) {
    const auto r = run_tokprob(args);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  };
  expect_error({"classify", "-m", dir, "--function", "softmin", "x"}, 2, "--function");
  expect_error({"classify", "-m", dir, ""}, 2, "empty");
  expect_error({"classify", "-m", (fixtures_dir() / "bert-tiny-mlm").string(), "x"}, 1, "sequence-classification");
}

// --zero-shot on the fixture relabelled as an NLI model (label 1 entails): each candidate's score
// from the logits the same pairs get through --pair --function none, by the pipeline's formula.
TEST(ClassifyCommand, ZeroShotScoresAndErrors) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  ModelFolderCopy nli("distilbert-tiny-sst2", "zero_shot_cli");
  auto config = nli.config();
  config["id2label"] = {{"0", "contradiction"}, {"1", "entailment"}};
  config["label2id"] = {{"contradiction", 0}, {"entailment", 1}};
  nli.write_config(config);
  const std::string dir = nli.dir().string(), text = "the match went to extra time";
  const auto r = run_tokprob({"classify", "-m", dir, "--format", "json", "--zero-shot", "sports, politics",
                              "--hypothesis-template", "About {}.", text});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = json_lines(r.out)[0];
  EXPECT_EQ(o["hypothesis_template"], "About {}.");
  EXPECT_EQ(o["multi_label"], false);
  std::map<std::string, double> entail;
  double sum = 0;
  for (const std::string label : {"sports", "politics"}) {
    const auto pair = run_tokprob({"classify", "-m", dir, "--format", "json", "--function", "none", "--pair",
                                   "About " + label + ".", text});
    ASSERT_EQ(pair.exit_code, 0) << pair.err;
    const auto lines = json_lines(pair.out);
    for (const auto& l : lines[0]["labels"])
      if (l["label"] == "entailment") entail[label] = l["prob"].get<double>();
    sum += std::exp(entail[label]);
  }
  ASSERT_EQ(o["labels"].size(), 2u);
  for (const auto& l : o["labels"])
    EXPECT_NEAR(l["prob"].get<double>(), std::exp(entail[l["label"].get<std::string>()]) / sum, 1e-6) << l.dump();

  const auto template_error = run_tokprob({"classify", "-m", dir, "--zero-shot", "a", "--hypothesis-template", "x", text});
  EXPECT_NE(template_error.exit_code, 0);
  EXPECT_NE(template_error.err.find("--hypothesis-template must hold {}"), std::string::npos) << template_error.err;
  const auto empty = run_tokprob({"classify", "-m", dir, "--zero-shot", " , ", text});
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("--zero-shot must name at least one label"), std::string::npos) << empty.err;
  const auto lonely = run_tokprob({"classify", "-m", dir, "--multi-label", text});
  EXPECT_NE(lonely.exit_code, 0);
  EXPECT_NE(lonely.err.find("--zero-shot"), std::string::npos) << lonely.err;
  const auto sst2 = run_tokprob({"classify", "-m", (fixtures_dir() / "distilbert-tiny-sst2").string(), "--zero-shot",
                                 "a,b", text});
  EXPECT_NE(sst2.exit_code, 0);
  EXPECT_NE(sst2.err.find("entailment label"), std::string::npos) << sst2.err;
}

}  // namespace
}  // namespace tokprob::testing
