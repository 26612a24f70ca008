#include "kernels/cpu_isa.hpp"

#include <atomic>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// The features of the x86-64-v4 and -v3 levels the kernels are compiled for, by name (clang knows
// no level names here). F16C, MOVBE and LZCNT of v3 are not names clang accepts either; every CPU
// with AVX2, FMA and BMI2 has them.
Isa detect() {
  __builtin_cpu_init();
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                  __builtin_cpu_supports("avx512vl");
  return v4 ? Isa::avx512 : v3 ? Isa::avx2 : Isa::portable;
}

std::atomic<Isa>& active() {
  static std::atomic<Isa> isa{detected_isa()};
  return isa;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    case Isa::portable: return "portable";
  }
  return "?";
}

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::portable, Isa::avx2, Isa::avx512})
    if (static_cast<int>(isa) <= static_cast<int>(detected_isa())) out.push_back(isa);
  return out;
}

Isa kernel_isa() { return active().load(std::memory_order_relaxed); }

void force_kernel_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(detected_isa()))
    fail(std::string("this CPU cannot run the ") + isa_name(isa) + " kernels (it has " + isa_name(detected_isa()) +
         ")");
  active().store(isa, std::memory_order_relaxed);
}

}  // namespace tokprob
