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

// Columns of an [in, out] matrix (GPT-2's Conv1D) converted per task.
constexpr int64_t kColumns = 256;

// Converts every row in segments of kInt8Block weights with `convert(o, k0, values, n)` (weights
// k0..k0+n of output row o), which returns false for a weight it cannot hold. [out, in] rows are
// read where they are. An [in, out] matrix is read a band of kInt8Block stored rows at a time,
// gathering each output's segment down the band: the band's pages stay in the TLB and its lines
// in cache (a tile of output rows that spanned every stored row stalled on page walks).
template <class Convert>
bool convert_segments(const LinearWeights& w, Convert convert) {
  std::atomic<bool> ok{true};
  if (!w.stored_in_out) {
    parallel_for(w.out, 16, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1 && ok.load(std::memory_order_relaxed); ++o)
        for (int64_t k0 = 0; k0 < w.in; k0 += kInt8Block)
          if (!convert(o, k0, w.w + o * w.in + k0, std::min(kInt8Block, w.in - k0)))
            ok.store(false, std::memory_order_relaxed);
    });
    return ok.load();
  }
  parallel_for((w.out + kColumns - 1) / kColumns, 1, [&](int64_t c0, int64_t c1) {
    float segment[kInt8Block];
    for (int64_t c = c0; c < c1 && ok.load(std::memory_order_relaxed); ++c) {
      const int64_t o0 = c * kColumns, o1 = std::min(w.out, o0 + kColumns);
      for (int64_t k0 = 0; k0 < w.in; k0 += kInt8Block) {
        const int64_t n = std::min(kInt8Block, w.in - k0);
        for (int64_t o = o0; o < o1; ++o) {
          for (int64_t k = 0; k < n; ++k) segment[k] = w.w[(k0 + k) * w.out + o];
          if (!convert(o, k0, segment, n)) ok.store(false, std::memory_order_relaxed);
        }
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
      ok = convert_segments(w, [&](int64_t o, int64_t k0, const float* v, int64_t n) {
        uint16_t* dst = out.get() + o * in + k0;
        if (bf16) {
          for (int64_t k = 0; k < n; ++k) dst[k] = f32_to_bf16(v[k]);
          return true;
        }
        narrow_to_f16(v, n, dst);
        bool finite = true;
        for (int64_t k = 0; k < n; ++k) finite &= (dst[k] & 0x7c00u) != 0x7c00u;  // exponent 31: inf or NaN
        return finite;
      });
      p.packed = out.get();
      break;
    }
    case WeightFormat::int8: {
      const int64_t blocks = (in + kInt8Block - 1) / kInt8Block;
      auto& q = quantized_.emplace_back(new int8_t[n]);
      auto& scales = scales_.emplace_back(new float[w.out * blocks]);
      ok = convert_segments(w, [&](int64_t o, int64_t k0, const float* v, int64_t n) {
        float max_abs = 0;
        for (int64_t k = 0; k < n; ++k) {
          if (!std::isfinite(v[k])) return false;
          max_abs = std::max(max_abs, std::fabs(v[k]));
        }
        const float scale = max_abs / 127.0f;
        scales[o * blocks + k0 / kInt8Block] = scale;
        int8_t* dst = q.get() + o * in + k0;
        for (int64_t k = 0; k < n; ++k)
          dst[k] = scale > 0 ? static_cast<int8_t>(std::clamp(std::nearbyint(v[k] / scale), -127.0f, 127.0f)) : int8_t{0};
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
