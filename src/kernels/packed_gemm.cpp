#include "kernels/packed_gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu_isa.hpp"
#include "kernels/half_float.hpp"
#include "kernels/vector_math.hpp"

// The 64-byte vector helpers below are inlined into each variant's instantiation; the warning
// that their (never materialised) ABI differs between targets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
// GCC 12's AVX-512 intrinsics start from a self-initialised "undefined" register, which it then
// reports as used uninitialised (a known false positive of the intrinsics headers).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tokprob {

namespace {

// 16 lanes: one AVX-512 register; the portable variant lets GCC split it into SSE registers.
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef int16_t v32s __attribute__((vector_size(64)));

// The kernels (packed_gemm_kernels.inc) work on 16 fp32 lanes (`vf`), 16 int32 lanes (`vi`) and 32
// int16 lanes (`vw`), loaded and stored with load/store, summed with hsum (lane 0 first) and
// converted with to_float; each variant says what these are. Widening to fp32 is done with each
// variant's own instructions: GCC's generic vector conversions from 8- and 16-bit lanes come out
// as scalar code.
[[gnu::always_inline]] inline v16 load(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline void store(float* p, v16 v) { std::memcpy(p, &v, sizeof v); }
[[gnu::always_inline]] inline float hsum(v16 v) {
  float s = 0;
  for (int i = 0; i < 16; ++i) s += v[i];
  return s;
}
[[gnu::always_inline]] inline v16 to_float(v16i v) { return __builtin_convertvector(v, v16); }

namespace portable {

using vf = v16;
using vi = v16i;
using vw = v32s;

[[gnu::always_inline]] inline v16 widen_bf16x16(const uint16_t* p) {
  v16 v;
  for (int i = 0; i < 16; ++i) v[i] = bf16_to_f32(p[i]);
  return v;
}
[[gnu::always_inline]] inline v16 widen_f16x16(const uint16_t* p) {
  v16 v;
  for (int i = 0; i < 16; ++i) v[i] = f16_to_f32(p[i]);
  return v;
}
[[gnu::always_inline]] inline v16 widen_i8x16(const int8_t* p) {
  v16 v;
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(p[i]);
  return v;
}
[[gnu::always_inline]] inline void narrow_f16x16(const float* p, uint16_t* out) {
  for (int i = 0; i < 16; ++i) out[i] = f32_to_f16(p[i]);
}
[[gnu::always_inline]] inline v32s widen_i8_to_i16x32(const int8_t* p) {
  v32s v;
  for (int i = 0; i < 32; ++i) v[i] = p[i];
  return v;
}
[[gnu::always_inline]] inline v16i madd_i16x32(v32s w, const int16_t* x) {
  v16i v;
  for (int i = 0; i < 16; ++i) v[i] = int32_t{w[2 * i]} * x[2 * i] + int32_t{w[2 * i + 1]} * x[2 * i + 1];
  return v;
}

#include "kernels/packed_gemm_kernels.inc"

}  // namespace portable

// GCC only: clang has no target pragma for a region, and refuses 64-byte vector arguments across the
// target boundary; a clang build runs the portable kernels everywhere (correct, not fast).
#if defined(__clang__)
namespace avx2 = portable;
namespace avx512 = portable;
#else
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
namespace avx2 {

// The 16 lanes as two native 8-lane halves, lanes 0-7 and 8-15. A 64-byte vector type, which
// this target has no register for, lived on the stack: every kernel spilled and reloaded its sums
// and widened weights around each instruction, and decoding was compute-bound on it. The halves do
// lane for lane what the 64-byte type did, so the results are the same bits.
typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef int16_t v16s __attribute__((vector_size(32)));

template <class H>
struct Halves {
  H lo, hi;
  [[gnu::always_inline]] Halves& operator+=(Halves o) {
    lo += o.lo;
    hi += o.hi;
    return *this;
  }
  template <class S>
  [[gnu::always_inline]] Halves& operator*=(S s) {
    lo *= s;
    hi *= s;
    return *this;
  }
};
template <class H>
[[gnu::always_inline]] inline Halves<H> operator*(Halves<H> a, Halves<H> b) {
  return {a.lo * b.lo, a.hi * b.hi};
}
template <class H>
[[gnu::always_inline]] inline Halves<H> operator*(Halves<H> a, float s) {
  return {a.lo * s, a.hi * s};
}

using vf = Halves<v8>;
using vi = Halves<v8i>;
using vw = Halves<v16s>;

[[gnu::always_inline]] inline vf load(const float* p) {
  return {reinterpret_cast<v8>(_mm256_loadu_ps(p)), reinterpret_cast<v8>(_mm256_loadu_ps(p + 8))};
}
[[gnu::always_inline]] inline void store(float* p, vf v) {
  _mm256_storeu_ps(p, reinterpret_cast<__m256>(v.lo));
  _mm256_storeu_ps(p + 8, reinterpret_cast<__m256>(v.hi));
}
[[gnu::always_inline]] inline float hsum(vf v) {
  float s = 0;
  for (int i = 0; i < 8; ++i) s += v.lo[i];
  for (int i = 0; i < 8; ++i) s += v.hi[i];
  return s;
}
[[gnu::always_inline]] inline vf to_float(vi v) {
  return {__builtin_convertvector(v.lo, v8), __builtin_convertvector(v.hi, v8)};
}
[[gnu::always_inline]] inline v8 bf16x8(const uint16_t* p) {
  const __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return reinterpret_cast<v8>(_mm256_slli_epi32(u, 16));
}
[[gnu::always_inline]] inline vf widen_bf16x16(const uint16_t* p) { return {bf16x8(p), bf16x8(p + 8)}; }
[[gnu::always_inline]] inline v8 f16x8(const uint16_t* p) {
  return reinterpret_cast<v8>(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
[[gnu::always_inline]] inline vf widen_f16x16(const uint16_t* p) { return {f16x8(p), f16x8(p + 8)}; }
[[gnu::always_inline]] inline void narrow_f16x16(const float* p, uint16_t* out) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_cvtps_ph(_mm256_loadu_ps(p), _MM_FROUND_TO_NEAREST_INT));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8),
                   _mm256_cvtps_ph(_mm256_loadu_ps(p + 8), _MM_FROUND_TO_NEAREST_INT));
}
[[gnu::always_inline]] inline v8 i8x8(const int8_t* p) {
  return reinterpret_cast<v8>(
      _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))));
}
[[gnu::always_inline]] inline vf widen_i8x16(const int8_t* p) { return {i8x8(p), i8x8(p + 8)}; }
[[gnu::always_inline]] inline v16s i8_to_i16x16(const int8_t* p) {
  return reinterpret_cast<v16s>(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
[[gnu::always_inline]] inline vw widen_i8_to_i16x32(const int8_t* p) { return {i8_to_i16x16(p), i8_to_i16x16(p + 16)}; }
[[gnu::always_inline]] inline v8i madd_i16x16(v16s w, const int16_t* x) {
  return reinterpret_cast<v8i>(
      _mm256_madd_epi16(reinterpret_cast<__m256i>(w), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x))));
}
[[gnu::always_inline]] inline vi madd_i16x32(vw w, const int16_t* x) {
  return {madd_i16x16(w.lo, x), madd_i16x16(w.hi, x + 16)};
}

