// Tiny decoders of tests/data/decoder-reference (random weights, written by
// tests/models/make_decoder_reference.py) against the logits transformers computed for them: every
// rope_scaling type, Mistral's sliding window shorter than the prompt, Qwen2's per-layer window,
// attention and MLP biases with MQA, and the rope_scaling/rope_parameters spellings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "fixtures.hpp"
#include "models/registry.hpp"

namespace tokprob {
namespace {

std::filesystem::path case_dir(const std::string& name) {
  return std::filesystem::path(TOKPROB_SOURCE_DIR) / "tests" / "data" / "decoder-reference" / name;
}

// Logits of every position of `ids`, in one pass.
std::vector<float> all_logits(const CausalLM& model, const std::vector<int32_t>& ids) {
  auto state = model.new_state();
  DecodeChunk ch{state.get(), ids, {}};
  for (size_t i = 0; i < ids.size(); ++i) ch.logits_for.push_back(static_cast<int64_t>(i));
  return model.forward(std::span(&ch, 1));
}

// Each row within 1e-4 of the row's largest |logit|.
void expect_rows_close(const std::vector<float>& got, const std::vector<float>& want, int64_t vocab,
                       const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t r = 0; r * vocab < want.size(); ++r) {
    float scale = 0;
    for (int64_t v = 0; v < vocab; ++v) scale = std::max(scale, std::fabs(want[r * vocab + v]));
    for (int64_t v = 0; v < vocab; ++v) {
      const size_t i = r * vocab + v;
      ASSERT_NEAR(got[i], want[i], 1e-4f * scale) << what << " row " << r << " token " << v;
    }
  }
}

void check_case(const std::string& name) {
  const auto dir = case_dir(name);
  const auto reference = testing::load_json(dir / "reference.json");
  ASSERT_FALSE(reference["prompts"].empty());
  for (const auto& p : reference["prompts"]) {
    const auto ids = p["ids"].get<std::vector<int32_t>>();
    const auto want = p["logits"].get<std::vector<float>>();
    // A fresh model per prompt, as the reference was run.
    const auto model = load_causal_lm(dir, read_model_config(dir));
    const int64_t vocab = model->info().vocab_size;
    expect_rows_close(all_logits(*model, ids), want, vocab, name + " (" + std::to_string(ids.size()) + " tokens)");
  }
}

TEST(DecoderReference, LlamaDefault) { check_case("llama_default"); }
TEST(DecoderReference, LlamaAttentionAndMlpBiasWithMqa) { check_case("llama_attention_bias"); }
TEST(DecoderReference, RopeLinear) { check_case("llama_linear"); }
TEST(DecoderReference, RopeDynamicBelowAndAboveMaxPositions) { check_case("llama_dynamic"); }
TEST(DecoderReference, RopeYarn) { check_case("llama_yarn"); }
TEST(DecoderReference, RopeYarnMscaleBetasNoTruncate) { check_case("llama_yarn_mscale"); }
TEST(DecoderReference, RopeLlama3InRopeScalingSpelling) { check_case("llama3"); }
TEST(DecoderReference, RopeLongropeBelowAndAboveOriginalMaxPositions) { check_case("llama_longrope"); }
TEST(DecoderReference, MistralSlidingWindowShorterThanPrompt) { check_case("mistral_window"); }
TEST(DecoderReference, Qwen2) { check_case("qwen2"); }
TEST(DecoderReference, Qwen2SlidingWindowFromMaxWindowLayers) { check_case("qwen2_window"); }

// Past the window, decoding token by token over the cache gives the one-pass logits: keys older
// than the window are skipped, not dropped from the cache of the layers that see everything.
TEST(DecoderReference, SlidingWindowIncrementalEqualsOnePass) {
  for (const std::string name : {"mistral_window", "qwen2_window"}) {
    const auto dir = case_dir(name);
    const auto ids = testing::load_json(dir / "reference.json")["prompts"][0]["ids"].get<std::vector<int32_t>>();
    const auto model = load_causal_lm(dir, read_model_config(dir));
    const int64_t V = model->info().vocab_size;
    const auto full = all_logits(*model, ids);
    auto state = model->new_state();
    const size_t prefix = 3;
    DecodeChunk first{state.get(), std::span(ids).first(prefix), {static_cast<int64_t>(prefix) - 1}};
    model->forward(std::span(&first, 1));
    for (size_t i = prefix; i < ids.size(); ++i) {
      DecodeChunk ch{state.get(), std::span(ids).subspan(i, 1), {0}};
      const auto row = model->forward(std::span(&ch, 1));
      const std::vector<float> want(full.begin() + static_cast<int64_t>(i) * V,
                                    full.begin() + static_cast<int64_t>(i + 1) * V);
      expect_rows_close(row, want, V, name + " position " + std::to_string(i));
    }
  }
}

}  // namespace
}  // namespace tokprob
