#include "kernels/linear.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "kernels/int8_gemm.hpp"
#include "kernels/packed_gemm.hpp"
#include "kernels/skinny_gemm.hpp"
#include "kernels/thread_pool.hpp"

namespace tokprob {

namespace {

// Column blocks handed to each thread: multiples of 32 keep the skinny kernel's [in, out] tiles
// whole and BLAS's panels aligned.
constexpr int64_t kColumnAlign = 32;

// Fewer outputs than this (a classifier's labels, a tiny model's FFN) from at least
// kLaneSumMinInputs inputs take the few-row kernels eight rows at a time whatever the row count:
// their sums in 16 lanes round as torch's do on such shapes, where BLAS's one long sum per output
// rounded about 1.5 times worse (an 8-wide FFN of 48 inputs: worse than torch in 99 % of drawn
// models). With fewer inputs each lane holds only a product or two, and adding up the 16 lanes
// costs more rounding than BLAS's one fused sum (measured: the lanes win from 32 inputs on). Not
// int8 weights: their few-row kernel rounds the activations to int16, which BLAS on the widened
// weights does not.
constexpr int64_t kNarrowOutputs = 16;
constexpr int64_t kLaneSumMinInputs = 32;

void blas_block(const float* x, int64_t rows, const LinearWeights& w, int64_t c0, int64_t c1, float* y, float beta) {
  const int n = static_cast<int>(c1 - c0);
  if (w.stored_in_out)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), n, static_cast<int>(w.in), 1.0f,
                x, static_cast<int>(w.in), w.w + c0, static_cast<int>(w.out), beta, y + c0, static_cast<int>(w.out));
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), n, static_cast<int>(w.in), 1.0f, x,
                static_cast<int>(w.in), w.w + c0 * w.in, static_cast<int>(w.in), beta, y + c0,
                static_cast<int>(w.out));
}

// Reduced-precision weights with many rows: widened to fp32 256 columns at a time into a per-thread
// buffer, then multiplied by BLAS (narrower blocks cost BLAS efficiency: 64 columns measured a few
// percent slower); widening costs O(in·out) against the product's O(rows·in·out).
void widened_blas_block(const float* x, int64_t rows, const LinearWeights& w, int64_t c0, int64_t c1, float* y,
                        float beta) {
  constexpr int64_t kWidenColumns = 256;
  thread_local std::vector<float> widened;
  widened.resize(static_cast<size_t>(kWidenColumns * w.in));
  for (int64_t s0 = c0; s0 < c1; s0 += kWidenColumns) {
    const int64_t s1 = std::min(c1, s0 + kWidenColumns);
    widen_rows(w, s0, s1, widened.data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(s1 - s0),
                static_cast<int>(w.in), 1.0f, x, static_cast<int>(w.in), widened.data(), static_cast<int>(w.in), beta,
                y + s0, static_cast<int>(w.out));
  }
}

std::atomic<Int8Products> g_int8_products{Int8Products::widened};

}  // namespace

void set_int8_products(Int8Products mode) { g_int8_products.store(mode, std::memory_order_relaxed); }
Int8Products int8_products() { return g_int8_products.load(std::memory_order_relaxed); }

void linear(const float* x, int64_t rows, const LinearWeights& w, float* y, bool accumulate) {
  if (rows <= 0) return;
  static const bool blas_single_threaded = (openblas_set_num_threads(1), true);
  (void)blas_single_threaded;
  const int64_t blocks = (w.out + kColumnAlign - 1) / kColumnAlign;
  // Many rows of int8 weights: the activations are quantised once, before the columns are split.
  const bool integer = w.format == WeightFormat::int8 && rows > kSkinnyMaxRows && int8_products() == Int8Products::integer;
  // The calling thread's buffer, reached by pointer: inside the lambda the name of a thread_local
  // would mean each worker's own.
  thread_local Int8Rows quantized_here;
  Int8Rows* const quantized = &quantized_here;
  if (integer) quantize_rows_int8(x, rows, w.in, *quantized);
  // Each thread takes whole column blocks; the BLAS library runs single-threaded inside them. A few
  // rows (decoding) are memory-bound and cut into several chunks per thread, taken by whichever
  // thread is free: with one chunk each, a worker the OS had descheduled for a moment held up
  // every matrix of the step. Each column's sum is the same however the columns are cut.
  const auto split = rows <= kSkinnyMaxRows ? parallel_for_balanced : parallel_for;
  const bool narrow =
      w.out < kNarrowOutputs && w.in >= kLaneSumMinInputs && !w.stored_in_out && w.format != WeightFormat::int8;
  split(blocks, rows <= kSkinnyMaxRows ? 8 : 4, [&](int64_t b0, int64_t b1) {
    const int64_t c0 = b0 * kColumnAlign, c1 = std::min(w.out, b1 * kColumnAlign);
    const bool packed = w.format != WeightFormat::f32;
    if (rows <= kSkinnyMaxRows || narrow)
      for (int64_t r0 = 0; r0 < rows; r0 += kSkinnyMaxRows) {
        const int64_t m = std::min(kSkinnyMaxRows, rows - r0);
        if (packed)
          packed_skinny_gemm(x + r0 * w.in, m, w, c0, c1, y + r0 * w.out, accumulate);
        else
          skinny_gemm(x + r0 * w.in, m, w.in, w.w, w.out, w.stored_in_out, c0, c1, y + r0 * w.out, accumulate);
      }
    else if (integer)
      int8_gemm(*quantized, w, c0, c1, y, accumulate);
    else if (packed)
      widened_blas_block(x, rows, w, c0, c1, y, accumulate ? 1.0f : 0.0f);
    else
      blas_block(x, rows, w, c0, c1, y, accumulate ? 1.0f : 0.0f);
    if (w.b)
      for (int64_t r = 0; r < rows; ++r) {
        float* yr = y + r * w.out;
        for (int64_t j = c0; j < c1; ++j) yr[j] += w.b[j];
      }
  });
}

void set_num_threads(int n) {
  openblas_set_num_threads(1);
  set_pool_threads(n);
}

int num_threads() { return pool_threads(); }

}  // namespace tokprob