#include "kernels/packed_gemm_kernels.inc"

}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
namespace avx512 {

using vf = v16;
using vi = v16i;
using vw = v32s;

[[gnu::always_inline]] inline v16 widen_bf16x16(const uint16_t* p) {
  const __m512i u = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return reinterpret_cast<v16>(_mm512_slli_epi32(u, 16));
}
[[gnu::always_inline]] inline v16 widen_f16x16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
[[gnu::always_inline]] inline v16 widen_i8x16(const int8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
[[gnu::always_inline]] inline void narrow_f16x16(const float* p, uint16_t* out) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtps_ph(_mm512_loadu_ps(p), _MM_FROUND_TO_NEAREST_INT));
}
[[gnu::always_inline]] inline v32s widen_i8_to_i16x32(const int8_t* p) {
  return reinterpret_cast<v32s>(_mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
}
[[gnu::always_inline]] inline v16i madd_i16x32(v32s w, const int16_t* x) {
  return reinterpret_cast<v16i>(_mm512_madd_epi16(reinterpret_cast<__m512i>(w), _mm512_loadu_si512(x)));
}

#include "kernels/packed_gemm_kernels.inc"

}  // namespace avx512
#pragma GCC pop_options
#endif  // __clang__

}  // namespace

void packed_skinny_gemm(const float* x, int64_t rows, const LinearWeights& w, int64_t o_begin, int64_t o_end,
                        float* y, bool accumulate) {
  dispatch_isa([&] { portable::gemm(x, rows, w, o_begin, o_end, y, accumulate); },
               [&] { avx2::gemm(x, rows, w, o_begin, o_end, y, accumulate); },
               [&] { avx512::gemm(x, rows, w, o_begin, o_end, y, accumulate); });
}

void narrow_to_f16(const float* src, int64_t n, uint16_t* dst) {
  dispatch_isa([&] { portable::narrow_f16(src, n, dst); }, [&] { avx2::narrow_f16(src, n, dst); },
               [&] { avx512::narrow_f16(src, n, dst); });
}

void widen_rows(const LinearWeights& w, int64_t o_begin, int64_t o_end, float* dst) {
  dispatch_isa([&] { portable::widen(w, o_begin, o_end, dst); }, [&] { avx2::widen(w, o_begin, o_end, dst); },
               [&] { avx512::widen(w, o_begin, o_end, dst); });
}

}  // namespace tokprob
