#include "kernels/packed_gemm.hpp"

#include <bit>
#include <cstring>

#include "kernels/cpu_isa.hpp"
#include "kernels/skinny_gemm.hpp"

// The 64-byte vector helpers below are inlined into each variant's instantiation; the warning
// that their (never materialised) ABI differs between targets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace tokprob {

namespace {

// 16 lanes: one AVX-512 register, split by GCC into two AVX2 or four SSE registers elsewhere.
typedef float v16 __attribute__((vector_size(64)));
typedef uint32_t v16u __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef uint16_t v16h __attribute__((vector_size(32)));
typedef int8_t v16b __attribute__((vector_size(16)));

[[gnu::always_inline]] inline v16 load(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline float hsum(v16 v) {
  float s = 0;
  for (int i = 0; i < 16; ++i) s += v[i];
  return s;
}

// Each format widens 16 consecutive weights of a row, or one, to fp32. `scaled` formats carry a
// scale per kInt8Block weights of a row.
struct Bf16 {
  using T = uint16_t;
  static constexpr bool scaled = false;
  [[gnu::always_inline]] static v16 widen16(const T* p) {
    v16h h;
    std::memcpy(&h, p, sizeof h);
    return reinterpret_cast<v16>(__builtin_convertvector(h, v16u) << 16);
  }
  [[gnu::always_inline]] static float widen1(T v) { return std::bit_cast<float>(static_cast<uint32_t>(v) << 16); }
};

// IEEE half by integer moves and one multiply (F16C is not in every variant): the 15 magnitude bits
// placed in an fp32's exponent and mantissa and scaled by 2^(127-15) give every finite half,
// subnormals included, exactly. The packer refuses weights that are not finite halves.
struct F16 {
  using T = uint16_t;
  static constexpr bool scaled = false;
  [[gnu::always_inline]] static v16 widen16(const T* p) {
    v16h h;
    std::memcpy(&h, p, sizeof h);
    const v16u u = __builtin_convertvector(h, v16u);
    const v16 magnitude = reinterpret_cast<v16>((u & 0x7fffu) << 13) * 0x1p112f;
    return reinterpret_cast<v16>(reinterpret_cast<v16u>(magnitude) | ((u & 0x8000u) << 16));
  }
  [[gnu::always_inline]] static float widen1(T v) {
    const float magnitude = std::bit_cast<float>(static_cast<uint32_t>(v & 0x7fffu) << 13) * 0x1p112f;
    return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | (static_cast<uint32_t>(v & 0x8000u) << 16));
  }
};

struct Int8 {
  using T = int8_t;
  static constexpr bool scaled = true;
  [[gnu::always_inline]] static v16 widen16(const T* p) {
    v16b b;
    std::memcpy(&b, p, sizeof b);
    return __builtin_convertvector(__builtin_convertvector(b, v16i), v16);
  }
  [[gnu::always_inline]] static float widen1(T v) { return static_cast<float>(v); }
};

// N consecutive outputs from `o` for M rows of x. Sums run per block of weights sharing a scale
// (the whole row when the format has none) and are scaled once per block. N outputs at a time
// give M·N independent accumulator chains, so a single row (decoding) does not wait on the
// latency of one chain of fused multiply-adds.
template <class F, int M, int N>
[[gnu::always_inline]] inline void dot_outputs(const float* x, const LinearWeights& w, int64_t o, float* y,
                                               bool accumulate) {
  const int64_t in = w.in;
  const auto* rows = static_cast<const typename F::T*>(w.packed) + o * in;
  const int64_t block = F::scaled ? kInt8Block : in;
  const int64_t blocks = F::scaled ? (in + kInt8Block - 1) / kInt8Block : 1;
  v16 acc[N][M] = {};
  float tail[N][M] = {};
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t k0 = b * block, k1 = k0 + block < in ? k0 + block : in;
    const int64_t kv = k0 + ((k1 - k0) & ~int64_t{15});
    v16 part[N][M] = {};
    for (int64_t k = k0; k < kv; k += 16) {
      v16 xv[M];
      for (int r = 0; r < M; ++r) xv[r] = load(x + r * in + k);
      for (int n = 0; n < N; ++n) {
        const v16 wv = F::widen16(rows + n * in + k);
        for (int r = 0; r < M; ++r) part[n][r] += xv[r] * wv;
      }
    }
    float rest[N][M] = {};
    for (int64_t k = kv; k < k1; ++k)
      for (int n = 0; n < N; ++n) {
        const float wk = F::widen1(rows[n * in + k]);
        for (int r = 0; r < M; ++r) rest[n][r] += x[r * in + k] * wk;
      }
    for (int n = 0; n < N; ++n) {
      const float s = F::scaled ? w.scales[(o + n) * blocks + b] : 1.0f;
      for (int r = 0; r < M; ++r) {
        if constexpr (F::scaled) {
          acc[n][r] += part[n][r] * s;
          tail[n][r] += rest[n][r] * s;
        } else {
          acc[n][r] += part[n][r];
          tail[n][r] += rest[n][r];
        }
      }
    }
  }
  for (int n = 0; n < N; ++n)
    for (int r = 0; r < M; ++r) {
      const float s = hsum(acc[n][r]) + tail[n][r];
      float& out = y[r * w.out + o + n];
      out = accumulate ? out + s : s;
    }
}

