// Llama config variants on copies of ../shared/fixtures/llama-tiny: BF16/F16 weights, tied head,
// rope_scaling, head_dim, the Qwen2 and Mistral layouts, and the errors for what is missing.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

#include "fixtures.hpp"
#include "io/safetensors.hpp"
#include "models/model_folder_copy.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::ModelFolderCopy;

const std::vector<int32_t> kIds = {1, 910, 4723, 355, 306, 3814, 304};

std::vector<float> last_logits(const std::filesystem::path& dir) {
  const auto model = load_causal_lm(dir, read_model_config(dir));
  auto state = model->new_state();
  DecodeChunk ch{state.get(), kIds, {static_cast<int64_t>(kIds.size()) - 1}};
  return model->forward(std::span(&ch, 1));
}

std::string error_of(const std::filesystem::path& dir) {
  try {
    last_logits(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Rewrites every F32 tensor of model.safetensors with `convert` (returning the new dtype and bytes).
void rewrite_tensors(const ModelFolderCopy& copy,
                     const std::function<std::pair<std::string, std::string>(const float*, size_t)>& convert) {
  copy.rewrite_tensors([&](std::string&, nlohmann::json& info, std::string& bytes) {
    std::vector<float> f(bytes.size() / 4);
    std::memcpy(f.data(), bytes.data(), bytes.size());
    auto [dtype, converted] = convert(f.data(), f.size());
    info["dtype"] = dtype;
    bytes = std::move(converted);
    return true;
  });
}

template <typename Half>
void check_half_precision(const char* dtype, Half to_half, float (*to_float)(uint16_t)) {
  // The same weights rounded to half precision, stored once as half and once as F32: loading
  // converts exactly, so the logits agree to the last bit.
  ModelFolderCopy half("llama-tiny", std::string("half_") + dtype), rounded("llama-tiny", std::string("rnd_") + dtype);
  rewrite_tensors(half, [&](const float* f, size_t n) {
    std::string bytes(n * 2, '\0');
    for (size_t i = 0; i < n; ++i) {
      const uint16_t h = to_half(f[i]);
      std::memcpy(&bytes[i * 2], &h, 2);
    }
    return std::make_pair(std::string(dtype), bytes);
  });
  rewrite_tensors(rounded, [&](const float* f, size_t n) {
    std::string bytes(n * 4, '\0');
    for (size_t i = 0; i < n; ++i) {
      const float r = to_float(to_half(f[i]));
      std::memcpy(&bytes[i * 4], &r, 4);
    }
    return std::make_pair(std::string("F32"), bytes);
  });
  EXPECT_EQ(last_logits(half.dir()), last_logits(rounded.dir()));
}

TEST(LlamaConfig, Bf16AndF16WeightsLoad) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  check_half_precision("BF16", f32_to_bf16, bf16_to_f32);
  check_half_precision("F16", f32_to_f16, f16_to_f32);
}

TEST(LlamaConfig, TiedHeadUsesEmbeddingsAndMissingHeadIsNamed) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto untied = last_logits(testing::fixtures_dir() / "llama-tiny");
  ModelFolderCopy copy("llama-tiny", "tied");
  auto cfg = copy.config();
  cfg["tie_word_embeddings"] = true;
  copy.write_config(cfg);
  copy.drop_tensors("lm_head.");
  const auto tied = last_logits(copy.dir());
  ASSERT_EQ(tied.size(), untied.size());
  EXPECT_NE(tied, untied);
  cfg["tie_word_embeddings"] = false;
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("lm_head.weight"), std::string::npos) << error_of(copy.dir());
}

