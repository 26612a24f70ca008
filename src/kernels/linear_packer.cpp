#include "kernels/linear_packer.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "kernels/half_float.hpp"
#include "kernels/packed_gemm.hpp"
#include "kernels/thread_pool.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// Rows converted per task. GPT-2's [in, out] matrices are transposed a tile of 64 columns at a
// time (256 contiguous bytes of every stored row), in squares of kSquare so that reads and writes
// both stay within a few cache lines.
constexpr int64_t kTile = 64;
constexpr int64_t kSquare = 16;

// Converts every row with `convert(o, row)`, which returns false for a weight it cannot hold.
// [out, in] rows are read where they are; [in, out] (Conv1D) is transposed a tile of rows at a
// time, so each stored row is read 64 contiguous bytes at a time.
template <class Convert>
bool convert_rows(const LinearWeights& w, Convert convert) {
  std::atomic<bool> ok{true};
  parallel_for((w.out + kTile - 1) / kTile, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> tile(w.stored_in_out ? kTile * w.in : 0);
    for (int64_t t = t0; t < t1 && ok.load(std::memory_order_relaxed); ++t) {
      const int64_t o0 = t * kTile, o1 = std::min(w.out, o0 + kTile);
      if (w.stored_in_out)
        for (int64_t k0 = 0; k0 < w.in; k0 += kSquare)
          for (int64_t s0 = o0; s0 < o1; s0 += kSquare)
            for (int64_t k = k0; k < std::min(w.in, k0 + kSquare); ++k) {
              const float* src = w.w + k * w.out;
              for (int64_t o = s0; o < std::min(o1, s0 + kSquare); ++o) tile[(o - o0) * w.in + k] = src[o];
            }
      for (int64_t o = o0; o < o1; ++o) {
        const float* row = w.stored_in_out ? tile.data() + (o - o0) * w.in : w.w + o * w.in;
        if (!convert(o, row)) ok.store(false, std::memory_order_relaxed);
      }
    }
  });
  return ok.load();
}

}  // namespace

LinearWeights LinearPacker::pack(const LinearWeights& w, const std::string& name) {
  if (format_ == WeightFormat::f32 || w.format != WeightFormat::f32) return w;
  if (auto it = packed_.find(w.w); it != packed_.end() && it->second.in == w.in && it->second.out == w.out &&
                                    it->second.b == w.b)
    return it->second;
  LinearWeights p = w;
  p.format = format_;
  p.stored_in_out = false;
  p.w = nullptr;  // the kernels read `packed`; nothing may fall back on the fp32 source
  const int64_t in = w.in, n = w.in * w.out;
  bool ok = true;
  switch (format_) {
    case WeightFormat::bf16:
    case WeightFormat::f16: {
      auto& out = halves_.emplace_back(new uint16_t[n]);
      const bool bf16 = format_ == WeightFormat::bf16;
      ok = convert_rows(w, [&](int64_t o, const float* row) {
        uint16_t* dst = out.get() + o * in;
        if (bf16) {
          for (int64_t k = 0; k < in; ++k) dst[k] = f32_to_bf16(row[k]);
          return true;
        }
        narrow_to_f16(row, in, dst);
        bool finite = true;
        for (int64_t k = 0; k < in; ++k) finite &= (dst[k] & 0x7c00u) != 0x7c00u;  // exponent 31: inf or NaN
        return finite;
      });
      p.packed = out.get();
      break;
    }
    case WeightFormat::int8: {
      const int64_t blocks = (in + kInt8Block - 1) / kInt8Block;
      auto& q = quantized_.emplace_back(new int8_t[n]);
      auto& scales = scales_.emplace_back(new float[w.out * blocks]);
      ok = convert_rows(w, [&](int64_t o, const float* row) {
        for (int64_t b = 0; b < blocks; ++b) {
          const int64_t k0 = b * kInt8Block, k1 = std::min(in, k0 + kInt8Block);
          float max_abs = 0;
          for (int64_t k = k0; k < k1; ++k) {
            if (!std::isfinite(row[k])) return false;
            max_abs = std::max(max_abs, std::fabs(row[k]));
          }
          const float scale = max_abs / 127.0f;
          scales[o * blocks + b] = scale;
          for (int64_t k = k0; k < k1; ++k)
            q[o * in + k] = scale > 0 ? static_cast<int8_t>(std::clamp(std::nearbyint(row[k] / scale), -127.0f, 127.0f))
                                      : int8_t{0};
        }
        return true;
      });
      p.packed = q.get();
      p.scales = scales.get();
      break;
    }
    case WeightFormat::f32: break;
  }
  if (!ok)
    fail("weight " + name + " cannot be held as " + weight_format_name(format_) + ": " +
         (format_ == WeightFormat::f16 ? "a value is not finite or beyond f16's ±65504 (try --dtype bf16)"
                                       : "a value is not finite"));
  bytes_ += weight_format_bytes(format_, w.out, w.in);
  packed_[w.w] = p;
  return p;
}

}  // namespace tokprob
