// Rotary position embeddings (RoPE): the inverse frequencies of every rope_scaling type of the
// reference, the angles of a position, and the rotation of query/key heads in either layout.
#pragma once

#include <cstdint>
#include <vector>

namespace tokprob {

enum class RopeLayout {
  half_split,   // pairs (j, j + rotary_dim/2): Llama's "rotate half"
  interleaved,  // pairs (2j, 2j + 1): GPT-J's "rotate every two"
};

enum class RopeScaling { none, linear, dynamic, yarn, llama3, longrope };

// Everything the frequencies depend on, as modeling_rope_utils.py of transformers reads it.
struct RopeParams {
  int64_t head_dim = 0;
  int64_t rotary_dim = 0;  // even, <= head_dim: the first rotary_dim dims of each head rotate
  double theta = 10000.0;
  RopeLayout layout = RopeLayout::half_split;
  RopeScaling scaling = RopeScaling::none;
  double factor = 1.0;
  int64_t max_positions = 0;           // config max_position_embeddings
  int64_t original_max_positions = 0;  // llama3, yarn, longrope; dynamic uses max_positions
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  // yarn
  double beta_fast = 32.0, beta_slow = 1.0;
  bool truncate = true;
  double mscale = 0.0, mscale_all_dim = 0.0;  // 0: not given
  double attention_factor = 0.0;              // yarn, longrope; 0: derived from the factor
  std::vector<double> short_factor, long_factor;  // longrope, rotary_dim/2 each
};

class Rope {
 public:
  // Throws tokprob::Error for parameters the formulas cannot take (odd rotary_dim, lists of the
  // wrong length, a non-positive factor).
  explicit Rope(RopeParams params);

  const RopeParams& params() const { return p_; }
  int64_t pairs() const { return p_.rotary_dim / 2; }
  // Multiplies cos and sin (yarn's mscale, longrope's attention factor); 1 otherwise.
  float attention_scaling() const { return attention_scaling_; }

  // The inverse frequencies [pairs()] in force when a forward pass ends its sequence at
  // `sequence_end` tokens: only dynamic and longrope depend on it.
  std::vector<float> inv_freq(int64_t sequence_end) const;

  // cos, sin: [pairs()] of `position` under inv_freq.
  void angles(int64_t position, const std::vector<float>& inv_freq, float* cos, float* sin) const;

  // x: [heads, head_dim] of one row, its first rotary_dim dims of each head rotated in place.
  void rotate(float* x, int64_t heads, const float* cos, const float* sin) const;

 private:
  RopeParams p_;
  std::vector<float> inv_freq_;  // for every sequence length where they do not vary
  float attention_scaling_ = 1.0f;
};

}  // namespace tokprob
