#include "kernels/linear_packer.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/half_float.hpp"
#include "kernels/packed_gemm.hpp"
#include "kernels/thread_pool.hpp"
#include "kernels/vector_math.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// Columns of an [in, out] matrix (GPT-2's Conv1D) converted per task.
constexpr int64_t kColumns = 256;

// Transposes rows [0, n) x columns [0, cols) of a row-major block with row stride `stride` into
// `tile`, column c at tile + c * kInt8Block. 4x4 blocks go through vector shuffles (SSE2 at
// least, so every build has them); a scalar gather was nine times slower than the conversion.
void transpose_band(const float* src, int64_t stride, int64_t n, int64_t cols, float* tile) {
  typedef float v4 __attribute__((vector_size(16)));
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    int64_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      v4 r[4];
      for (int i = 0; i < 4; ++i) std::memcpy(&r[i], src + (k + i) * stride + c, sizeof(v4));
      const v4 t0 = __builtin_shufflevector(r[0], r[1], 0, 4, 1, 5);
      const v4 t1 = __builtin_shufflevector(r[0], r[1], 2, 6, 3, 7);
      const v4 t2 = __builtin_shufflevector(r[2], r[3], 0, 4, 1, 5);
      const v4 t3 = __builtin_shufflevector(r[2], r[3], 2, 6, 3, 7);
      const v4 columns[4] = {__builtin_shufflevector(t0, t2, 0, 1, 4, 5), __builtin_shufflevector(t0, t2, 2, 3, 6, 7),
                             __builtin_shufflevector(t1, t3, 0, 1, 4, 5), __builtin_shufflevector(t1, t3, 2, 3, 6, 7)};
      for (int j = 0; j < 4; ++j) std::memcpy(tile + (c + j) * kInt8Block + k, &columns[j], sizeof(v4));
    }
    for (; c < cols; ++c)
      for (int i = 0; i < 4; ++i) tile[c * kInt8Block + k + i] = src[(k + i) * stride + c];
  }
  for (; k < n; ++k)
    for (int64_t c = 0; c < cols; ++c) tile[c * kInt8Block + k] = src[k * stride + c];
}

// A matrix as stored: `in_out` for [in, out] (GPT-2's Conv1D), else [out, in] rows; F32, F16 or BF16.
struct Source {
  const uint8_t* data;
  DType dtype;
  int64_t in, out;
  bool in_out;
  // fp32 read where it lies (its pointer aligned); anything else is widened a segment at a time.
  bool direct() const { return dtype == DType::f32 && reinterpret_cast<uintptr_t>(data) % alignof(float) == 0; }
};

