#include "kernels/cpu_isa.hpp"

#include <atomic>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

Isa detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return Isa::avx512;
  if (__builtin_cpu_supports("x86-64-v3")) return Isa::avx2;
  return Isa::portable;
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
