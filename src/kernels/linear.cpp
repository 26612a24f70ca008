#include "kernels/linear.hpp"

#include <cblas.h>

#include <thread>

namespace tokprob {

void linear(const float* x, int64_t rows, const LinearWeights& w, float* y, bool accumulate) {
  if (rows <= 0) return;
  const float beta = accumulate ? 1.0f : 0.0f;
  if (rows == 1) {
    // One row (decoding) is a matrix-vector product: sgemm would first copy the whole weight
    // matrix into its packed layout, doubling the memory traffic that bounds this case.
    if (w.stored_in_out)
      cblas_sgemv(CblasRowMajor, CblasTrans, static_cast<int>(w.in), static_cast<int>(w.out), 1.0f, w.w,
                  static_cast<int>(w.out), x, 1, beta, y, 1);
    else
      cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(w.out), static_cast<int>(w.in), 1.0f, w.w,
                  static_cast<int>(w.in), x, 1, beta, y, 1);
  } else if (w.stored_in_out) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(w.out),
                static_cast<int>(w.in), 1.0f, x, static_cast<int>(w.in), w.w, static_cast<int>(w.out), beta, y,
                static_cast<int>(w.out));
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(w.out),
                static_cast<int>(w.in), 1.0f, x, static_cast<int>(w.in), w.w, static_cast<int>(w.in), beta, y,
                static_cast<int>(w.out));
  }
  if (w.b) {
    for (int64_t r = 0; r < rows; ++r) {
      float* yr = y + r * w.out;
      for (int64_t j = 0; j < w.out; ++j) yr[j] += w.b[j];
    }
  }
}

namespace {
int g_threads = 0;
}

void set_num_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  g_threads = n;
  openblas_set_num_threads(n);
}

int num_threads() {
  if (g_threads == 0) set_num_threads(0);
  return g_threads;
}

}  // namespace tokprob
