#include "kernels/skinny_gemm.hpp"

#include <cstring>

#include "kernels/cpu_isa.hpp"

// The 64-byte vector helpers below are inlined into each variant's instantiation; the warning that their
// (never materialised) ABI differs between targets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace tokprob {

namespace {

// 16 floats: one AVX-512 register; GCC splits it into two AVX2 or four SSE registers where the
// target has no AVX-512, so one source serves every clone below.
typedef float v16 __attribute__((vector_size(64)));

inline v16 load(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, v16 v) { std::memcpy(p, &v, sizeof v); }
inline float hsum(v16 v) {
  float s = 0;
  for (int i = 0; i < 16; ++i) s += v[i];
  return s;
}

// W [out, in]: each output is M dot products against one contiguous weight row.
template <int M>
[[gnu::always_inline]] inline void rows_dot(const float* x, int64_t in, const float* w, int64_t out,
                                            int64_t o_begin, int64_t o_end, float* y, bool accumulate) {
  const int64_t in16 = in & ~int64_t{15};
  for (int64_t o = o_begin; o < o_end; ++o) {
    const float* wr = w + o * in;
    v16 acc[M] = {};
    for (int64_t k = 0; k < in16; k += 16) {
      const v16 wv = load(wr + k);
      for (int r = 0; r < M; ++r) acc[r] += load(x + r * in + k) * wv;
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
template <int M>
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
        const v16 a = load(w0 + c), b = load(w1 + c), d = load(w2 + c), e = load(w3 + c);
        for (int r = 0; r < M; ++r) {
          float* yr = y + r * out + c;
          store(yr, load(yr) + xs[r][0] * a + xs[r][1] * b + xs[r][2] * d + xs[r][3] * e);
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
template <int M>
[[gnu::always_inline]] inline void kernel(const float* x, int64_t in, const float* w, int64_t out, bool stored_in_out, int64_t o_begin,
            int64_t o_end, float* y, bool accumulate) {
  if (stored_in_out)
    cols_axpy<M>(x, in, w, out, o_begin, o_end, y, accumulate);
  else
    rows_dot<M>(x, in, w, out, o_begin, o_end, y, accumulate);
}

[[gnu::always_inline]] inline void by_rows(const float* x, int64_t rows, int64_t in, const float* w, int64_t out,
                                           bool stored_in_out, int64_t o_begin, int64_t o_end, float* y,
                                           bool accumulate) {
  switch (rows) {
    case 1: return kernel<1>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 2: return kernel<2>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 3: return kernel<3>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 4: return kernel<4>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 5: return kernel<5>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 6: return kernel<6>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    case 7: return kernel<7>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
    default: return kernel<8>(x, in, w, out, stored_in_out, o_begin, o_end, y, accumulate);
  }
}

// One instantiation per instruction-set variant (kernels/cpu_isa.hpp).
template <class... A>
TOKPROB_TARGET_AVX512 void by_rows_avx512(A... a) { by_rows(a...); }
template <class... A>
TOKPROB_TARGET_AVX2 void by_rows_avx2(A... a) { by_rows(a...); }
template <class... A>
void by_rows_portable(A... a) { by_rows(a...); }

}  // namespace

void skinny_gemm(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, bool stored_in_out,
                 int64_t o_begin, int64_t o_end, float* y, bool accumulate) {
  dispatch_isa([&] { by_rows_portable(x, rows, in, w, out, stored_in_out, o_begin, o_end, y, accumulate); },
               [&] { by_rows_avx2(x, rows, in, w, out, stored_in_out, o_begin, o_end, y, accumulate); },
               [&] { by_rows_avx512(x, rows, in, w, out, stored_in_out, o_begin, o_end, y, accumulate); });
}

}  // namespace tokprob
