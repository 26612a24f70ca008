#include "bounds.hpp"

#include <cblas.h>
#include <immintrin.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "kernels/linear.hpp"
#include "timing.hpp"
#include "tokprob/error.hpp"

namespace tokprob::bench {

namespace {

// Native-width vectors and eight independent accumulators, so that the adds never wait on each
// other and the loop is limited by memory. The generic 64-byte vectors used before were lowered by
// GCC's AVX2 clone through the stack (every accumulator stored and reloaded per step): the loop was
// compute-bound at ~13.5 GB/s where memory gives ~23, and decoding came out above its bound.
typedef float Vec4 __attribute__((vector_size(16)));
typedef float Vec8 __attribute__((vector_size(32)));

template <class V>
[[gnu::always_inline]] inline float sum_floats_with(const float* p, size_t n) {
  constexpr size_t kLanes = sizeof(V) / sizeof(float), kStep = 8 * kLanes;
  V a[8] = {};
  size_t i = 0;
  for (; i + kStep <= n; i += kStep)
    for (size_t k = 0; k < 8; ++k) {
      V v;
      std::memcpy(&v, p + i + k * kLanes, sizeof v);
      a[k] += v;
    }
  const V t = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  float s = 0;
  for (size_t k = 0; k < kLanes; ++k) s += t[k];
  for (; i < n; ++i) s += p[i];
  return s;
}

__attribute__((target("avx2"))) float sum_floats_avx2(const float* p, size_t n) { return sum_floats_with<Vec8>(p, n); }

float sum_floats(const float* p, size_t n) {
  return __builtin_cpu_supports("avx2") ? sum_floats_avx2(p, n) : sum_floats_with<Vec4>(p, n);
}

std::atomic<float> g_sink{0};  // keeps the sums observable so they are not optimised away

}  // namespace

ReadBuffer::ReadBuffer(size_t bytes)
    : floats_(bytes / sizeof(float) / 64 * 64), data_(static_cast<float*>(arena_.allocate(floats_ * sizeof(float)))) {
  float* p = data_;
  for (size_t i = 0; i < floats_; ++i) p[i] = static_cast<float>(i & 1023) * 1e-3f;
}

namespace {

// `threads` threads each sum `per_thread` floats of `data`, their own slice. Returns the CPU time of
// the busiest: the slowest reader decides when the whole range has been read.
double parallel_sum_cpu_s(const float* data, size_t per_thread, int threads) {
  std::vector<float> sums(threads);
  std::vector<double> cpu(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      timespec a{}, b{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
      sums[t] = sum_floats(data + t * per_thread, per_thread);
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
      cpu[t] = static_cast<double>(b.tv_sec - a.tv_sec) + 1e-9 * static_cast<double>(b.tv_nsec - a.tv_nsec);
    });
  for (auto& th : pool) th.join();
  float total = 0;
  for (float s : sums) total += s;
  g_sink.store(total, std::memory_order_relaxed);
  return *std::max_element(cpu.begin(), cpu.end());
}

}  // namespace

Rate read_bandwidth_gbs(const ReadBuffer& buf, int threads, int repeats) {
  const size_t per_thread = buf.floats() / threads / 64 * 64;
  const double bytes = static_cast<double>(per_thread * threads * sizeof(float));
  Rate best;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    const double busiest = parallel_sum_cpu_s(buf.data(), per_thread, threads);
    best.wall = std::max(best.wall, bytes / seconds_since(start) / 1e9);
    best.cpu = std::max(best.cpu, bytes / busiest / 1e9);
  }
  return best;
}

