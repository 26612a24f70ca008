#include "kernels/rope.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// base^(-2i/dim), i < dim/2, in float32 as the reference computes it.
std::vector<float> default_inv_freq(double base, int64_t dim) {
  // Dynamic scaling may grow the base past float's range: it saturates as a float32 tensor would.
  const float b = base > std::numeric_limits<float>::max() ? std::numeric_limits<float>::infinity()
                                                            : static_cast<float>(base);
  std::vector<float> f;
  for (int64_t i = 0; i < dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    f.push_back(1.0f / static_cast<float>(std::pow(b, exponent)));
  }
  return f;
}

// yarn's 0.1 * mscale * ln(scale) + 1 for scale > 1.
double yarn_mscale(double scale, double mscale) { return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

std::vector<float> yarn_inv_freq(const RopeParams& p) {
  const int64_t dim = p.rotary_dim;
  const double base = p.theta;
  // The dimension whose wavelength makes `rotations` turns over the original context.
  auto correction_dim = [&](double rotations) {
    return static_cast<double>(dim) *
           std::log(static_cast<double>(p.original_max_positions) / (rotations * 2.0 * std::numbers::pi)) /
           (2.0 * std::log(base));
  };
  double low = correction_dim(p.beta_fast), high = correction_dim(p.beta_slow);
  if (p.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // no division by zero in the ramp
  std::vector<float> f;
  const auto lo = static_cast<float>(low), span = static_cast<float>(high - low);
  const auto factor = static_cast<float>(p.factor);
  for (int64_t i = 0; i < dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    const float pos_freq = std::pow(static_cast<float>(base), exponent);
    const float extrapolation = 1.0f / pos_freq, interpolation = 1.0f / (factor * pos_freq);
    const float ramp = std::clamp((static_cast<float>(i) - lo) / span, 0.0f, 1.0f);
    const float extrapolation_weight = 1.0f - ramp;
    f.push_back(interpolation * (1.0f - extrapolation_weight) + extrapolation * extrapolation_weight);
  }
  return f;
}

std::vector<float> llama3_inv_freq(const RopeParams& p) {
  std::vector<float> f = default_inv_freq(p.theta, p.rotary_dim);
  const auto old_context = static_cast<float>(p.original_max_positions);
  const auto factor = static_cast<float>(p.factor), low = static_cast<float>(p.low_freq_factor),
             high = static_cast<float>(p.high_freq_factor);
  const float low_freq_wavelen = old_context / low, high_freq_wavelen = old_context / high;
  for (float& inv : f) {
    const float wavelen = (1.0f / inv) * static_cast<float>(2.0 * std::numbers::pi);
    if (wavelen > low_freq_wavelen) {
      inv = inv / factor;  // long wavelengths: interpolated
    } else if (!(wavelen < high_freq_wavelen)) {
      const float smooth = (old_context / wavelen - low) / (high - low);
      inv = (1.0f - smooth) * inv / factor + smooth * inv;
    }
  }
  return f;
}

std::vector<float> longrope_inv_freq(const RopeParams& p, const std::vector<double>& ext) {
  std::vector<float> f;
  for (int64_t i = 0; i < p.rotary_dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(p.rotary_dim);
    f.push_back(1.0f / (static_cast<float>(ext[i]) * std::pow(static_cast<float>(p.theta), exponent)));
  }
  return f;
}

}  // namespace

Rope::Rope(RopeParams params) : p_(std::move(params)) {
  if (p_.rotary_dim <= 0 || p_.rotary_dim % 2 != 0 || p_.rotary_dim > p_.head_dim)
    fail("rotary dimension " + std::to_string(p_.rotary_dim) + " must be even, positive and at most head_dim " +
         std::to_string(p_.head_dim));
  // Every value is used in float32 as the reference does; one past float's range could not be.
  const double kMax = std::numeric_limits<float>::max();
  auto in_range = [&](double v) { return std::isfinite(v) && std::fabs(v) <= kMax; };
  if (!(p_.factor > 0) || !in_range(p_.factor)) fail("rope scaling factor must be positive and within float range");
  if (!(p_.theta > 0) || !in_range(p_.theta)) fail("rope_theta must be positive and within float range");
  for (double v : {p_.low_freq_factor, p_.high_freq_factor, p_.beta_fast, p_.beta_slow, p_.mscale, p_.mscale_all_dim,
                   p_.attention_factor})
    if (!in_range(v)) fail("rope scaling parameter " + std::to_string(v) + " is outside float range");
  for (const auto* list : {&p_.short_factor, &p_.long_factor})
    for (double v : *list)
      if (!in_range(v)) fail("longrope factor " + std::to_string(v) + " is outside float range");
  switch (p_.scaling) {
    case RopeScaling::none:
    case RopeScaling::linear:
    case RopeScaling::dynamic:
      inv_freq_ = default_inv_freq(p_.theta, p_.rotary_dim);
      if (p_.scaling == RopeScaling::linear) {
        const auto factor = static_cast<float>(p_.factor);
        for (float& f : inv_freq_) f /= factor;
      }
      break;
    case RopeScaling::yarn: {
      inv_freq_ = yarn_inv_freq(p_);
      double a = p_.attention_factor;
      if (a == 0.0)
        a = p_.mscale != 0.0 && p_.mscale_all_dim != 0.0
                ? yarn_mscale(p_.factor, p_.mscale) / yarn_mscale(p_.factor, p_.mscale_all_dim)
                : yarn_mscale(p_.factor, 1.0);
      attention_scaling_ = static_cast<float>(a);
      break;
    }
    case RopeScaling::llama3:
      if (!(p_.high_freq_factor > p_.low_freq_factor))
        fail("llama3 rope scaling needs high_freq_factor > low_freq_factor");
      inv_freq_ = llama3_inv_freq(p_);
      break;
    case RopeScaling::longrope: {
      const auto n = static_cast<size_t>(pairs());
      if (p_.short_factor.size() != n || p_.long_factor.size() != n)
        fail("longrope short_factor and long_factor need " + std::to_string(n) + " values each (rotary_dim / 2)");
      inv_freq_ = longrope_inv_freq(p_, p_.short_factor);
      double a = p_.attention_factor;
      if (a == 0.0)
        a = p_.factor <= 1.0 ? 1.0
                             : std::sqrt(1.0 + std::log(p_.factor) /
                                                   std::log(static_cast<double>(p_.original_max_positions)));
      attention_scaling_ = static_cast<float>(a);
      break;
    }
  }
}

std::vector<float> Rope::inv_freq(int64_t sequence_end) const {
  if (p_.scaling == RopeScaling::dynamic && sequence_end > p_.max_positions) {
    // NTK-aware: a larger base for a sequence past the trained length.
    const double dim = static_cast<double>(p_.rotary_dim);
    const double base =
        p_.theta * std::pow(p_.factor * static_cast<double>(sequence_end) / static_cast<double>(p_.max_positions) -
                                (p_.factor - 1.0),
                            dim / (dim - 2.0));
    return default_inv_freq(base, p_.rotary_dim);
  }
  if (p_.scaling == RopeScaling::longrope && sequence_end > p_.original_max_positions)
    return longrope_inv_freq(p_, p_.long_factor);
  return inv_freq_;
}

void Rope::angles(int64_t position, const std::vector<float>& inv_freq, float* cos, float* sin) const {
  const auto pos = static_cast<float>(position);
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    const float angle = pos * inv_freq[i];
    cos[i] = std::cos(angle);
    sin[i] = std::sin(angle);
    if (attention_scaling_ != 1.0f) {
      cos[i] *= attention_scaling_;
      sin[i] *= attention_scaling_;
    }
  }
}

void Rope::rotate(float* x, int64_t heads, const float* c, const float* s) const {
  const int64_t half = pairs();
  for (int64_t hd = 0; hd < heads; ++hd) {
    float* xh = x + hd * p_.head_dim;
    if (p_.layout == RopeLayout::half_split) {
      for (int64_t j = 0; j < half; ++j) {
        const float a = xh[j], b = xh[j + half];
        xh[j] = a * c[j] - b * s[j];
        xh[j + half] = b * c[j] + a * s[j];
      }
    } else {
      for (int64_t j = 0; j < half; ++j) {
        const float a = xh[2 * j], b = xh[2 * j + 1];
        xh[2 * j] = a * c[j] - b * s[j];
        xh[2 * j + 1] = b * c[j] + a * s[j];
      }
    }
  }
}

}  // namespace tokprob
