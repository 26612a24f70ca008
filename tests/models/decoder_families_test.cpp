// The decoder families built from the shared blocks (Qwen3, GPT-NeoX, Gemma 1-3, Phi-3, OLMo 2, GPTBigCode): each loads a folder
// with its checkpoint's tensor names, and with zero layer weights its logits are the head applied
// to the final norm of the embedding, computed here independently; config settings the engine does
// not compute are refused naming the key.
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

constexpr int64_t C = 8, V = 11, F = 12, H = 2, D = 4;

struct Family {
  nlohmann::json config;
  std::map<std::string, TinyTensor> tensors;
  std::string embed, head;  // tensor names; head may equal embed (tied)
};

void add(std::map<std::string, TinyTensor>& t, const std::string& name, std::vector<int64_t> shape, float fill = 0) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  t[name] = {shape, fill == 0 ? std::vector<float>{} : std::vector<float>(n, fill)};
}

Family qwen3() {
  Family f;
  f.config = {{"model_type", "qwen3"}, {"hidden_size", C}, {"num_attention_heads", H}, {"num_key_value_heads", 1},
              {"head_dim", D}, {"num_hidden_layers", 1}, {"intermediate_size", F}, {"vocab_size", V},
              {"max_position_embeddings", 32}, {"rms_norm_eps", 1e-6}, {"tie_word_embeddings", false}};
  const std::string p = "model.layers.0.";
  for (auto [n, out, in] : {std::tuple{"self_attn.q_proj", H * D, C}, {"self_attn.k_proj", D, C},
                            {"self_attn.v_proj", D, C}, {"self_attn.o_proj", C, H * D}, {"mlp.gate_proj", F, C},
                            {"mlp.up_proj", F, C}, {"mlp.down_proj", C, F}})
    add(f.tensors, p + n + ".weight", {out, in});
  add(f.tensors, p + "self_attn.q_norm.weight", {D}, 1);
  add(f.tensors, p + "self_attn.k_norm.weight", {D}, 1);
  add(f.tensors, p + "input_layernorm.weight", {C}, 1);
  add(f.tensors, p + "post_attention_layernorm.weight", {C}, 1);
  add(f.tensors, "model.norm.weight", {C}, 1);
  f.embed = "model.embed_tokens.weight";
  f.head = "lm_head.weight";
  return f;
}

Family olmo2() {
  Family f;
  f.config = {{"model_type", "olmo2"}, {"hidden_size", C}, {"num_attention_heads", H}, {"num_key_value_heads", 1},
              {"num_hidden_layers", 1}, {"intermediate_size", F}, {"vocab_size", V},
              {"max_position_embeddings", 32}};  // rms_norm_eps: Olmo2Config's 1e-5
  const std::string p = "model.layers.0.";
  for (auto [n, out, in] : {std::tuple{"self_attn.q_proj", H * D, C}, {"self_attn.k_proj", D, C},
                            {"self_attn.v_proj", D, C}, {"self_attn.o_proj", C, H * D}, {"mlp.gate_proj", F, C},
                            {"mlp.up_proj", F, C}, {"mlp.down_proj", C, F}})
    add(f.tensors, p + n + ".weight", {out, in});
  add(f.tensors, p + "self_attn.q_norm.weight", {H * D}, 1);  // over all heads at once
  add(f.tensors, p + "self_attn.k_norm.weight", {D}, 1);
  add(f.tensors, p + "post_attention_layernorm.weight", {C}, 1);
  add(f.tensors, p + "post_feedforward_layernorm.weight", {C}, 1);
  add(f.tensors, "model.norm.weight", {C}, 1);
  f.embed = "model.embed_tokens.weight";
  f.head = "lm_head.weight";
  return f;
}