Rate fresh_mapping_read_gbs(const std::filesystem::path& file, int threads, int repeats) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) fail("cannot open " + file.string());
  const auto bytes = static_cast<size_t>(st.st_size);
  const size_t per_thread = bytes / sizeof(float) / threads / 64 * 64;
  const double read = static_cast<double>(per_thread * threads * sizeof(float));
  Rate best;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) fail("cannot map " + file.string());
    const double busiest = parallel_sum_cpu_s(static_cast<const float*>(map), per_thread, threads);
    ::munmap(map, bytes);
    best.wall = std::max(best.wall, read / seconds_since(start) / 1e9);
    best.cpu = std::max(best.cpu, read / busiest / 1e9);
  }
  ::close(fd);
  return best;
}

Rate sgemm_gflops(int n, int threads, int repeats) {
  std::vector<float> a(static_cast<size_t>(n) * n), b(a.size()), c(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>(i % 97) * 0.01f;
    b[i] = static_cast<float>(i % 89) * 0.01f;
  }
  // The peak is OpenBLAS's own multi-threaded sgemm on large squares (the engine itself keeps
  // OpenBLAS single-threaded inside its own pool).
  openblas_set_num_threads(threads);
  auto run = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(),
                n);
  };
  run();  // warm-up: thread pool start, first touch of c
  const Summary s = time_runs(repeats, run);
  openblas_set_num_threads(1);
  const double flops = 2.0 * n * static_cast<double>(n) * n;
  const double best_cpu = *std::min_element(s.cpu_runs.begin(), s.cpu_runs.end()) / threads;
  return {flops / s.best / 1e9, flops / best_cpu / 1e9};
}

namespace {

constexpr int64_t kInt8PeakSteps = 20'000'000;  // of 12 × 32 products each: ~0.1 s per thread

// Six activation vectors against two weight vectors per step, as a 6 × 16 tile would; the empty asm
// keeps the weights from being treated as loop constants (so the products are not hoisted).
__attribute__((target("avx2"))) int32_t int8_peak_loop(int64_t steps, int8_t seed) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i w0 = _mm256_set1_epi8(seed), w1 = _mm256_set1_epi8(static_cast<int8_t>(seed + 1));
  __m256i a[6], acc[12];
  for (int i = 0; i < 6; ++i) a[i] = _mm256_set1_epi8(static_cast<int8_t>(seed - 3 * i));
  for (auto& v : acc) v = _mm256_setzero_si256();
  for (int64_t s = 0; s < steps; ++s) {
    for (int i = 0; i < 6; ++i) {
      const __m256i ax = _mm256_sign_epi8(a[i], a[i]);
      acc[2 * i] = _mm256_add_epi32(acc[2 * i], _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w0, a[i])), ones));
      acc[2 * i + 1] =
          _mm256_add_epi32(acc[2 * i + 1], _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w1, a[i])), ones));
    }
    __asm__ volatile("" : "+x"(w0), "+x"(w1));
  }
  __m256i t = acc[0];
  for (int i = 1; i < 12; ++i) t = _mm256_add_epi32(t, acc[i]);
  return _mm256_extract_epi32(t, 0);
}

std::atomic<int32_t> g_int_sink{0};

}  // namespace

std::optional<Rate> int8_dot_gops(int threads, int repeats) {
  if (!__builtin_cpu_supports("avx2")) return std::nullopt;
  const double ops = 2.0 * 12 * 32 * static_cast<double>(kInt8PeakSteps) * threads;
  Rate best;
  for (int r = 0; r < repeats; ++r) {
    std::vector<double> cpu(threads);
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        timespec a{}, b{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        g_int_sink.fetch_add(int8_peak_loop(kInt8PeakSteps, static_cast<int8_t>(5 + t)), std::memory_order_relaxed);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        cpu[t] = static_cast<double>(b.tv_sec - a.tv_sec) + 1e-9 * static_cast<double>(b.tv_nsec - a.tv_nsec);
      });
    for (auto& th : pool) th.join();
    const double wall = seconds_since(start);
    best.wall = std::max(best.wall, ops / wall / 1e9);
    best.cpu = std::max(best.cpu, ops / *std::max_element(cpu.begin(), cpu.end()) / 1e9);
  }
  return best;
}

}  // namespace tokprob::bench
