#include "kernels/int8_gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu_isa.hpp"
#include "kernels/thread_pool.hpp"
#include "kernels/vector_math.hpp"

// The 32-byte vector arguments of the AVX2 helpers below are inlined away; the warning that their
// ABI differs between targets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace tokprob {

namespace {

// Output columns per packed weight panel (two AVX2 registers of int32 sums) and activation rows
// per tile: 4 rows × 2 registers of sums, 2 of weights and 4 temporaries fit the 16 registers.
constexpr int64_t kPanel = 16;
constexpr int kTileRows = 4;
// Bytes of one block of a panel: kInt8Block features × kPanel columns.
constexpr int64_t kPanelBlockBytes = kInt8Block * kPanel;

// The block's quantised values, with the scale as defined in the header; the ragged last block
// and the portable variant go one value at a time, with the same IEEE operations as the vectors.
inline int8_t quantize_one(float x, float scale) {
  return static_cast<int8_t>(std::nearbyint(std::clamp(x / scale, -127.0f, 127.0f)));
}

// The scale of a block and whether its values can be divided by it (false: all zero, or a scale
// that underflowed to 0, whose values are too small to matter).
inline float block_scale(const float* x, int64_t n, bool& divide) {
  const uint32_t bits = vmath::max_magnitude_bits(x, n);
  divide = false;
  if (bits >= vmath::kNonFiniteBits) return std::numeric_limits<float>::quiet_NaN();
  const float scale = std::bit_cast<float>(bits) / 127.0f;
  divide = scale > 0;
  return scale;
}

void quantize_row_portable(const float* x, int64_t in, int64_t blocks, int8_t* q, float* scales) {
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t k0 = b * kInt8Block, n = std::min(kInt8Block, in - k0);
    bool divide = false;
    scales[b] = block_scale(x + k0, n, divide);
    for (int64_t k = 0; k < kInt8Block; ++k) q[k0 + k] = divide && k < n ? quantize_one(x[k0 + k], scales[b]) : 0;
  }
}

// Columns [o0, o0 + n) of w into a panel: for each group of 4 features, the 16 columns' 4 bytes
// side by side (what one vpmaddubsw/vpmaddwd pair sums per 32-bit lane); zeros past `in` and for
// the missing columns of the last panel, whose scales are 0 too.
void pack_panel(const LinearWeights& w, int64_t o0, int64_t n, int64_t stride, int8_t* panel, float* panel_scales) {
  const int64_t in = w.in, blocks = stride / kInt8Block, in4 = in & ~int64_t{3};
  std::memset(panel, 0, static_cast<size_t>(stride * kPanel));
  std::memset(panel_scales, 0, static_cast<size_t>(blocks * kPanel) * sizeof(float));
  for (int64_t j = 0; j < n; ++j) {
    const int8_t* row = static_cast<const int8_t*>(w.packed) + (o0 + j) * in;
    for (int64_t k = 0; k < in4; k += 4) std::memcpy(panel + k * kPanel + j * 4, row + k, 4);
    for (int64_t k = in4; k < in; ++k) panel[in4 * kPanel + j * 4 + (k - in4)] = row[k];
    for (int64_t b = 0; b < blocks; ++b) panel_scales[b * kPanel + j] = w.scales[(o0 + j) * blocks + b];
  }
}

// One tile: M rows × kPanel columns, c [M, kPanel] updated as the header defines.
template <int M>
void tile_portable(const int8_t* a, int64_t stride, const float* xs, int64_t blocks, const int8_t* panel,
                   const float* panel_scales, float* c) {
  for (int64_t b = 0; b < blocks; ++b) {
    int32_t sum[M][kPanel] = {};
    const int8_t* p = panel + b * kPanelBlockBytes;
    for (int64_t k = 0; k < kInt8Block; ++k)
      for (int r = 0; r < M; ++r)
        for (int64_t j = 0; j < kPanel; ++j)
          sum[r][j] += int32_t{a[r * stride + b * kInt8Block + k]} * p[(k / 4) * kPanel * 4 + j * 4 + k % 4];
    for (int r = 0; r < M; ++r)
      for (int64_t j = 0; j < kPanel; ++j)
        c[r * kPanel + j] = std::fma(static_cast<float>(sum[r][j]), xs[r * blocks + b] * panel_scales[b * kPanel + j],
                                     c[r * kPanel + j]);
  }
}

TOKPROB_TARGET_AVX2 void quantize_row_avx2(const float* x, int64_t in, int64_t blocks, int8_t* q, float* scales) {
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t k0 = b * kInt8Block, n = std::min(kInt8Block, in - k0);
    bool divide = false;
    const float scale = block_scale(x + k0, n, divide);
    scales[b] = scale;
    if (!divide || n < kInt8Block) {
      for (int64_t k = 0; k < kInt8Block; ++k) q[k0 + k] = divide && k < n ? quantize_one(x[k0 + k], scale) : 0;
      continue;
    }
    const __m256 s = _mm256_set1_ps(scale);
    for (int64_t k = 0; k < kInt8Block; k += 32) {
      __m256i v[4];
      for (int i = 0; i < 4; ++i) {
        const __m256 f = _mm256_div_ps(_mm256_loadu_ps(x + k0 + k + 8 * i), s);
        // Rounds half to even: the rounding mode is the default one, as for std::nearbyint.
        v[i] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(f, lo), hi));
      }
      const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + k0 + k), _mm256_permutevar8x32_epi32(bytes, order));
    }
  }
}

