// Tiny ModernBERT and DeBERTa-v2 encoders of tests/data/encoder-reference (random weights, written
// by tests/models/make_encoder_reference.py) against the logits transformers computed for them:
// ModernBERT's local windows shorter than the prompt, its rope bases, mean pooling and the hub's
// older config spelling; DeBERTa's log buckets, shared or separate position projections, normed
// relative embeddings, a projected embedding size and both masked-LM head layouts. Then the
// settings each refuses rather than ignores.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "fixtures.hpp"
#include "models/deberta_v2.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

std::filesystem::path case_dir(const std::string& name) {
  return std::filesystem::path(TOKPROB_SOURCE_DIR) / "tests" / "data" / "encoder-reference" / name;
}

std::unique_ptr<EncoderModel> load(const std::filesystem::path& dir) {
  const Config config = read_model_config(dir);
  return model_kind(config) == ModelKind::sequence_classifier ? load_sequence_classifier(dir, config)
                                                              : load_masked_lm(dir, config);
}

// Masked-LM logits of every position, or the classifier's logits.
std::vector<float> logits(const EncoderModel& model, std::vector<EncoderSequence> batch) {
  const bool mlm = model.info().head == EncoderHead::masked_lm;
  for (auto& s : batch)
    if (mlm)
      for (size_t i = 0; i < s.ids.size(); ++i) s.mlm_logits_for.push_back(static_cast<int64_t>(i));
  const auto out = model.forward(batch);
  return mlm ? out.mlm_logits : out.class_logits;
}

// Each row within 1e-4 of max(1, the row's largest |logit|).
void expect_rows_close(const std::vector<float>& got, const std::vector<float>& want, int64_t width,
                       const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t r = 0; r * width < want.size(); ++r) {
    float scale = 1.0f;
    for (int64_t v = 0; v < width; ++v) scale = std::max(scale, std::fabs(want[r * width + v]));
    for (int64_t v = 0; v < width; ++v) {
      const size_t i = r * width + v;
      ASSERT_NEAR(got[i], want[i], 1e-4f * scale) << what << " row " << r << " column " << v;
    }
  }
}

int64_t width(const EncoderModel& model) {
  return model.info().head == EncoderHead::masked_lm ? model.info().vocab_size
                                                     : static_cast<int64_t>(model.info().labels.size());
}

void check_case(const std::string& name) {
  const auto dir = case_dir(name);
  const auto reference = testing::load_json(dir / "reference.json");
  const auto model = load(dir);
  ASSERT_EQ(model->info().architecture, reference["architecture"].get<std::string>());
  ASSERT_FALSE(reference["prompts"].empty());
  for (const auto& p : reference["prompts"]) {
    const auto ids = p["ids"].get<std::vector<int32_t>>();
    expect_rows_close(logits(*model, {{ids, {}, {}}}), p["logits"].get<std::vector<float>>(), width(*model),
                      name + " (" + std::to_string(ids.size()) + " tokens)");
  }
}

TEST(EncoderReference, ModernBertMaskedLmWithLocalWindowsAndBiases) { check_case("modernbert-mlm"); }
TEST(EncoderReference, ModernBertMeanPoolingClassifierInHubSpelling) { check_case("modernbert-classifier-mean"); }
TEST(EncoderReference, DebertaV3MaskedLmWithLogBucketsAndSharedKeys) { check_case("deberta-v3-mlm"); }
TEST(EncoderReference, DebertaV2ClassifierWithEmbeddingProjectionAndTypes) { check_case("deberta-v2-classifier"); }
TEST(EncoderReference, DebertaV3NonLegacyMaskedLmHead) { check_case("deberta-v3-mlm-lm-predictions"); }

// A ragged batch gives each sequence its numbers alone: positions, windows and relative distances
// count within each sequence.
TEST(EncoderReference, BatchEqualsEachSequenceAlone) {
  for (const std::string name : {"modernbert-mlm", "modernbert-classifier-mean", "deberta-v3-mlm",
                                 "deberta-v2-classifier"}) {
    const auto dir = case_dir(name);
    const auto reference = testing::load_json(dir / "reference.json");
    const auto model = load(dir);
    std::vector<std::vector<int32_t>> ids;
    std::vector<EncoderSequence> batch;
    for (const auto& p : reference["prompts"]) ids.push_back(p["ids"].get<std::vector<int32_t>>());
    for (const auto& s : ids) batch.push_back({s, {}, {}});
    const auto all = logits(*model, batch);
    std::vector<float> alone;
    for (const auto& s : ids) {
      const auto one = logits(*model, {{s, {}, {}}});
      alone.insert(alone.end(), one.begin(), one.end());
    }
    expect_rows_close(all, alone, width(*model), name + " batch");
  }
}

