// GPT-2 checkpoints as they are found: the original gpt2/distilgpt2 names (no "transformer."
// prefix, with attn.bias / masked_bias buffers) and F16/BF16 storage.
#include <gtest/gtest.h>

#include <cstring>

#include "fixtures.hpp"
#include "io/safetensors.hpp"
#include "models/model_folder_copy.hpp"
#include "models/registry.hpp"

namespace tokprob {
namespace {

using testing::ModelFolderCopy;

std::vector<float> last_logits(const std::filesystem::path& dir, const std::vector<int32_t>& ids) {
  auto model = load_causal_lm(dir, read_model_config(dir));
  auto state = model->new_state();
  DecodeChunk ch{state.get(), ids, {static_cast<int64_t>(ids.size()) - 1}};
  return model->forward(std::span(&ch, 1));
}

TEST(Gpt2Layout, OriginalNamesWithBuffersGiveGoldenLogits) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto golden = testing::load_json(testing::fixtures_dir() / "gpt2-tiny" / "golden.json");
  const auto& prompt = golden["prompts"][0];
  const auto ids = prompt["input_ids"].get<std::vector<int32_t>>();
  const auto expected = prompt["last_logits"].get<std::vector<float>>();

  ModelFolderCopy copy("gpt2-tiny", "original_names");
  const int64_t n_pos = copy.config()["n_positions"].get<int64_t>();
  std::vector<ModelFolderCopy::ExtraTensor> buffers;
  for (int l = 0; l < copy.config()["n_layer"].get<int>(); ++l) {
    buffers.push_back({"h." + std::to_string(l) + ".attn.bias", "F32", {1, 1, n_pos, n_pos},
                       std::string(static_cast<size_t>(n_pos * n_pos * 4), '\0')});
    buffers.push_back({"h." + std::to_string(l) + ".attn.masked_bias", "F32", {}, std::string(4, '\0')});
  }
  copy.rewrite_tensors(
      [](std::string& name, nlohmann::json&, std::string&) {
        if (name.rfind("transformer.", 0) == 0) name = name.substr(12);
        return name != "lm_head.weight";
      },
      buffers);
  ASSERT_FALSE(Weights::open_folder(copy.dir()).has("transformer.wte.weight"));
  const auto logits = last_logits(copy.dir(), ids);
  ASSERT_EQ(logits.size(), expected.size());
  double max_diff = 0, max_abs = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(double(logits[i]) - expected[i]));
    max_abs = std::max(max_abs, std::abs(double(expected[i])));
  }
  EXPECT_LE(max_diff, 1e-4 * std::max(1.0, max_abs));  // fixtures/README.md logits tolerance
}

// Half-precision storage gives exactly the logits of fp32 weights rounded the same way.
void check_half(const char* dtype, uint16_t (*to_half)(float), float (*to_float)(uint16_t)) {
  const std::vector<int32_t> ids = {464, 3797, 3332, 319, 262};
  ModelFolderCopy half("gpt2-tiny", std::string("half_") + dtype), rounded("gpt2-tiny", std::string("round_") + dtype);
  half.rewrite_tensors([&](std::string&, nlohmann::json& info, std::string& bytes) {
    std::string out(bytes.size() / 2, '\0');
    for (size_t i = 0; i < bytes.size() / 4; ++i) {
      float v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      const uint16_t h = to_half(v);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
    bytes = std::move(out);
    info["dtype"] = dtype;
    return true;
  });
  rounded.rewrite_tensors([&](std::string&, nlohmann::json&, std::string& bytes) {
    for (size_t i = 0; i < bytes.size() / 4; ++i) {
      float v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      v = to_float(to_half(v));
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    }
    return true;
  });
  EXPECT_EQ(last_logits(half.dir(), ids), last_logits(rounded.dir(), ids)) << dtype;
}

TEST(Gpt2Layout, F16AndBf16Weights) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  check_half("F16", f32_to_f16, f16_to_f32);
  check_half("BF16", f32_to_bf16, bf16_to_f32);
}

}  // namespace
}  // namespace tokprob
