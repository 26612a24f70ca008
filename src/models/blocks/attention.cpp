#include "models/blocks/attention.hpp"

#include <algorithm>
#include <vector>

#include "kernels/norms.hpp"

namespace tokprob {

void self_attention_block(int64_t layer, const DecoderRows& rows, const SelfAttentionWeights& w,
                          const SelfAttentionOptions& opt, const float* h, float* x) {
  const AttentionShape& s = opt.shape;
  const int64_t T = rows.count(), D = s.head_dim, QD = s.n_heads * D, KD = s.n_kv_heads * D;
  // q, k, v rows inside one buffer: [T, QD + 2 KD] fused, or [T, QD] | [T, KD] | [T, KD] apart.
  std::vector<float> qkv(T * (QD + 2 * KD)), att(T * QD);
  float *q = qkv.data(), *k, *v;
  int64_t q_stride, kv_stride;
  if (w.fused) {
    linear(h, T, w.qkv, q);
    if (w.fused_per_head) {  // regrouped into [q | k | v] rows (it implies n_heads == n_kv_heads)
      std::vector<float> row(QD + 2 * KD);
      for (int64_t r = 0; r < T; ++r) {
        float* src = q + r * (QD + 2 * KD);
        for (int64_t hd = 0; hd < s.n_heads; ++hd)
          for (int64_t part = 0; part < 3; ++part)
            std::copy_n(src + (hd * 3 + part) * D, D, row.data() + part * QD + hd * D);
        std::copy(row.begin(), row.end(), src);
      }
    }
    k = q + QD;
    v = q + QD + KD;
    q_stride = kv_stride = QD + 2 * KD;
  } else {
    k = q + T * QD;
    v = k + T * KD;
    q_stride = QD;
    kv_stride = KD;
    linear(h, T, w.q, q);
    linear(h, T, w.k, k);
    linear(h, T, w.v, v);
  }
  for (int64_t r = 0; r < T; ++r) {
    float *qr = q + r * q_stride, *kr = k + r * kv_stride;
    const int64_t q_rows = w.qk_norm_whole ? 1 : s.n_heads, k_rows = w.qk_norm_whole ? 1 : s.n_kv_heads;
    if (w.q_norm) rms_norm(qr, q_rows, QD / q_rows, w.q_norm, w.qk_norm_eps, qr);
    if (w.k_norm) rms_norm(kr, k_rows, KD / k_rows, w.k_norm, w.qk_norm_eps, kr);
    if (opt.rope >= 0) {
      const Rope& rope = *rows.ropes()[opt.rope];
      const float *c = rows.rope_cos(opt.rope, r), *sn = rows.rope_sin(opt.rope, r);
      rope.rotate(qr, s.n_heads, c, sn);
      rope.rotate(kr, s.n_kv_heads, c, sn);
    }
  }
  rows.self_attention(layer, q, q_stride, k, v, kv_stride, s, att.data(), QD);
  linear(att.data(), T, w.o, x, /*accumulate=*/true);
}

}  // namespace tokprob
