// Scaled dot-product attention of one sequence over its key/value rows.
#pragma once

#include <cstdint>

namespace tokprob {

struct AttentionShape {
  int64_t n_heads = 0;     // query heads
  int64_t n_kv_heads = 0;  // key/value heads (n_heads / n_kv_heads queries share one: GQA / MQA)
  int64_t head_dim = 0;
  float scale = 1.0f;      // multiplies q·k
  bool causal = true;
  // > 0: query at position p sees only keys at p - window + 1 .. p (the reference's sliding window,
  // the query's own key included), however long the cache; not causal, keys at p - window + 1 ..
  // p + window - 1 (ModernBERT's local attention, |p - j| <= local_attention / 2, is window
  // local_attention / 2 + 1).
  int64_t window = 0;
  // > 0: scores become tanh(score / softcap) * softcap before the softmax (Gemma 2).
  float softcap = 0.0f;
};

// q:   [n_new, n_heads*head_dim], row stride q_stride
// k,v: [n_ctx, n_kv_heads*head_dim], row stride kv_stride
// out: [n_new, n_heads*head_dim], row stride out_stride
// Query row i sits at absolute position first_pos + i; causal attention lets it see keys
// 0..first_pos+i (the last `window` of them with a window), otherwise all n_ctx keys. `bias`, when given, is added to the scores:
// [n_heads, n_new, n_ctx] (T5's relative position bias).
void attention(const float* q, int64_t q_stride, const float* k, const float* v, int64_t kv_stride, int64_t n_ctx,
               int64_t n_new, int64_t first_pos, const AttentionShape& shape, float* out, int64_t out_stride,
               const float* bias = nullptr);

}  // namespace tokprob