Family gpt_neox() {
  Family f;
  f.config = {{"model_type", "gpt_neox"}, {"hidden_size", C}, {"num_attention_heads", H}, {"num_hidden_layers", 1},
              {"intermediate_size", F}, {"vocab_size", V}, {"max_position_embeddings", 32},
              {"layer_norm_eps", 1e-5}, {"rotary_pct", 0.5}, {"rotary_emb_base", 10000}};
  const std::string p = "gpt_neox.layers.0.";
  for (auto [n, out, in] : {std::tuple{"attention.query_key_value", 3 * C, C}, {"attention.dense", C, C},
                            {"mlp.dense_h_to_4h", F, C}, {"mlp.dense_4h_to_h", C, F}}) {
    add(f.tensors, p + n + ".weight", {out, in});
    add(f.tensors, p + n + ".bias", {out});
  }
  for (const char* n : {"input_layernorm", "post_attention_layernorm"}) {
    add(f.tensors, p + n + ".weight", {C}, 1);
    add(f.tensors, p + n + ".bias", {C});
  }
  add(f.tensors, "gpt_neox.final_layer_norm.weight", {C}, 1);
  add(f.tensors, "gpt_neox.final_layer_norm.bias", {C});
  f.embed = "gpt_neox.embed_in.weight";
  f.head = "embed_out.weight";  // Pythia's name for the untied head
  return f;
}

Family gemma(const std::string& type) {
  Family f;
  f.config = {{"model_type", type}, {"hidden_size", C}, {"num_attention_heads", H}, {"num_key_value_heads", 1},
              {"head_dim", D}, {"num_hidden_layers", 2}, {"intermediate_size", F}, {"vocab_size", V},
              {"max_position_embeddings", 32}, {"rms_norm_eps", 1e-6}, {"sliding_window", 2}};
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (auto [n, out, in] : {std::tuple{"self_attn.q_proj", H * D, C}, {"self_attn.k_proj", D, C},
                              {"self_attn.v_proj", D, C}, {"self_attn.o_proj", C, H * D}, {"mlp.gate_proj", F, C},
                              {"mlp.up_proj", F, C}, {"mlp.down_proj", C, F}})
      add(f.tensors, p + n + ".weight", {out, in});
    // Gemma's norms scale by (1 + w): zero weights are the identity scale.
    for (const char* n : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                          "post_feedforward_layernorm"})
      if (type != "gemma" || std::string(n).find("feedforward") == std::string::npos)
        add(f.tensors, p + n + ".weight", {C});
    if (type == "gemma3_text") {
      add(f.tensors, p + "self_attn.q_norm.weight", {D});
      add(f.tensors, p + "self_attn.k_norm.weight", {D});
    }
  }
  add(f.tensors, "model.norm.weight", {C});
  f.embed = f.head = "model.embed_tokens.weight";  // tied, the default
  return f;
}

Family phi3() {
  Family f;
  f.config = {{"model_type", "phi3"}, {"hidden_size", C}, {"num_attention_heads", H}, {"num_key_value_heads", 1},
              {"num_hidden_layers", 1}, {"intermediate_size", F}, {"vocab_size", V},
              {"max_position_embeddings", 32}, {"rms_norm_eps", 1e-5}, {"sliding_window", 3}};
  const std::string p = "model.layers.0.";
  for (auto [n, out, in] : {std::tuple{"self_attn.qkv_proj", H * D + 2 * D, C}, {"self_attn.o_proj", C, H * D},
                            {"mlp.gate_up_proj", 2 * F, C}, {"mlp.down_proj", C, F}})
    add(f.tensors, p + n + ".weight", {out, in});
  add(f.tensors, p + "input_layernorm.weight", {C}, 1);
  add(f.tensors, p + "post_attention_layernorm.weight", {C}, 1);
  add(f.tensors, "model.norm.weight", {C}, 1);
  f.embed = "model.embed_tokens.weight";
  f.head = "lm_head.weight";
  return f;
}

