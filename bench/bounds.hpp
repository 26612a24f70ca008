// The machine's own limits, measured in the same run as the engine figures they are compared with:
// how fast memory can be streamed, and how fast BLAS multiplies large fp32 matrices.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>

#include "kernels/weight_arena.hpp"

namespace tokprob::bench {

// A buffer much larger than the last-level cache, filled once so its pages are resident. Its
// memory comes from a WeightArena, as converted weights' does: 2 MiB pages where the kernel gives
// them, on which this machine streams ~20 % faster than on 4 KiB pages (the hardware prefetcher
// stops at page boundaries). A heap buffer made the bound slower than the weights' own memory, one
// of the two reasons bf16/f16/int8 decoding "beat" it (f16 at 140 %; the other: see bounds.cpp).
class ReadBuffer {
 public:
  explicit ReadBuffer(size_t bytes);
  const float* data() const { return data_; }
  size_t floats() const { return floats_; }
  size_t bytes() const { return floats_ * sizeof(float); }

 private:
  WeightArena arena_;
  size_t floats_;
  float* data_;
};

// The best rate of several runs, by wall time and by CPU time (see timing.hpp): on a shared machine
// the CPU-time rate is closer to what the hardware does while the benchmark has the cores.
struct Rate {
  double wall = 0, cpu = 0;
};

// Read bandwidth in GB/s (1e9 bytes/s) of `threads` threads each summing its slice of `buf`.
Rate read_bandwidth_gbs(const ReadBuffer& buf, int threads, int repeats);

// Read rate in GB/s of `threads` threads summing their slices of `file` through a mapping made
// for the run (mmap to munmap). A new process reads its weights this way: where first touches of
// pages are dear (a virtual machine with shadowed page tables) this is far below the bandwidth.
Rate fresh_mapping_read_gbs(const std::filesystem::path& file, int threads, int repeats);

// cblas_sgemm rate in GFLOP/s (2n^3 flops) on n×n matrices with `threads` BLAS threads.
Rate sgemm_gflops(int n, int threads, int repeats);

// The int8 products' instruction peak, in G int8 ops/s (a multiply-add of two int8 values counts 2,
// as a flop pair does for sgemm): `threads` threads each run, in registers only, the sequence the
// int8 kernel uses per 32 products (kernels/int8_gemm.hpp: vpsignb, vpmaddubsw, vpmaddwd, vpaddd)
// on 12 independent accumulators. Absent on a CPU without AVX2.
std::optional<Rate> int8_dot_gops(int threads, int repeats);

}  // namespace tokprob::bench
