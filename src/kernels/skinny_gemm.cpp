#include "kernels/skinny_gemm.hpp"

#include <cstring>

#include "kernels/cpu_isa.hpp"

// The 64-byte vector helpers below are inlined into each variant's instantiation; the warning that their
// (never materialised) ABI differs between targets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace tokprob {

namespace {

// 16 floats: one AVX-512 register; GCC splits it into four SSE registers for the portable clone.
typedef float v16 __attribute__((vector_size(64)));
// The AVX2 clone holds the 16 lanes as two native 8-lane halves (lanes 0-7, 8-15): a 64-byte
// vector type, which that target has no register for, lived on the stack, and every product
// spilled and reloaded its sums around each instruction (fp32 decoding was compute-bound on it).
// The halves do lane for lane what the 64-byte type did, so the results are the same bits.
typedef float v8 __attribute__((vector_size(32)));

struct Halves {
  v8 lo, hi;
  [[gnu::always_inline]] Halves& operator+=(Halves o) {
    lo += o.lo;
    hi += o.hi;
    return *this;
  }
};
[[gnu::always_inline]] inline Halves operator+(Halves a, Halves b) { return {a.lo + b.lo, a.hi + b.hi}; }
[[gnu::always_inline]] inline Halves operator*(Halves a, Halves b) { return {a.lo * b.lo, a.hi * b.hi}; }
[[gnu::always_inline]] inline Halves operator*(float s, Halves a) { return {s * a.lo, s * a.hi}; }

// The kernels' 16 lanes (V): load, store, and the sum of the lanes from lane 0 up.
template <class V>
[[gnu::always_inline]] inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
[[gnu::always_inline]] inline void store(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}
// The halves are moved one native vector at a time: copied as one 64-byte object they went through
// the stack as 16-byte pieces, and each load then waited on a store it could not forward from
// (fp32 decoding ran at a third of the memory's speed on it).
template <>
[[gnu::always_inline]] inline Halves load<Halves>(const float* p) {
  return {load<v8>(p), load<v8>(p + 8)};
}
template <>
[[gnu::always_inline]] inline void store<Halves>(float* p, Halves v) {
  store(p, v.lo);
  store(p + 8, v.hi);
}
[[gnu::always_inline]] inline float hsum(v16 v) {
  float s = 0;
  for (int i = 0; i < 16; ++i) s += v[i];
  return s;
}
[[gnu::always_inline]] inline float hsum(Halves v) {
  float s = 0;
  for (int i = 0; i < 8; ++i) s += v.lo[i];
  for (int i = 0; i < 8; ++i) s += v.hi[i];
  return s;
}

// W [out, in]: each output is M dot products against one contiguous weight row.
template <class V, int M>
[[gnu::always_inline]] inline void rows_dot(const float* x, int64_t in, const float* w, int64_t out,
                                            int64_t o_begin, int64_t o_end, float* y, bool accumulate) {
  const int64_t in16 = in & ~int64_t{15};
  for (int64_t o = o_begin; o < o_end; ++o) {
    const float* wr = w + o * in;
    V acc[M] = {};
    for (int64_t k = 0; k < in16; k += 16) {
      const V wv = load<V>(wr + k);
      for (int r = 0; r < M; ++r) acc[r] += load<V>(x + r * in + k) * wv;
    }
    for (int r = 0; r < M; ++r) {
      float s = hsum(acc[r]);
      for (int64_t k = in16; k < in; ++k) s += x[r * in + k] * wr[k];
      y[r * out + o] = accumulate ? y[r * out + o] + s : s;
    }
  }
}

// W [in, out]: walk the weight rows in order (sequential reads; striding down columns would miss
// the TLB on every row), adding x[r, i] * W[i, :] into the output slice, which stays in cache.
// Four weight rows per pass over the slice cut the slice's loads and stores fourfold.
template <class V, int M>
[[gnu::always_inline]] inline void cols_axpy(const float* x, int64_t in, const float* w, int64_t out,
                                             int64_t o_begin, int64_t o_end, float* y, bool accumulate) {
  constexpr int64_t kSlice = 1024;  // columns per pass: M * 4 KiB of outputs in L1/L2
  for (int64_t s0 = o_begin; s0 < o_end; s0 += kSlice) {
    const int64_t s1 = s0 + kSlice < o_end ? s0 + kSlice : o_end;
    const int64_t v1 = s0 + ((s1 - s0) & ~int64_t{15});
    if (!accumulate)
      for (int r = 0; r < M; ++r) std::memset(y + r * out + s0, 0, (s1 - s0) * sizeof(float));
    int64_t i = 0;
    for (; i + 4 <= in; i += 4) {
      const float* w0 = w + i * out;
      const float* w1 = w0 + out;
      const float* w2 = w1 + out;
      const float* w3 = w2 + out;
      float xs[M][4];
      for (int r = 0; r < M; ++r)
        for (int k = 0; k < 4; ++k) xs[r][k] = x[r * in + i + k];
      for (int64_t c = s0; c < v1; c += 16) {
        const V a = load<V>(w0 + c), b = load<V>(w1 + c), d = load<V>(w2 + c), e = load<V>(w3 + c);
        for (int r = 0; r < M; ++r) {
          float* yr = y + r * out + c;
          store(yr, load<V>(yr) + xs[r][0] * a + xs[r][1] * b + xs[r][2] * d + xs[r][3] * e);
        }
      }
      for (int64_t c = v1; c < s1; ++c)
        for (int r = 0; r < M; ++r)
          y[r * out + c] += xs[r][0] * w0[c] + xs[r][1] * w1[c] + xs[r][2] * w2[c] + xs[r][3] * w3[c];
    }
    for (; i < in; ++i) {
      const float* wi = w + i * out;
      for (int r = 0; r < M; ++r) {
        const float xv = x[r * in + i];
        float* yr = y + r * out;
        for (int64_t c = s0; c < s1; ++c) yr[c] += xv * wi[c];
      }
    }
  }
}

// Inlined into each variant's instantiation: a separate function would be compiled for the
// baseline target only, without the wide registers.
template <class V, int M>
[[gnu::always_inline]] inline void kernel(const float* x, int64_t in, const float* w, int64_t out, bool stored_in_out, int64_t o_begin,
            int64_t o_end, float* y, bool accumulate) {
  if (stored_in_out)
    cols_axpy<V, M>(x, in, w, out, o_begin, o_end, y, accumulate);
  else
    rows_dot<V, M>(x, in, w, out, o_begin, o_end, y, accumulate);
}

template <class V>
[[gnu::always_inline]] inline void by_rows(const float* x, int64_t rows, int64_t in, const float* w, int64_t out,
                                           bool stored_in_out, int64_t o_begin, int64_t o_end, float* y,
                                           bool accumulate) {
  switch (rows) {
    case 1: return kernel<V, 1>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 2: return kernel<V, 2>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 3: return kernel<V, 3>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 4: return kernel<V, 4>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 5: return kernel<V, 5>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 6: return kernel<V, 6>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 7: return kernel<V, 7>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    default: return kernel<V, 8>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
  }
}

// One instantiation per instruction-set variant (kernels/cpu_isa.hpp).
template <class... A>
TOKPROB_TARGET_AVX512 void by_rows_avx512(A... a) { by_rows<v16>(a...); }
template <class... A>
TOKPROB_TARGET_AVX2 void by_rows_avx2(A... a) { by_rows<Halves>(a...); }
template <class... A>
void by_rows_portable(A... a) { by_rows<v16>(a...); }

}  // namespace

void skinny_gemm(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, bool stored_in_out,
                 int64_t o_begin, int64_t o_end, float* y, bool accumulate) {
  dispatch_isa([&] { by_rows_portable(x, rows, in, w, out, stored_in_out, o_begin, o_end, y, accumulate); },
               [&] { by_rows_avx2(x, rows, in, w, out, stored_in_out, o_begin, o_end, y, accumulate); },
               [&] { by_rows_avx512(x, rows, in, w, out, stored_in_out, o_begin, o_end, y, accumulate); });
}

}  // namespace tokprob