Family gpt_bigcode() {
  Family f;
  f.config = {{"model_type", "gpt_bigcode"}, {"n_embd", C}, {"n_head", H}, {"n_layer", 1}, {"n_inner", F},
              {"vocab_size", V}, {"n_positions", 32}, {"layer_norm_epsilon", 1e-5}};  // multi_query by default
  const std::string p = "transformer.h.0.";
  for (auto [n, out, in] : {std::tuple{"attn.c_attn", C + 2 * D, C}, {"attn.c_proj", C, C}, {"mlp.c_fc", F, C},
                            {"mlp.c_proj", C, F}}) {
    add(f.tensors, p + n + ".weight", {out, in});  // nn.Linear, [out, in]
    add(f.tensors, p + n + ".bias", {out});
  }
  for (const std::string& n : {p + "ln_1", p + "ln_2", std::string("transformer.ln_f")}) {
    add(f.tensors, n + ".weight", {C}, 1);
    add(f.tensors, n + ".bias", {C});
  }
  add(f.tensors, "transformer.wpe.weight", {32, C});
  f.embed = f.head = "transformer.wte.weight";
  return f;
}

enum class FinalNorm { rms, layer };

// The last position's logits of `ids` from the folder.
std::vector<float> last_logits(const std::filesystem::path& dir, const std::vector<int32_t>& ids) {
  const auto model = load_causal_lm(dir, read_model_config(dir));
  auto state = model->new_state();
  DecodeChunk ch{state.get(), ids, {static_cast<int64_t>(ids.size()) - 1}};
  return model->forward(std::span(&ch, 1));
}

// head · norm(embed_scale * embed[id]), in double.
std::vector<float> expected(const std::vector<float>& embed, const std::vector<float>& head, int32_t id,
                            FinalNorm norm, double eps, double embed_scale = 1.0, double softcap = 0) {
  std::vector<double> x(C);
  double mean = 0, sq = 0;
  for (int64_t c = 0; c < C; ++c) {
    x[c] = embed[id * C + c] * embed_scale;
    mean += x[c] / C;
  }
  if (norm == FinalNorm::layer)
    for (double& v : x) v -= mean;
  for (double v : x) sq += v * v / C;
  for (double& v : x) v /= std::sqrt(sq + eps);
  std::vector<float> out(V);
  for (int64_t t = 0; t < V; ++t) {
    double z = 0;
    for (int64_t c = 0; c < C; ++c) z += head[t * C + c] * x[c];
    out[t] = static_cast<float>(softcap > 0 ? std::tanh(z / softcap) * softcap : z);
  }
  return out;
}

void expect_logits(Family f, const std::string& tag, FinalNorm norm, double eps, double embed_scale = 1.0,
                   double softcap = 0) {
  TinyDecoderFolder folder(tag);
  const auto embed = tiny_values(V * C, 1), head = tiny_values(V * C, 2);
  f.tensors[f.embed] = {{V, C}, embed};
  if (f.head != f.embed) f.tensors[f.head] = {{V, C}, head};
  folder.write(f.config, f.tensors);
  const auto got = last_logits(folder.dir(), {3, 7, 5});
  const auto want = expected(embed, f.head == f.embed ? embed : head, 5, norm, eps, embed_scale, softcap);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << tag << " logit " << i;
}