// make_log_bucket_position of transformers 5.25 on these distances (buckets 256 and 512 positions,
// DeBERTa-v3's; buckets 6 and 20 positions).
TEST(DebertaLogBucket, MatchesTheReference) {
  const std::vector<int64_t> rel = {-1000, -600, -300, -129, -128, -127, -3, 0, 5, 127, 128, 129, 130, 200, 300, 511,
                                    512, 1000};
  const std::vector<int64_t> want = {-317, -270, -207, -129, -128, -127, -3, 0, 5, 127, 128, 129, 130, 169, 207, 255,
                                     256, 317};
  for (size_t i = 0; i < rel.size(); ++i) EXPECT_EQ(deberta_log_bucket(rel[i], 256, 512), want[i]) << rel[i];
  const std::vector<int64_t> small = {-6, -6, -6, -6, -6, -6, -5, -5, -5, -5, -5, -5, -5, -5, -5, -5, -5,
                                      -5, -4, -4, -4, -4, -3, -2, -1, 0,  1,  2,  3,  4,  4,  4,  4,  5,
                                      5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  6,  6,  6,  6,  6,  6};
  for (int64_t r = -25; r <= 25; ++r) EXPECT_EQ(deberta_log_bucket(r, 6, 20), small[r + 25]) << r;
}

// A case folder with config.json changed: the weights linked, the config rewritten.
class ChangedConfig {
 public:
  ChangedConfig(const std::string& name, const nlohmann::json& changes)
      : dir_(std::filesystem::temp_directory_path() / ("tokprob_enc_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::create_symlink(case_dir(name) / "model.safetensors", dir_ / "model.safetensors");
    auto config = testing::load_json(case_dir(name) / "config.json");
    config.merge_patch(changes);
    std::ofstream(dir_ / "config.json") << config.dump();
  }
  ~ChangedConfig() { std::filesystem::remove_all(dir_); }
  ChangedConfig(const ChangedConfig&) = delete;
  ChangedConfig& operator=(const ChangedConfig&) = delete;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

void expect_refused(const std::string& name, const nlohmann::json& changes, const std::string& needle) {
  ChangedConfig copy(name, changes);
  try {
    load(copy.dir());
    ADD_FAILURE() << "loaded " << name << " with " << changes.dump();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(EncoderReference, ModernBertRefusesWhatItDoesNotCompute) {
  expect_refused("modernbert-mlm", {{"rope_scaling", {{"rope_type", "linear"}, {"factor", 2.0}}}}, "rope_scaling");
  expect_refused("modernbert-mlm", {{"rope_parameters", {{"full_attention", {{"rope_type", "yarn"}}}}}}, "yarn");
  expect_refused("modernbert-classifier-mean", {{"classifier_pooling", "max"}}, "classifier_pooling");
  expect_refused("modernbert-mlm", {{"layer_types", {"full_attention", "chunked_attention", "full_attention"}}},
                 "chunked_attention");
  expect_refused("modernbert-mlm", {{"head_dim", 4}}, "head_dim");
}

TEST(EncoderReference, DebertaRefusesWhatItDoesNotCompute) {
  expect_refused("deberta-v3-mlm", {{"conv_kernel_size", 3}}, "conv_kernel_size");
  expect_refused("deberta-v3-mlm", {{"attention_head_size", 4}}, "attention_head_size");
  expect_refused("deberta-v2-classifier", {{"pooler_hidden_size", 8}}, "pooler_hidden_size");
  expect_refused("deberta-v3-mlm", {{"position_buckets", 1}}, "position_buckets");
  // A non-legacy config over a legacy checkpoint names the head it lacks.
  expect_refused("deberta-v3-mlm", {{"legacy", false}}, "lm_predictions");
}

}  // namespace
}  // namespace tokprob
