#include "models/blocks/pre_norm_layer.hpp"

#include <vector>

namespace tokprob {

void pre_norm_layer(int64_t layer, const DecoderRows& rows, const PreNormLayer& L, int64_t hidden, float* x) {
  const int64_t T = rows.count(), C = hidden, n = T * C;
  std::vector<float> h(n);
  if (!L.attn_post_norm && !L.ffn_post_norm && !L.parallel_residual) {
    // The blocks add straight into the stream.
    L.attn_norm.apply(x, T, C, h.data());
    self_attention_block(layer, rows, L.attn, L.attn_opt, h.data(), x);
    L.ffn_norm.apply(x, T, C, h.data());
    feed_forward_block(L.ffn, h.data(), T, x);
    return;
  }
  // Each block's output apart, for its post norm or for adding both to the same x.
  std::vector<float> attn(n, 0.0f), ffn(n, 0.0f);
  L.attn_norm.apply(x, T, C, h.data());
  self_attention_block(layer, rows, L.attn, L.attn_opt, h.data(), attn.data());
  if (L.attn_post_norm) L.attn_post_norm.apply(attn.data(), T, C, attn.data());
  if (!L.parallel_residual)
    for (int64_t i = 0; i < n; ++i) x[i] += attn[i];
  L.ffn_norm.apply(x, T, C, h.data());
  feed_forward_block(L.ffn, h.data(), T, ffn.data());
  if (L.ffn_post_norm) L.ffn_post_norm.apply(ffn.data(), T, C, ffn.data());
  for (int64_t i = 0; i < n; ++i) x[i] += L.parallel_residual ? attn[i] + ffn[i] : ffn[i];
}

}  // namespace tokprob
