// The encoder that BERT, DistilBERT and RoBERTa share: summed word/position/type embeddings with a
// LayerNorm, post-LayerNorm blocks (x = LN(x + attn(x)); x = LN(x + ffn(x))), and the two heads.
// Architecture files read their config, name their tensors and fill a PostLnEncoderSpec; the
// computation lives here once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "kernels/activations.hpp"
#include "kernels/linear.hpp"
#include "kernels/linear_packer.hpp"
#include "models/encoder_model.hpp"

namespace tokprob {

struct PostLnLayer {
  LinearWeights query, key, value, attn_out;
  const float *attn_norm_g = nullptr, *attn_norm_b = nullptr;
  LinearWeights ffn_in, ffn_out;
  const float *ffn_norm_g = nullptr, *ffn_norm_b = nullptr;
};

// transform (C -> E, E = C but for DeBERTa's embedding_size) -> act -> LayerNorm -> decoder (tied to the word embeddings in every known
// checkpoint, with its own bias).
struct MlmHeadWeights {
  LinearWeights transform;
  Activation act = Activation::gelu_erf;
  const float *norm_g = nullptr, *norm_b = nullptr;
  float eps = 1e-12f;
  LinearWeights decoder;
};

// On the first token's hidden state: dense -> act -> out. BERT's pooler is tanh, DistilBERT's
// pre_classifier ReLU, RoBERTa's classification head tanh.
struct ClassifierHeadWeights {
  LinearWeights dense;
  Activation act = Activation::tanh;
  LinearWeights out;
};

// Scores added to one layer's attention of one sequence of n tokens: q, k the sequence's first
// query and key rows [n, C] (row stride `stride`, head h at columns h*head_dim) -> bias [heads, n, n].
using AttentionBias = std::function<void(int64_t layer, const float* q, const float* k, int64_t stride, int64_t n,
                                         float* bias)>;

struct PostLnEncoderSpec {
  EncoderInfo info;
  int64_t hidden = 0, heads = 0, inner = 0;
  float eps = 1e-12f;
  Activation act = Activation::gelu_erf;
  // DeBERTa's departures from BERT: 0 scales q·k by 1/sqrt(head_dim); a bias function adds its
  // relative-position scores; embeddings of embedding_size (0: hidden) go through embed_proj.
  float attention_scale = 0.0f;
  AttentionBias attention_bias;
  int64_t embedding_size = 0;
  LinearWeights embed_proj;
  // -1: token i takes row i of the position table. Otherwise RoBERTa's numbering around its
  // padding id: a padding token takes row padding_idx, the others padding_idx + 1, + 2, ... in order.
  int32_t position_padding_idx = -1;
  // position_embeddings null: the model has none (DeBERTa's position_biased_input false).
  const float *word_embeddings = nullptr, *position_embeddings = nullptr;
  std::string word_embeddings_name;  // its tensor, which a tied masked-LM decoder packs
  const float* type_embeddings = nullptr;  // [info.type_vocab_size, hidden]; null when the model has none
  const float *embed_norm_g = nullptr, *embed_norm_b = nullptr;
  std::vector<PostLnLayer> layers;
  std::optional<MlmHeadWeights> mlm;               // set for EncoderHead::masked_lm
  std::optional<ClassifierHeadWeights> classifier;  // set for EncoderHead::sequence_classification
};

// `weights` and `packer` own the memory the spec's pointers refer to and are kept alive by the model.
std::unique_ptr<EncoderModel> make_post_ln_encoder(PostLnEncoderSpec spec, Weights weights, LinearPacker packer);

// Reads nn.Linear and LayerNorm parameters by module name, checking shapes; matrices go through
// `packer` into the weight format chosen at load.
struct EncoderTensors {
  const Weights& weights;
  LinearPacker& packer;
  const float* w(const std::string& name, const std::vector<int64_t>& shape) const {
    return weights.f32(name, shape);
  }
  // name.weight [out, in] and name.bias [out]
  LinearWeights linear(const std::string& name, int64_t in, int64_t out) const;
  // name.weight and name.bias [dim]; checkpoints converted from TensorFlow say gamma and beta.
  std::pair<const float*, const float*> norm(const std::string& name, int64_t dim) const;
};

// A masked-LM head by its module names: `transform` (dense, C -> C) -> act -> `norm` (LayerNorm
// with `eps`) -> the decoder, tied to the word embeddings unless config.json's
// tie_word_embeddings is false (then `decoder_weight`), with bias tensor `bias`. Throws naming the
// checkpoint when it has no such head.
struct MlmHeadNames {
  std::string transform, norm, decoder_weight, bias;
};
MlmHeadWeights read_mlm_head(const Config& config, const EncoderTensors& r, const PostLnEncoderSpec& s,
                             const MlmHeadNames& names, Activation act, float eps);

// A classification head, `dense` (C -> C) -> act -> `out` (C -> labels), with the labels and
// problem_type of config.json written into `info`. Throws naming the checkpoint when it has no such head.
ClassifierHeadWeights read_classifier_head(const Config& config, const EncoderTensors& r, int64_t hidden,
                                           const std::string& dense, Activation act, const std::string& out,
                                           EncoderInfo& info);

// Label names by id from config.json: id2label (keys "0".."n-1"), else num_labels (default 2)
// names LABEL_0..; throws naming config.json for a gap or a key that is not an id.
std::vector<std::string> read_labels(const Config& config);

// Throws a one-line error naming the checkpoint, the head and the first missing tensor, so that
// asking a masked LM to classify (or the reverse) says so instead of failing on a tensor name.
void require_head_tensors(const Weights& weights, const Config& config, const std::string& head,
                          const std::vector<std::string>& names);

}  // namespace tokprob