std::string refusal(Family f, const std::string& key, const nlohmann::json& value) {
  TinyDecoderFolder folder("refuse");
  f.config[key] = value;
  f.tensors[f.embed] = {{V, C}, {}};
  f.tensors[f.head] = {{V, C}, {}};
  folder.write(f.config, f.tensors);
  try {
    last_logits(folder.dir(), {1});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DecoderFamilies, Qwen3LoadsItsTensors) { expect_logits(qwen3(), "qwen3", FinalNorm::rms, 1e-6); }

TEST(DecoderFamilies, QwenSlidesEveryLayerWithMaxWindowLayersZero) {
  Family f = qwen3();
  f.config["use_sliding_window"] = true;
  f.config["sliding_window"] = 2;
  f.config["max_window_layers"] = 0;
  expect_logits(f, "qwen3_window", FinalNorm::rms, 1e-6);
  EXPECT_NE(refusal(f, "max_window_layers", -1).find("max_window_layers"), std::string::npos);
}

TEST(DecoderFamilies, Olmo2LoadsItsPostNormsAndWholeProjectionNorms) {
  expect_logits(olmo2(), "olmo2", FinalNorm::rms, 1e-5);
}

TEST(DecoderFamilies, GptNeoXLoadsPythiaNames) {
  expect_logits(gpt_neox(), "neox", FinalNorm::layer, 1e-5);
  Family seq = gpt_neox();
  seq.config["use_parallel_residual"] = false;
  expect_logits(seq, "neox_seq", FinalNorm::layer, 1e-5);
  // transformers 5 saves the head as lm_head.weight.
  Family renamed = gpt_neox();
  renamed.head = "lm_head.weight";
  expect_logits(renamed, "neox_lm_head", FinalNorm::layer, 1e-5);
}

TEST(DecoderFamilies, GptNeoXRefusesAnOddRotaryWidth) {
  EXPECT_NE(refusal(gpt_neox(), "rotary_pct", 0.25).find("rotary dimension 1"), std::string::npos);
}

TEST(DecoderFamilies, GemmaScalesEmbeddingsAndTiesItsHead) {
  const double scale = std::sqrt(static_cast<double>(C));
  expect_logits(gemma("gemma"), "gemma", FinalNorm::rms, 1e-6, scale);
  // Gemma 2 caps the final logits at 30 by default (the scale by sqrt(C) survives the RMSNorm only
  // through eps, so it is checked by a tiny eps here and by the differential tests).
  expect_logits(gemma("gemma2"), "gemma2", FinalNorm::rms, 1e-6, scale, 30.0);
  Family capped = gemma("gemma2");
  capped.config["final_logit_softcapping"] = 0.5;
  expect_logits(capped, "gemma2_cap", FinalNorm::rms, 1e-6, scale, 0.5);
  expect_logits(gemma("gemma3_text"), "gemma3", FinalNorm::rms, 1e-6, scale);
  Family untied = gemma("gemma3_text");
  untied.config["tie_word_embeddings"] = false;
  untied.head = "lm_head.weight";
  expect_logits(untied, "gemma3_untied", FinalNorm::rms, 1e-6, scale);
}

TEST(DecoderFamilies, Phi3LoadsItsFusedProjections) {
  expect_logits(phi3(), "phi3", FinalNorm::rms, 1e-5);
  // Phi-3-mini-128k's config names longrope "su", as the reference still reads it.
  Family su = phi3();
  su.config["rope_scaling"] = {{"type", "su"}, {"short_factor", {1.0, 1.0}}, {"long_factor", {2.0, 2.0}}};
  su.config["original_max_position_embeddings"] = 8;
  expect_logits(su, "phi3_su", FinalNorm::rms, 1e-5);
}

TEST(DecoderFamilies, Phi3RefusesOtherRopeTypes) {
  EXPECT_NE(refusal(phi3(), "rope_scaling", {{"rope_type", "linear"}, {"factor", 2.0}}).find("default or longrope"),
            std::string::npos);
}

TEST(DecoderFamilies, GptBigCodeLoadsMultiQueryLinearWeights) {
  expect_logits(gpt_bigcode(), "bigcode", FinalNorm::layer, 1e-5);
  EXPECT_NE(refusal(gpt_bigcode(), "add_cross_attention", true).find("add_cross_attention"), std::string::npos);
}

TEST(DecoderFamilies, GemmaRefusesBidirectionalAttention) {
  EXPECT_NE(refusal(gemma("gemma3_text"), "use_bidirectional_attention", true).find("use_bidirectional_attention"),
            std::string::npos);
}

TEST(DecoderFamilies, Gemma3ReadsLayerTypes) {
  Family f = gemma("gemma3_text");
  f.config["layer_types"] = {"sliding_attention", "bogus"};
  EXPECT_NE(refusal(f, "sliding_window", 2).find("layer_types entry 'bogus'"), std::string::npos);
}

}  // namespace
}  // namespace tokprob