TEST(LlamaConfig, RopeScalingAndHeadDim) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto plain = last_logits(testing::fixtures_dir() / "llama-tiny");
  ModelFolderCopy copy("llama-tiny", "rope");
  auto cfg = copy.config();
  cfg["rope_scaling"] = {{"type", "linear"}, {"factor", 1.0}};
  cfg["head_dim"] = 12;  // = hidden_size / num_attention_heads, given explicitly
  copy.write_config(cfg);
  EXPECT_EQ(last_logits(copy.dir()), plain);
  cfg["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  copy.write_config(cfg);
  EXPECT_NE(last_logits(copy.dir()), plain);
  cfg["rope_scaling"] = {{"type", "su"}, {"factor", 2.0}};
  copy.write_config(cfg);
  const auto err = error_of(copy.dir());
  EXPECT_NE(err.find("rope_scaling"), std::string::npos) << err;
  EXPECT_NE(err.find("'su'"), std::string::npos) << err;
  // A key the type does not read is refused, not ignored.
  cfg["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 2.0}, {"low_freq_factor", 1.0}};
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("low_freq_factor"), std::string::npos) << error_of(copy.dir());
  cfg["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("low_freq_factor"), std::string::npos) << error_of(copy.dir());
  // The reference's default Llama rope rotates whole heads whatever partial_rotary_factor says;
  // its scaled types would fail on the shapes, so a partial factor is refused there.
  cfg["rope_scaling"] = nullptr;
  cfg["partial_rotary_factor"] = 0.5;
  copy.write_config(cfg);
  EXPECT_EQ(last_logits(copy.dir()), plain);
  cfg["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 2.0}};
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("partial_rotary_factor"), std::string::npos) << error_of(copy.dir());
  cfg.erase("partial_rotary_factor");
  // A rope error found by the kernel still names config.json.
  cfg["rope_scaling"] = {{"rope_type", "longrope"}, {"short_factor", {1.0}}, {"long_factor", {1.0}}};
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("config.json"), std::string::npos) << error_of(copy.dir());
  EXPECT_NE(error_of(copy.dir()).find("short_factor"), std::string::npos) << error_of(copy.dir());
  // 5.x's spelling: rope_parameters holds the theta too.
  cfg["rope_scaling"] = nullptr;
  cfg["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 4.0}, {"rope_theta", 10000.0}};
  copy.write_config(cfg);
  const auto linear4 = last_logits(copy.dir());
  cfg["rope_parameters"] = nullptr;
  cfg["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  copy.write_config(cfg);
  EXPECT_EQ(last_logits(copy.dir()), linear4);
  cfg["rope_scaling"] = nullptr;
  cfg["head_dim"] = 16;  // q_proj would have to be [64, 48]
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("q_proj.weight"), std::string::npos) << error_of(copy.dir());
}

TEST(LlamaConfig, BiasesAndFamilies) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto plain = last_logits(testing::fixtures_dir() / "llama-tiny");
  ModelFolderCopy copy("llama-tiny", "family");
  auto cfg = copy.config();
  cfg["attention_bias"] = true;
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("q_proj.bias"), std::string::npos) << error_of(copy.dir());
  cfg["attention_bias"] = false;
  cfg["model_type"] = "qwen2";  // Qwen2 always has q/k/v biases
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("q_proj.bias"), std::string::npos) << error_of(copy.dir());
  cfg["model_type"] = "mistral";
  cfg["sliding_window"] = 4;  // shorter than the 7 tokens: the window is applied, no longer refused
  copy.write_config(cfg);
  EXPECT_NE(last_logits(copy.dir()), plain);
  cfg["sliding_window"] = 4096;
  copy.write_config(cfg);
  EXPECT_EQ(last_logits(copy.dir()), plain);
  cfg["model_type"] = "llama";
  cfg["num_key_value_heads"] = 3;
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("num_key_value_heads"), std::string::npos) << error_of(copy.dir());
}

// Found by the differential tests: Qwen2 with max_window_layers 0 slides every layer in the
// reference; it was refused as not positive. With zero q/k/v biases it is Mistral's sliding model.
TEST(LlamaConfig, Qwen2SlidesEveryLayerWithMaxWindowLayersZero) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  ModelFolderCopy copy("llama-tiny", "qwen2_window0");
  auto cfg = copy.config();
  const int64_t layers = cfg["num_hidden_layers"], H = cfg["num_attention_heads"];
  const int64_t KVH = cfg.value("num_key_value_heads", H);
  const int64_t D = cfg.value("head_dim", cfg["hidden_size"].get<int64_t>() / H);
  std::vector<ModelFolderCopy::ExtraTensor> biases;
  for (int64_t l = 0; l < layers; ++l)
    for (auto [proj, rows] : {std::pair{"q_proj", H * D}, {"k_proj", KVH * D}, {"v_proj", KVH * D}})
      biases.push_back({"model.layers." + std::to_string(l) + ".self_attn." + proj + ".bias", "F32", {rows},
                        std::string(static_cast<size_t>(rows) * 4, '\0')});
  copy.rewrite_tensors([](std::string&, nlohmann::json&, std::string&) { return true; }, biases);
  cfg["model_type"] = "mistral";
  cfg["sliding_window"] = 4;  // shorter than the 7 tokens
  copy.write_config(cfg);
  const auto mistral = last_logits(copy.dir());
  cfg["model_type"] = "qwen2";
  cfg["use_sliding_window"] = true;
  cfg["max_window_layers"] = 0;
  copy.write_config(cfg);
  EXPECT_EQ(last_logits(copy.dir()), mistral);
  cfg["max_window_layers"] = -1;
  copy.write_config(cfg);
  EXPECT_NE(error_of(copy.dir()).find("max_window_layers"), std::string::npos) << error_of(copy.dir());
}

}  // namespace
}  // namespace tokprob
