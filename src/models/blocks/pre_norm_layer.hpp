// A pre-norm decoder layer made of the blocks, in the residual layouts of the families:
//   sequential (GPT-2, Llama):  x += attn(n1(x));            x += ffn(n2(x))
//   parallel (GPT-NeoX):        x += attn(n1(x)) + ffn(n2(x))
//   with post norms (Gemma 2):  x += n1p(attn(n1(x)));       x += n2p(ffn(n2(x)))
// A pre norm left unset (OLMo 2) passes x to its block as it is.
#pragma once

#include <cstdint>

#include "models/blocks/attention.hpp"
#include "models/blocks/feed_forward.hpp"
#include "models/blocks/norm.hpp"
#include "models/blocks/sparse_moe.hpp"
#include "models/decoder.hpp"

namespace tokprob {

struct PreNormLayer {
  Norm attn_norm, ffn_norm;
  Norm attn_post_norm, ffn_post_norm;  // applied to each block's output when set
  bool parallel_residual = false;
  SelfAttentionWeights attn;
  SelfAttentionOptions attn_opt;
  FeedForwardWeights ffn;
  SparseMoeWeights moe;  // set: the feed-forward block is this mixture of experts instead of ffn
};

// x: [T, C] -> [T, C], layer `layer` of the model.
void pre_norm_layer(int64_t layer, const DecoderRows& rows, const PreNormLayer& L, int64_t hidden, float* x);

}  // namespace tokprob
