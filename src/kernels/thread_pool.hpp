// The one pool of worker threads every kernel shares (the BLAS library is kept single-threaded
// and called from these threads, so the two never oversubscribe the cores).
#pragma once

#include <cstdint>
#include <functional>

namespace tokprob {

// Runs fn(begin, end) over [0, n) split into about one chunk per thread (chunks never smaller
// than min_chunk); the calling thread takes part. Nested calls run serially.
void parallel_for(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

// Threads used by parallel_for (and so by every kernel); 0 = all cores.
void set_pool_threads(int n);
int pool_threads();

}  // namespace tokprob
