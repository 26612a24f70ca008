// OPT loads its checkpoint's tensor names; with zero layer weights its logits are the head applied
// to the stream the embeddings make: word embedding (projected in when word_embed_proj_dim differs),
// plus the position row two past the position, through the norms the layout puts there (the final
// one when do_layer_norm_before, the two after each block otherwise), projected out to the head.
// All of it is computed here independently, in double.
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

constexpr int64_t C = 8, V = 11, F = 12, POS = 16;

struct Opt {
  nlohmann::json config;
  std::map<std::string, TinyTensor> tensors;
  int64_t P = C;
};

Opt opt(int64_t P, bool pre_norm, bool tied) {
  Opt o;
  o.P = P;
  o.config = {{"model_type", "opt"}, {"hidden_size", C}, {"num_attention_heads", 2}, {"num_hidden_layers", 1},
              {"ffn_dim", F}, {"vocab_size", V}, {"max_position_embeddings", POS}, {"word_embed_proj_dim", P},
              {"do_layer_norm_before", pre_norm}, {"tie_word_embeddings", tied}};
  const std::string p = "model.decoder.layers.0.";
  auto add = [&](const std::string& name, std::vector<int64_t> shape, std::vector<float> values = {}) {
    o.tensors[name] = {shape, values};
  };
  for (auto [n, out, in] : {std::tuple{"self_attn.q_proj", C, C}, {"self_attn.k_proj", C, C},
                            {"self_attn.v_proj", C, C}, {"self_attn.out_proj", C, C}, {"fc1", F, C}, {"fc2", C, F}}) {
    add(p + n + ".weight", {out, in});
    add(p + n + ".bias", {out});
  }
  for (const std::string& n : {p + "self_attn_layer_norm", p + "final_layer_norm",
                               std::string("model.decoder.final_layer_norm")}) {
    add(n + ".weight", {C}, std::vector<float>(C, 1.0f));
    add(n + ".bias", {C});
  }
  add("model.decoder.embed_tokens.weight", {V, P}, tiny_values(V * P, 1));
  add("model.decoder.embed_positions.weight", {POS + 2, C}, tiny_values((POS + 2) * C, 2));
  if (!tied) add("lm_head.weight", {V, P}, tiny_values(V * P, 3));
  if (P != C) {
    add("model.decoder.project_in.weight", {C, P}, tiny_values(C * P, 4));
    add("model.decoder.project_out.weight", {P, C}, tiny_values(P * C, 5));
  }
  return o;
}

std::vector<double> layer_norm(std::vector<double> x) {
  double mean = 0, var = 0;
  for (double v : x) mean += v / static_cast<double>(x.size());
  for (double v : x) var += (v - mean) * (v - mean) / static_cast<double>(x.size());
  for (double& v : x) v = (v - mean) / std::sqrt(var + 1e-5);
  return x;
}

// out = M x for M [rows, cols] row-major
std::vector<double> times(const std::vector<float>& m, const std::vector<double>& x, int64_t rows) {
  const int64_t cols = static_cast<int64_t>(x.size());
  std::vector<double> out(rows);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r] += m[r * cols + c] * x[c];
  return out;
}

void expect_logits(const Opt& o, bool pre_norm, bool tied, const std::string& tag) {
  TinyDecoderFolder folder(tag);
  folder.write(o.config, o.tensors);
  const std::vector<int32_t> ids = {3, 7, 5};
  const auto model = load_causal_lm(folder.dir(), read_model_config(folder.dir()));
  auto state = model->new_state();
  DecodeChunk ch{state.get(), ids, {2}};
  const auto got = model->forward(std::span(&ch, 1));

  const auto& embed = o.tensors.at("model.decoder.embed_tokens.weight").values;
  std::vector<double> word(embed.begin() + 5 * o.P, embed.begin() + 6 * o.P);
  std::vector<double> x = o.P == C ? word : times(o.tensors.at("model.decoder.project_in.weight").values, word, C);
  const auto& positions = o.tensors.at("model.decoder.embed_positions.weight").values;
  for (int64_t c = 0; c < C; ++c) x[c] += positions[(2 + 2) * C + c];  // position 2, two rows on
  x = pre_norm ? layer_norm(x) : layer_norm(layer_norm(x));
  if (o.P != C) x = times(o.tensors.at("model.decoder.project_out.weight").values, x, o.P);
  const auto want = times(o.tensors.at(tied ? "model.decoder.embed_tokens.weight" : "lm_head.weight").values, x, V);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << tag << " logit " << i;
}

