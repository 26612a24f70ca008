// Runs a block of a test with the kernels forced onto one instruction-set variant, restoring the
// detected one afterwards, so every variant this CPU has is checked against the same reference.
#pragma once

#include "kernels/cpu_isa.hpp"

namespace tokprob {

class ForcedIsa {
 public:
  explicit ForcedIsa(Isa isa) { force_kernel_isa(isa); }
  ~ForcedIsa() { force_kernel_isa(detected_isa()); }
  ForcedIsa(const ForcedIsa&) = delete;
  ForcedIsa& operator=(const ForcedIsa&) = delete;
};

}  // namespace tokprob
