#include "models/blocks/pre_norm_layer.hpp"

#include <algorithm>
#include <vector>

namespace tokprob {

namespace {

// h <- norm(x), or x itself where a layout has no norm before the block (OLMo 2).
void pre_norm(const Norm& norm, const float* x, int64_t T, int64_t C, float* h) {
  if (norm) {
    norm.apply(x, T, C, h);
  } else {
    std::copy_n(x, T * C, h);
  }
}

// h: [T, C] -> x += the layer's feed-forward block of h, dense or a mixture of experts.
void ffn_block(const PreNormLayer& L, const float* h, int64_t T, int64_t C, float* x) {
  if (L.moe) {
    sparse_moe_block(L.moe, h, T, C, x);
  } else {
    feed_forward_block(L.ffn, h, T, x);
  }
}

}  // namespace

void pre_norm_layer(int64_t layer, const DecoderRows& rows, const PreNormLayer& L, int64_t hidden, float* x) {
  const int64_t T = rows.count(), C = hidden, n = T * C;
  std::vector<float> h(n);
  if (!L.attn_post_norm && !L.ffn_post_norm && !L.parallel_residual) {
    // The blocks add straight into the stream.
    pre_norm(L.attn_norm, x, T, C, h.data());
    self_attention_block(layer, rows, L.attn, L.attn_opt, h.data(), x);
    pre_norm(L.ffn_norm, x, T, C, h.data());
    ffn_block(L, h.data(), T, C, x);
    return;
  }
  // Each block's output apart, for its post norm or for adding both to the same x.
  std::vector<float> attn(n, 0.0f), ffn(n, 0.0f);
  pre_norm(L.attn_norm, x, T, C, h.data());
  self_attention_block(layer, rows, L.attn, L.attn_opt, h.data(), attn.data());
  if (L.attn_post_norm) L.attn_post_norm.apply(attn.data(), T, C, attn.data());
  if (!L.parallel_residual)
    for (int64_t i = 0; i < n; ++i) x[i] += attn[i];
  pre_norm(L.ffn_norm, x, T, C, h.data());
  ffn_block(L, h.data(), T, C, ffn.data());
  if (L.ffn_post_norm) L.ffn_post_norm.apply(ffn.data(), T, C, ffn.data());
  for (int64_t i = 0; i < n; ++i) x[i] += L.parallel_residual ? attn[i] + ffn[i] : ffn[i];
}

}  // namespace tokprob