// Stored values [i, i + n) as fp32 into `dst`; widening F16/BF16 is exact.
void widen(const Source& s, int64_t i, int64_t n, float* dst) {
  const uint8_t* p = s.data + i * static_cast<int64_t>(dtype_size(s.dtype));
  if (s.dtype == DType::f32) {
    std::memcpy(dst, p, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const bool bf = s.dtype == DType::bf16;
  for (int64_t k = 0; k < n; ++k) {
    uint16_t v;
    std::memcpy(&v, p + 2 * k, 2);
    dst[k] = bf ? bf16_to_f32(v) : f16_to_f32(v);
  }
}

// Converts every row in segments of kInt8Block weights with `convert(o, k0, values, n)` (weights
// k0..k0+n of output row o), which returns false for a weight it cannot hold. [out, in] rows are
// read where they are (or widened a segment at a time). An [in, out] matrix is read a band of
// kInt8Block stored rows and kColumns columns at a time and transposed in cache: the band's pages
// stay in the TLB (a tile of output rows that spanned every stored row stalled on page walks).
template <class Convert>
bool convert_segments(const Source& s, Convert convert) {
  std::atomic<bool> ok{true};
  const float* f32 = s.direct() ? reinterpret_cast<const float*>(s.data) : nullptr;
  if (!s.in_out) {
    parallel_for(s.out, 16, [&](int64_t o0, int64_t o1) {
      float segment[kInt8Block];
      for (int64_t o = o0; o < o1 && ok.load(std::memory_order_relaxed); ++o)
        for (int64_t k0 = 0; k0 < s.in; k0 += kInt8Block) {
          const int64_t n = std::min(kInt8Block, s.in - k0);
          const float* v = f32 ? f32 + o * s.in + k0 : segment;
          if (!f32) widen(s, o * s.in + k0, n, segment);
          if (!convert(o, k0, v, n)) ok.store(false, std::memory_order_relaxed);
        }
    });
    return ok.load();
  }
  parallel_for((s.out + kColumns - 1) / kColumns, 1, [&](int64_t c0, int64_t c1) {
    std::vector<float> tile(kColumns * kInt8Block);
    std::vector<float> band(f32 ? 0 : kColumns * kInt8Block);
    for (int64_t c = c0; c < c1 && ok.load(std::memory_order_relaxed); ++c) {
      const int64_t o0 = c * kColumns, o1 = std::min(s.out, o0 + kColumns), cols = o1 - o0;
      for (int64_t k0 = 0; k0 < s.in; k0 += kInt8Block) {
        const int64_t n = std::min(kInt8Block, s.in - k0);
        if (f32) {
          transpose_band(f32 + k0 * s.out + o0, s.out, n, cols, tile.data());
        } else {
          for (int64_t k = 0; k < n; ++k) widen(s, (k0 + k) * s.out + o0, cols, band.data() + k * cols);
          transpose_band(band.data(), cols, n, cols, tile.data());
        }
        for (int64_t o = o0; o < o1; ++o)
          if (!convert(o, k0, tile.data() + (o - o0) * kInt8Block, n)) ok.store(false, std::memory_order_relaxed);
      }
    }
  });
  return ok.load();
}

}  // namespace

LinearWeights LinearPacker::pack(const LinearWeights& w, const std::string& name) {
  if (w.format != WeightFormat::f32) return w;
  if (format_ == WeightFormat::f32) {
    if (!cache_) return w;
    if (auto found = cached_f32(name, w.in, w.out, w.stored_in_out, w.b)) return *found;
    cache_->add(name, w);
    return w;
  }
  return convert(reinterpret_cast<const uint8_t*>(w.w), DType::f32, w.in, w.out, w.stored_in_out, w.b, name);
}

std::optional<LinearWeights> LinearPacker::cached_f32(const std::string& name, int64_t in, int64_t out,
                                                     bool stored_in_out, const float* bias) {
  if (format_ != WeightFormat::f32 || !cache_) return std::nullopt;
  auto found = cache_->find(name, out, in, stored_in_out);
  if (found) found->b = bias;
  return found;
}

LinearWeights LinearPacker::pack(const TensorView& t, const float* bias, int64_t in, int64_t out, bool stored_in_out,
                                 const std::string& name) {
  if (format_ == WeightFormat::f32)
    fail("weight " + name + ": an fp32 matrix is read through Weights::f32, not packed");
  if (t.dtype != DType::f32 && t.dtype != DType::f16 && t.dtype != DType::bf16)
    fail("weight " + name + " has dtype " + dtype_name(t.dtype) + ", expected F32, F16 or BF16");
  if (t.numel() != in * out)
    fail("weight " + name + " does not hold " + std::to_string(out) + " x " + std::to_string(in) + " values");
  return convert(t.data, t.dtype, in, out, stored_in_out, bias, name);
}

LinearWeights LinearPacker::convert(const uint8_t* data, DType dtype, int64_t in_features, int64_t out_features,
                                    bool stored_in_out, const float* bias, const std::string& name) {
  const Source s{data, dtype, in_features, out_features, stored_in_out};
  if (format_ == WeightFormat::bf16 && dtype == DType::bf16 && !stored_in_out &&
      reinterpret_cast<uintptr_t>(data) % alignof(uint16_t) == 0) {
    // Already the format asked, in its rows: used where it is mapped, neither copied nor cached.
    LinearWeights p;
    p.b = bias;
    p.in = in_features;
    p.out = out_features;
    p.format = format_;
    p.packed = data;
    return p;
  }
  if (auto it = packed_.find(s.data);
      it != packed_.end() && it->second.in == s.in && it->second.out == s.out && it->second.b == bias)
    return it->second;
  if (cache_)
    if (auto found = cache_->find(name, s.out, s.in)) {
      found->b = bias;
      bytes_ += weight_format_bytes(format_, s.out, s.in);
      return packed_[s.data] = *found;
    }
  LinearWeights p;
  p.b = bias;
  p.in = s.in;
  p.out = s.out;
  p.format = format_;
  // p.w stays null: the kernels read `packed`; nothing may fall back on the source
  const int64_t in = s.in, n = s.in * s.out;
  bool ok = true;
  switch (format_) {
    case WeightFormat::bf16:
    case WeightFormat::f16: {
      auto* out = static_cast<uint16_t*>(arena_.allocate(static_cast<size_t>(n) * sizeof(uint16_t)));
      const bool bf16 = format_ == WeightFormat::bf16;
      ok = convert_segments(s, [&](int64_t o, int64_t k0, const float* v, int64_t n) {
        uint16_t* dst = out + o * in + k0;
        if (bf16) {
          for (int64_t k = 0; k < n; ++k) dst[k] = f32_to_bf16(v[k]);
          return true;
        }
        narrow_to_f16(v, n, dst);
        // Exponent 31 (all ones, the largest) is inf or NaN; a max reduction vectorises.
        uint32_t max_exponent = 0;
        for (int64_t k = 0; k < n; ++k) max_exponent = std::max<uint32_t>(max_exponent, dst[k] & 0x7c00u);
        return max_exponent != 0x7c00u;
      });
      p.packed = out;
      break;
    }
    case WeightFormat::int8: {
      const int64_t blocks = (in + kInt8Block - 1) / kInt8Block;
      auto* q = static_cast<int8_t*>(arena_.allocate(static_cast<size_t>(n)));
      auto* scales = static_cast<float*>(arena_.allocate(static_cast<size_t>(s.out * blocks) * sizeof(float)));
      ok = convert_segments(s, [&](int64_t o, int64_t k0, const float* v, int64_t n) {
        // Branch-free loops, so that they vectorise. Adding and subtracting 1.5 * 2^23 rounds
        // |x| < 2^22 to the nearest integer, ties to even, as nearbyint does.
        const uint32_t max_bits = vmath::max_magnitude_bits(v, n);
        if (max_bits >= vmath::kNonFiniteBits) return false;
        const float max_abs = std::bit_cast<float>(max_bits);
        const float scale = max_abs / 127.0f;
        scales[o * blocks + k0 / kInt8Block] = scale;
        int8_t* dst = q + o * in + k0;
        if (scale == 0) {
          std::fill(dst, dst + n, int8_t{0});
          return true;
        }
        // |v / scale| <= 127 up to the division's rounding, except for a subnormal scale, whose
        // rounding can be large: the clamp is for that (the quotient stays below 2^31 there).
        constexpr float kRound = 0x1.8p23f;
        for (int64_t k = 0; k < n; ++k)
          dst[k] = static_cast<int8_t>(std::clamp(static_cast<int>((v[k] / scale + kRound) - kRound), -127, 127));
        return true;
      });
      p.packed = q;
      p.scales = scales;
      break;
    }
    case WeightFormat::f32: break;
  }
  if (!ok)
    fail("weight " + name + " cannot be held as " + weight_format_name(format_) + ": " +
         (format_ == WeightFormat::f16 ? "a value is not finite or beyond f16's ±65504 (try --dtype bf16)"
                                       : "a value is not finite"));
  bytes_ += weight_format_bytes(format_, s.out, s.in);
  if (cache_) cache_->add(name, p);
  packed_[s.data] = p;
  return p;
}

}  // namespace tokprob