template <int M>
TOKPROB_TARGET_AVX2 void tile_avx2(const int8_t* a, int64_t stride, const float* xs, int64_t blocks,
                                   const int8_t* panel, const float* panel_scales, float* c) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < blocks; ++b) {
    __m256i sum[M][2];
    for (int r = 0; r < M; ++r) sum[r][0] = sum[r][1] = _mm256_setzero_si256();
    const int8_t* p = panel + b * kPanelBlockBytes;
    const int8_t* ab = a + b * kInt8Block;
    for (int64_t k = 0; k < kInt8Block; k += 4) {
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + k * kPanel));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + k * kPanel + 32));
      for (int r = 0; r < M; ++r) {
        int32_t four;
        std::memcpy(&four, ab + r * stride + k, 4);
        const __m256i av = _mm256_set1_epi32(four);
        const __m256i ax = _mm256_sign_epi8(av, av);
        sum[r][0] = _mm256_add_epi32(sum[r][0],
                                     _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w0, av)), ones));
        sum[r][1] = _mm256_add_epi32(sum[r][1],
                                     _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w1, av)), ones));
      }
    }
    const __m256 s0 = _mm256_loadu_ps(panel_scales + b * kPanel), s1 = _mm256_loadu_ps(panel_scales + b * kPanel + 8);
    for (int r = 0; r < M; ++r) {
      const __m256 xsv = _mm256_set1_ps(xs[r * blocks + b]);
      float* cr = c + r * kPanel;
      _mm256_storeu_ps(cr, _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[r][0]), _mm256_mul_ps(xsv, s0), _mm256_loadu_ps(cr)));
      _mm256_storeu_ps(cr + 8, _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[r][1]), _mm256_mul_ps(xsv, s1),
                                               _mm256_loadu_ps(cr + 8)));
    }
  }
}

template <int M>
void tile(const int8_t* a, int64_t stride, const float* xs, int64_t blocks, const int8_t* panel,
          const float* panel_scales, float* c) {
  dispatch_isa([&] { tile_portable<M>(a, stride, xs, blocks, panel, panel_scales, c); },
               [&] { tile_avx2<M>(a, stride, xs, blocks, panel, panel_scales, c); },
               [&] { tile_avx2<M>(a, stride, xs, blocks, panel, panel_scales, c); });
}

}  // namespace

void quantize_rows_int8(const float* x, int64_t rows, int64_t in, Int8Rows& out) {
  out.rows = rows;
  out.in = in;
  out.blocks = (in + kInt8Block - 1) / kInt8Block;
  out.stride = out.blocks * kInt8Block;
  out.q.resize(static_cast<size_t>(rows * out.stride));
  out.scales.resize(static_cast<size_t>(rows * out.blocks));
  const bool avx2 = kernel_isa() != Isa::portable;
  parallel_for(rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int8_t* q = out.q.data() + r * out.stride;
      float* s = out.scales.data() + r * out.blocks;
      if (avx2)
        quantize_row_avx2(x + r * in, in, out.blocks, q, s);
      else
        quantize_row_portable(x + r * in, in, out.blocks, q, s);
    }
  });
}

void int8_gemm(const Int8Rows& x, const LinearWeights& w, int64_t o_begin, int64_t o_end, float* y, bool accumulate) {
  thread_local std::vector<int8_t> panel;
  thread_local std::vector<float> panel_scales;
  panel.resize(static_cast<size_t>(x.stride * kPanel));
  panel_scales.resize(static_cast<size_t>(x.blocks * kPanel));
  alignas(32) float c[kTileRows * kPanel];
  for (int64_t o0 = o_begin; o0 < o_end; o0 += kPanel) {
    const int64_t n = std::min(kPanel, o_end - o0);
    pack_panel(w, o0, n, x.stride, panel.data(), panel_scales.data());
    for (int64_t r0 = 0; r0 < x.rows; r0 += kTileRows) {
      const int m = static_cast<int>(std::min<int64_t>(kTileRows, x.rows - r0));
      std::fill(c, c + kTileRows * kPanel, 0.0f);
      if (accumulate)
        for (int r = 0; r < m; ++r) std::copy_n(y + (r0 + r) * w.out + o0, n, c + r * kPanel);
      const int8_t* a = x.q.data() + r0 * x.stride;
      const float* xs = x.scales.data() + r0 * x.blocks;
      switch (m) {
        case 1: tile<1>(a, x.stride, xs, x.blocks, panel.data(), panel_scales.data(), c); break;
        case 2: tile<2>(a, x.stride, xs, x.blocks, panel.data(), panel_scales.data(), c); break;
        case 3: tile<3>(a, x.stride, xs, x.blocks, panel.data(), panel_scales.data(), c); break;
        default: tile<4>(a, x.stride, xs, x.blocks, panel.data(), panel_scales.data(), c); break;
      }
      for (int r = 0; r < m; ++r) std::copy_n(c + r * kPanel, n, y + (r0 + r) * w.out + o0);
    }
  }
}

}  // namespace tokprob
