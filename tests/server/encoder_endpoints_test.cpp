// The server with encoder models: /v1/fill-mask against bert-tiny-mlm's golden top10 and
// /v1/classify against distilbert-tiny-sst2's golden probs; the kind is announced for the page.
#include <gtest/gtest.h>

#include "running_server.hpp"

namespace tokprob::testing {
namespace {

// golden: fill_mask[].input_ids, mask_position, top10 (id, prob).
TEST(ServerEncoders, FillMaskTop10MatchesGolden) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  RunningServer server("bert-tiny-mlm");
  auto [ms, models] = server.get("/v1/models");
  ASSERT_EQ(ms, 200);
  EXPECT_EQ(models["data"][0]["kind"], "masked-lm");
  EXPECT_EQ(models["data"][0]["endpoints"], nlohmann::json({"/v1/fill-mask", "/tokenize", "/detokenize"}));
  EXPECT_EQ(models["data"][0]["mask_token"], "[MASK]");  // the page writes its example with it
  const auto golden = load_json(fixtures_dir() / "bert-tiny-mlm" / "golden.json");
  for (const auto& g : golden["fill_mask"]) {
    auto [status, body] = server.post("/v1/fill-mask", nlohmann::json{{"text", g["text"]}, {"top_k", 10}});
    ASSERT_EQ(status, 200) << body.dump();
    const auto& r = body["results"][0];
    EXPECT_EQ(r["input_ids"], g["input_ids"]);
    ASSERT_EQ(r["masks"].size(), 1u) << g["text"];
    EXPECT_EQ(r["masks"][0]["position"], g["mask_position"]);
    for (size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(r["masks"][0]["top"][k]["id"], g["top10"][k]["id"]) << g["text"] << " rank " << k;
      EXPECT_NEAR(r["masks"][0]["top"][k]["prob"].get<double>(), g["top10"][k]["prob"].get<double>(), 1e-5);
    }
  }
  // A causal-LM endpoint is not there for a masked LM.
  EXPECT_EQ(server.post("/v1/next", nlohmann::json{{"text", "a"}}).first, 404);
  auto [bad, err] = server.post("/v1/fill-mask", nlohmann::json{{"text", "no mask here"}});
  EXPECT_EQ(bad, 400);
  EXPECT_TRUE(err["error"]["message"].is_string());
}

// golden: classify[].probs by label id.
TEST(ServerEncoders, ClassifyProbsMatchGolden) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  RunningServer server("distilbert-tiny-sst2");
  EXPECT_EQ(server.get("/health").second["model"]["kind"], "classifier");
  const auto golden = load_json(fixtures_dir() / "distilbert-tiny-sst2" / "golden.json");
  nlohmann::json texts = nlohmann::json::array();
  for (const auto& g : golden["classify"]) texts.push_back(g["text"]);
  auto [status, body] = server.post("/v1/classify", nlohmann::json{{"text", texts}});
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["results"].size(), golden["classify"].size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& g = golden["classify"][i];
    const auto& r = body["results"][i];
    ASSERT_EQ(r["labels"].size(), g["probs"].size());
    for (const auto& l : r["labels"]) {
      const auto id = l["id"].get<size_t>();
      EXPECT_EQ(l["label"], g["labels"][id]);
      EXPECT_NEAR(l["prob"].get<double>(), g["probs"][id].get<double>(), 1e-5) << g["text"];
    }
  }
  auto [bad, err] = server.post("/v1/classify", nlohmann::json{{"text", "x"}, {"function", "softermax"}});
  EXPECT_EQ(bad, 400);
  EXPECT_NE(err["error"]["message"].get<std::string>().find("'function'"), std::string::npos) << err.dump();
  EXPECT_EQ(err["error"]["message"].get<std::string>().find("--"), std::string::npos) << err.dump();
}

// Zero-shot on /v1/classify: the fields are read (and checked) as the pipeline's arguments; the
// fixture has no entailment label, which is the model's error, one line.
TEST(ServerEncoders, ClassifyZeroShotFields) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  RunningServer server("distilbert-tiny-sst2");
  auto message = [&](const nlohmann::json& body) {
    auto [status, answer] = server.post("/v1/classify", body);
    EXPECT_EQ(status, 400) << answer.dump();
    return answer["error"]["message"].get<std::string>();
  };
  const auto no_entailment = message({{"text", "x"}, {"candidate_labels", {"a", "b"}}, {"multi_label", true}});
  EXPECT_NE(no_entailment.find("entailment label"), std::string::npos) << no_entailment;
  EXPECT_EQ(no_entailment.find('\n'), std::string::npos);
  EXPECT_NE(message({{"text", "x"}, {"candidate_labels", " , "}}).find("'candidate_labels'"), std::string::npos);
  EXPECT_NE(message({{"text", "x"}, {"candidate_labels", {1, 2}}}).find("'candidate_labels'"), std::string::npos);
  const auto no_place = message({{"text", "x"}, {"candidate_labels", "a,b"}, {"hypothesis_template", "Plain."}});
  EXPECT_NE(no_place.find("hypothesis_template must hold {}"), std::string::npos) << no_place;
}

}  // namespace
}  // namespace tokprob::testing
