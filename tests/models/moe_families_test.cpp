// The mixture-of-experts families (Mixtral, Qwen3-MoE) load their checkpoints' tensor names (the
// per-expert layout the hub and save_pretrained write); with zero layer weights their logits are
// the head applied to the final RMSNorm of the embedding, computed here independently. Settings
// that cannot route are refused naming the key. The routing itself: blocks/sparse_moe_test.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "models/registry.hpp"
#include "models/tiny_decoder_folder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

using testing::TinyDecoderFolder;
using testing::TinyTensor;
using testing::tiny_values;

constexpr int64_t C = 8, V = 11, F = 12, FE = 4, H = 2, D = 4, E = 3, LAYERS = 3;

struct Folder {
  nlohmann::json config;
  std::map<std::string, TinyTensor> tensors;
};

void add(Folder& f, const std::string& name, std::vector<int64_t> shape, float fill = 0) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  f.tensors[name] = {shape, fill == 0 ? std::vector<float>{} : std::vector<float>(n, fill)};
}

void attention(Folder& f, const std::string& p, bool qk_norm) {
  for (auto [n, out, in] : {std::tuple{"self_attn.q_proj", H * D, C}, {"self_attn.k_proj", D, C},
                            {"self_attn.v_proj", D, C}, {"self_attn.o_proj", C, H * D}})
    add(f, p + n + ".weight", {out, in});
  if (qk_norm) {
    add(f, p + "self_attn.q_norm.weight", {D}, 1);
    add(f, p + "self_attn.k_norm.weight", {D}, 1);
  }
  add(f, p + "input_layernorm.weight", {C}, 1);
  add(f, p + "post_attention_layernorm.weight", {C}, 1);
}

Folder mixtral() {
  Folder f;
  f.config = {{"model_type", "mixtral"}, {"hidden_size", C}, {"num_attention_heads", H}, {"num_key_value_heads", 1},
              {"num_hidden_layers", LAYERS}, {"intermediate_size", F}, {"vocab_size", V},
              {"max_position_embeddings", 32}, {"num_local_experts", E}, {"num_experts_per_tok", 2},
              {"sliding_window", 2}};  // rms_norm_eps: MixtralConfig's 1e-5
  for (int l = 0; l < LAYERS; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    attention(f, p, false);
    add(f, p + "block_sparse_moe.gate.weight", {E, C});
    for (int e = 0; e < E; ++e) {
      const std::string x = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
      add(f, x + "w1.weight", {F, C});
      add(f, x + "w3.weight", {F, C});
      add(f, x + "w2.weight", {C, F});
    }
  }
  add(f, "model.norm.weight", {C}, 1);
  return f;
}

// Layer 0 dense (mlp_only_layers), layer 1 sparse ((1 + 1) % decoder_sparse_step 2 == 0), layer 2 dense.
Folder qwen3_moe() {
  Folder f;
  f.config = {{"model_type", "qwen3_moe"}, {"hidden_size", C}, {"num_attention_heads", H}, {"num_key_value_heads", 1},
              {"head_dim", D}, {"num_hidden_layers", LAYERS}, {"intermediate_size", F}, {"vocab_size", V},
              {"max_position_embeddings", 32}, {"num_experts", E}, {"num_experts_per_tok", 2},
              {"moe_intermediate_size", FE}, {"decoder_sparse_step", 2}, {"mlp_only_layers", {0}},
              {"norm_topk_prob", true}};  // rms_norm_eps: 1e-6
  for (int l = 0; l < LAYERS; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    attention(f, p, true);
    if (l == 1) {
      add(f, p + "mlp.gate.weight", {E, C});
      for (int e = 0; e < E; ++e) {
        const std::string x = p + "mlp.experts." + std::to_string(e) + ".";
        add(f, x + "gate_proj.weight", {FE, C});
        add(f, x + "up_proj.weight", {FE, C});
        add(f, x + "down_proj.weight", {C, FE});
      }
    } else {
      add(f, p + "mlp.gate_proj.weight", {F, C});
      add(f, p + "mlp.up_proj.weight", {F, C});
      add(f, p + "mlp.down_proj.weight", {C, F});
    }
  }
  add(f, "model.norm.weight", {C}, 1);
  return f;
}

std::vector<float> last_logits(Folder f, const std::string& tag) {
  f.tensors["model.embed_tokens.weight"] = {{V, C}, tiny_values(V * C, 1)};
  f.tensors["lm_head.weight"] = {{V, C}, tiny_values(V * C, 2)};
  TinyDecoderFolder folder(tag);
  folder.write(f.config, f.tensors);
  const auto model = load_causal_lm(folder.dir(), read_model_config(folder.dir()));
  auto state = model->new_state();
  const std::vector<int32_t> ids = {3, 7, 5};
  DecodeChunk ch{state.get(), ids, {2}};
  return model->forward(std::span(&ch, 1));
}

void expect_head_of_embedding(const Folder& f, const std::string& tag, double eps) {
  const auto got = last_logits(f, tag);
  const auto embed = tiny_values(V * C, 1), head = tiny_values(V * C, 2);
  double sq = 0;
  for (int64_t c = 0; c < C; ++c) sq += double(embed[5 * C + c]) * embed[5 * C + c] / C;
  ASSERT_EQ(got.size(), static_cast<size_t>(V));
  for (int64_t t = 0; t < V; ++t) {
    double z = 0;
    for (int64_t c = 0; c < C; ++c) z += double(head[t * C + c]) * embed[5 * C + c] / std::sqrt(sq + eps);
    EXPECT_NEAR(got[t], z, 1e-4) << tag << " logit " << t;
  }
}

std::string refusal(Folder f, const std::string& key, const nlohmann::json& value) {
  f.config[key] = value;
  try {
    last_logits(f, "moe_refuse");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(MoeFamilies, MixtralLoadsItsExperts) { expect_head_of_embedding(mixtral(), "mixtral", 1e-5); }

TEST(MoeFamilies, Qwen3MoeLoadsDenseAndSparseLayersAsConfigured) {
  expect_head_of_embedding(qwen3_moe(), "qwen3_moe", 1e-6);
  // Every layer sparse: layer 0's experts are missing from the folder, and named.
  Folder all_sparse = qwen3_moe();
  all_sparse.config["decoder_sparse_step"] = 1;
  all_sparse.config["mlp_only_layers"] = nlohmann::json::array();
  EXPECT_NE(refusal(all_sparse, "norm_topk_prob", false).find("model.layers.0.mlp.gate.weight"), std::string::npos);
}

TEST(MoeFamilies, RefusesSettingsThatCannotRoute) {
  EXPECT_NE(refusal(mixtral(), "num_experts_per_tok", 4).find("num_experts_per_tok 4"), std::string::npos);
  EXPECT_NE(refusal(mixtral(), "num_local_experts", 0).find("num_local_experts"), std::string::npos);
  EXPECT_NE(refusal(qwen3_moe(), "decoder_sparse_step", 0).find("decoder_sparse_step"), std::string::npos);
  EXPECT_NE(refusal(qwen3_moe(), "mlp_only_layers", "0").find("mlp_only_layers"), std::string::npos);
}

}  // namespace
}  // namespace tokprob
