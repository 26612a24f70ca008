// BartForSequenceClassification is served as a sequence classifier (classify, zero-shot), BART's
// other heads as seq2seq; each command refuses the other in one line. Its numbers: the zero-shot
// differential test against transformers (tests/python/test_zero_shot_differential.py).
#include <gtest/gtest.h>

#include "models/registry.hpp"
#include "models/tiny_decoder_folder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

Config bart_config(const std::string& type, const std::string& architecture) {
  return Config::parse(nlohmann::json{{"model_type", type}, {"architectures", {architecture}}}.dump(), "config.json");
}

TEST(BartClassifier, KindFollowsTheHead) {
  EXPECT_EQ(model_kind(bart_config("bart", "BartForSequenceClassification")), ModelKind::sequence_classifier);
  EXPECT_EQ(model_kind(bart_config("mbart", "MBartForSequenceClassification")), ModelKind::sequence_classifier);
  EXPECT_EQ(model_kind(bart_config("bart", "BartForConditionalGeneration")), ModelKind::seq2seq_lm);
  EXPECT_EQ(model_kind(bart_config("bart", "BartModel")), ModelKind::seq2seq_lm);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BartClassifier, EachCommandRefusesTheOtherHead) {
  testing::TinyDecoderFolder folder("bart_heads");
  folder.write({{"model_type", "bart"}, {"architectures", {"BartForSequenceClassification"}}}, {});
  const Config classifier = read_model_config(folder.dir());
  const std::string seq2seq = error_of([&] { load_seq2seq_lm(folder.dir(), classifier); });
  EXPECT_NE(seq2seq.find("use classify"), std::string::npos) << seq2seq;
  const std::string fill = error_of([&] { load_masked_lm(folder.dir(), classifier); });
  EXPECT_NE(fill.find("no masked-LM head"), std::string::npos) << fill;
  folder.write({{"model_type", "bart"}, {"architectures", {"BartForConditionalGeneration"}}, {"d_model", 8}}, {});
  const std::string head = error_of([&] { load_sequence_classifier(folder.dir(), read_model_config(folder.dir())); });
  EXPECT_NE(head.find("classification_head.dense.weight"), std::string::npos) << head;
}

}  // namespace
}  // namespace tokprob