TEST(Opt, PreNormTiedHead) { expect_logits(opt(C, true, true), true, true, "opt_pre"); }
TEST(Opt, PostNormHasNoFinalNorm) { expect_logits(opt(C, false, false), false, false, "opt_post"); }
TEST(Opt, ProjectsNarrowerWordEmbeddingsInAndOut) {
  expect_logits(opt(6, false, true), false, true, "opt_proj_narrow");
  expect_logits(opt(10, true, false), true, false, "opt_proj_wide");
}

TEST(Opt, ReadsCheckpointsWithoutTheModelPrefix) {
  // Checkpoints saved from OPTModel name the decoder's tensors "decoder.*".
  const Opt o = opt(6, true, true);
  Opt bare = o;
  bare.tensors.clear();
  for (const auto& [name, t] : o.tensors)
    bare.tensors[name.starts_with("model.") ? name.substr(6) : name] = t;
  TinyDecoderFolder a("opt_prefixed"), b("opt_bare");
  a.write(o.config, o.tensors);
  b.write(bare.config, bare.tensors);
  auto logits = [](const std::filesystem::path& dir) {
    const auto model = load_causal_lm(dir, read_model_config(dir));
    auto state = model->new_state();
    const std::vector<int32_t> ids = {3, 7, 5};
    DecodeChunk ch{state.get(), ids, {2}};
    return model->forward(std::span(&ch, 1));
  };
  EXPECT_EQ(logits(a.dir()), logits(b.dir()));
}

TEST(Opt, LayerNormsWithoutParameters) {
  Opt o = opt(C, true, true);
  o.config["layer_norm_elementwise_affine"] = false;
  for (auto it = o.tensors.begin(); it != o.tensors.end();)
    it = it->first.find("layer_norm") != std::string::npos ? o.tensors.erase(it) : std::next(it);
  expect_logits(o, true, true, "opt_no_affine");
}

TEST(Opt, RemovedFinalNormIsNotApplied) {
  // With do_layer_norm_before and _remove_final_layer_norm, nothing normalises the stream: a final
  // norm that would change the logits (weights 3) must not be read.
  Opt o = opt(C, true, true);
  o.config["_remove_final_layer_norm"] = true;
  o.tensors["model.decoder.final_layer_norm.weight"].values.assign(C, 3.0f);
  TinyDecoderFolder folder("opt_removed");
  folder.write(o.config, o.tensors);
  const auto model = load_causal_lm(folder.dir(), read_model_config(folder.dir()));
  auto state = model->new_state();
  const std::vector<int32_t> ids = {4};
  DecodeChunk ch{state.get(), ids, {0}};
  const auto got = model->forward(std::span(&ch, 1));
  const auto& embed = o.tensors.at("model.decoder.embed_tokens.weight").values;
  const auto& positions = o.tensors.at("model.decoder.embed_positions.weight").values;
  std::vector<double> x(C);
  for (int64_t c = 0; c < C; ++c) x[c] = double(embed[4 * C + c]) + positions[2 * C + c];
  const auto want = times(embed, x, V);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << "logit " << i;
}

TEST(Opt, RefusesASequencePastItsPositions) {
  const Opt o = opt(C, true, true);
  TinyDecoderFolder folder("opt_long");
  folder.write(o.config, o.tensors);
  const auto model = load_causal_lm(folder.dir(), read_model_config(folder.dir()));
  auto state = model->new_state();
  const std::vector<int32_t> ids(POS + 1, 1);
  DecodeChunk ch{state.get(), ids, {0}};
  try {
    model->forward(std::span(&ch, 1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_position_embeddings"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tokprob
