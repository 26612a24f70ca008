// The self-attention block of a decoder layer: projections (fused or separate, with or without
// biases), optional per-head q/k norms, RoPE, the cache append and the attention itself (causal,
// GQA/MQA, an optional sliding window and score soft-capping), and the output projection added to
// the residual stream.
#pragma once

#include <cstdint>

#include "kernels/attention.hpp"
#include "kernels/linear.hpp"
#include "models/decoder.hpp"

namespace tokprob {

struct SelfAttentionWeights {
  // Either one fused projection to [q | k | v] (GPT-2's c_attn) or three separate ones.
  bool fused = false;
  // The fused projection's rows per head instead, [q_h | k_h | v_h] for each head h (GPT-NeoX).
  bool fused_per_head = false;
  LinearWeights qkv;
  LinearWeights q, k, v;
  LinearWeights o;
  // Per-head RMSNorm weights [head_dim] applied to q and k before RoPE (Qwen3, OLMo2 style); null: none.
  const float *q_norm = nullptr, *k_norm = nullptr;
  bool qk_norm_whole = false;  // the norms span all heads of q (k) at once, weights [heads*head_dim] (OLMo 2)
  float qk_norm_eps = 1e-6f;
};

struct SelfAttentionOptions {
  AttentionShape shape;  // heads, kv heads, head_dim, scale, window, soft-cap
  int rope = -1;         // index into DecoderSpec::ropes; -1: no rotary embedding
};

// h: [T, C] (the normed residual stream) -> x: [T, C] += o(attention(h)), for layer `layer`.
void self_attention_block(int64_t layer, const DecoderRows& rows, const SelfAttentionWeights& w,
                          const SelfAttentionOptions& opt, const float* h, float* x);

}  // namespace tokprob
