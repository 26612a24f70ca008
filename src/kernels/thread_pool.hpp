// The one pool of worker threads every kernel shares (the BLAS library is kept single-threaded
// and called from these threads, so the two never oversubscribe the cores).
#pragma once

#include <cstdint>
#include <functional>

namespace tokprob {

// Runs fn(begin, end) over [0, n) split into about one chunk per thread (chunks never smaller
// than min_chunk); the calling thread takes part. Nested calls run serially.
void parallel_for(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

// Like parallel_for, but [0, n) is cut into up to kBalancedChunksPerThread chunks per thread (never
// smaller than min_chunk), each taken by whichever thread is free: a thread that the OS has
// descheduled (another process on its core) then holds up one small chunk, not its whole share,
// while the others take the rest. For memory-bound kernels whose result does not depend on how the
// range is cut (decoding's matrix products).
inline constexpr int64_t kBalancedChunksPerThread = 4;
void parallel_for_balanced(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

// Threads used by parallel_for (and so by every kernel); 0 = all cores.
void set_pool_threads(int n);
int pool_threads();

}  // namespace tokprob