template <class F, int M>
[[gnu::always_inline]] inline void outputs(const float* x, const LinearWeights& w, int64_t o_begin, int64_t o_end,
                                           float* y, bool accumulate) {
  constexpr int N = M == 1 ? 4 : M == 2 ? 2 : 1;
  int64_t o = o_begin;
  for (; o + N <= o_end; o += N) dot_outputs<F, M, N>(x, w, o, y, accumulate);
  for (; o < o_end; ++o) dot_outputs<F, M, 1>(x, w, o, y, accumulate);
}

template <class F>
[[gnu::always_inline]] inline void by_rows(const float* x, int64_t rows, const LinearWeights& w, int64_t o_begin,
                                           int64_t o_end, float* y, bool accumulate) {
  switch (rows) {
    case 1: return outputs<F, 1>(x, w, o_begin, o_end, y, accumulate);
    case 2: return outputs<F, 2>(x, w, o_begin, o_end, y, accumulate);
    case 3: return outputs<F, 3>(x, w, o_begin, o_end, y, accumulate);
    case 4: return outputs<F, 4>(x, w, o_begin, o_end, y, accumulate);
    case 5: return outputs<F, 5>(x, w, o_begin, o_end, y, accumulate);
    case 6: return outputs<F, 6>(x, w, o_begin, o_end, y, accumulate);
    case 7: return outputs<F, 7>(x, w, o_begin, o_end, y, accumulate);
    default: return outputs<F, 8>(x, w, o_begin, o_end, y, accumulate);
  }
}

[[gnu::always_inline]] inline void by_format(const float* x, int64_t rows, const LinearWeights& w, int64_t o_begin,
                                             int64_t o_end, float* y, bool accumulate) {
  switch (w.format) {
    case WeightFormat::bf16: return by_rows<Bf16>(x, rows, w, o_begin, o_end, y, accumulate);
    case WeightFormat::f16: return by_rows<F16>(x, rows, w, o_begin, o_end, y, accumulate);
    case WeightFormat::int8: return by_rows<Int8>(x, rows, w, o_begin, o_end, y, accumulate);
    case WeightFormat::f32: break;  // linear() sends fp32 to skinny_gemm
  }
}

template <class F>
[[gnu::always_inline]] inline void widen_format(const LinearWeights& w, int64_t o_begin, int64_t o_end, float* dst) {
  const int64_t in = w.in, in16 = in & ~int64_t{15};
  const int64_t blocks = (in + kInt8Block - 1) / kInt8Block;
  for (int64_t o = o_begin; o < o_end; ++o) {
    const auto* row = static_cast<const typename F::T*>(w.packed) + o * in;
    float* d = dst + (o - o_begin) * in;
    for (int64_t k = 0; k < in16; k += 16) {
      v16 v = F::widen16(row + k);
      if constexpr (F::scaled) v *= w.scales[o * blocks + k / kInt8Block];
      std::memcpy(d + k, &v, sizeof v);
    }
    for (int64_t k = in16; k < in; ++k) {
      float v = F::widen1(row[k]);
      if constexpr (F::scaled) v *= w.scales[o * blocks + k / kInt8Block];
      d[k] = v;
    }
  }
}

[[gnu::always_inline]] inline void widen_by_format(const LinearWeights& w, int64_t o_begin, int64_t o_end,
                                                   float* dst) {
  switch (w.format) {
    case WeightFormat::bf16: return widen_format<Bf16>(w, o_begin, o_end, dst);
    case WeightFormat::f16: return widen_format<F16>(w, o_begin, o_end, dst);
    case WeightFormat::int8: return widen_format<Int8>(w, o_begin, o_end, dst);
    case WeightFormat::f32: break;
  }
}

// One instantiation per instruction-set variant (kernels/cpu_isa.hpp).
template <class... A>
TOKPROB_TARGET_AVX512 void gemm_avx512(A... a) { by_format(a...); }
template <class... A>
TOKPROB_TARGET_AVX2 void gemm_avx2(A... a) { by_format(a...); }
template <class... A>
void gemm_portable(A... a) { by_format(a...); }
template <class... A>
TOKPROB_TARGET_AVX512 void widen_avx512(A... a) { widen_by_format(a...); }
template <class... A>
TOKPROB_TARGET_AVX2 void widen_avx2(A... a) { widen_by_format(a...); }
template <class... A>
void widen_portable(A... a) { widen_by_format(a...); }

}  // namespace

void packed_skinny_gemm(const float* x, int64_t rows, const LinearWeights& w, int64_t o_begin, int64_t o_end,
                        float* y, bool accumulate) {
  dispatch_isa([&] { gemm_portable(x, rows, w, o_begin, o_end, y, accumulate); },
               [&] { gemm_avx2(x, rows, w, o_begin, o_end, y, accumulate); },
               [&] { gemm_avx512(x, rows, w, o_begin, o_end, y, accumulate); });
}

void widen_rows(const LinearWeights& w, int64_t o_begin, int64_t o_end, float* dst) {
  dispatch_isa([&] { widen_portable(w, o_begin, o_end, dst); },
               [&] { widen_avx2(w, o_begin, o_end, dst); },
               [&] { widen_avx512(w, o_begin, o_end, dst); });
}

}  // namespace tokprob
