// Which instruction-set variant of the hand-written kernels runs. Each kernel is compiled once per
// variant from one source (GCC vector extensions widen to the registers the variant has); the
// variant is chosen at run time from the CPU's features, and tests and benchmarks can force a
// narrower one to check every variant against the portable one on this machine.
#pragma once

#include <vector>

namespace tokprob {

enum class Isa {
  portable,  // baseline x86-64 (SSE2)
  avx2,      // x86-64-v3: AVX2, FMA, F16C
  avx512,    // x86-64-v4: AVX-512 F/BW/CD/DQ/VL
};

const char* isa_name(Isa isa);

// The widest variant this CPU runs.
Isa detected_isa();
// Every variant this CPU runs, narrowest first.
std::vector<Isa> supported_isas();

// The variant the kernels use now: detected_isa() unless forced lower.
Isa kernel_isa();
// Forces the kernels onto `isa` (for tests and benchmarks); a variant the CPU lacks is refused
// with an error. Not meant to change while kernels run on other threads.
void force_kernel_isa(Isa isa);

// Runs one of three instantiations of a kernel by kernel_isa(); each is a function compiled for
// its target (see TOKPROB_ISA_VARIANT), so the call costs one predictable branch.
template <class Portable, class Avx2, class Avx512>
inline decltype(auto) dispatch_isa(Portable&& portable, Avx2&& avx2, Avx512&& avx512) {
  switch (kernel_isa()) {
    case Isa::avx512: return avx512();
    case Isa::avx2: return avx2();
    default: return portable();
  }
}

}  // namespace tokprob

// Target attributes of the variants, for the wrapper functions that instantiate a kernel body.
#define TOKPROB_TARGET_AVX512 __attribute__((target("arch=x86-64-v4")))
#define TOKPROB_TARGET_AVX2 __attribute__((target("arch=x86-64-v3")))
