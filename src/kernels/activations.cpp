#include "kernels/activations.hpp"

#include <cmath>
#include <map>

#include "kernels/cpu_isa.hpp"
#include "kernels/vector_math.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

Activation parse_activation(const std::string& name, const std::string& source) {
  static const std::map<std::string, Activation> table = {
      {"gelu_new", Activation::gelu_tanh},   {"gelu_pytorch_tanh", Activation::gelu_tanh},
      {"gelu_fast", Activation::gelu_tanh},  {"gelu", Activation::gelu_erf},
      {"gelu_python", Activation::gelu_erf}, {"quick_gelu", Activation::quick_gelu},
      {"relu", Activation::relu},            {"silu", Activation::silu},
      {"swish", Activation::silu},           {"tanh", Activation::tanh},
      {"sigmoid", Activation::sigmoid}};
  auto it = table.find(name);
  if (it == table.end()) fail(source + ": unsupported activation '" + name + "'");
  return it->second;
}

namespace {

inline float activate(Activation act, float x) {
  switch (act) {
    case Activation::gelu_tanh: {
      constexpr float k = 0.7978845608028654f;  // sqrt(2/pi)
      return 0.5f * x * (1.0f + vmath::tanh(k * (x + 0.044715f * x * x * x)));
    }
    case Activation::gelu_erf: return 0.5f * x * (1.0f + vmath::erf(x * 0.7071067811865476f));
    case Activation::quick_gelu: return x / (1.0f + vmath::exp(-1.702f * x));
    case Activation::relu: return x < 0.0f ? 0.0f : x;  // NaN stays NaN, as in the reference
    case Activation::silu: return x / (1.0f + vmath::exp(-x));
    case Activation::tanh: return vmath::tanh(x);
    case Activation::sigmoid: return 1.0f / (1.0f + vmath::exp(-x));
  }
  return x;
}

// One loop per activation so that each vectorises; the variants below pick AVX-512 or AVX2 at run time.
template <Activation A>
[[gnu::always_inline]] inline void apply_loop(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = activate(A, x[i]);
}
template <Activation A>
[[gnu::always_inline]] inline void gated_loop(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = activate(A, gate[i]) * up[i];
}

[[gnu::always_inline]] inline void apply_dispatch(Activation act, float* x, int64_t n) {
  switch (act) {
    case Activation::gelu_tanh: return apply_loop<Activation::gelu_tanh>(x, n);
    case Activation::gelu_erf: return apply_loop<Activation::gelu_erf>(x, n);
    case Activation::quick_gelu: return apply_loop<Activation::quick_gelu>(x, n);
    case Activation::relu: return apply_loop<Activation::relu>(x, n);
    case Activation::silu: return apply_loop<Activation::silu>(x, n);
    case Activation::tanh: return apply_loop<Activation::tanh>(x, n);
    case Activation::sigmoid: return apply_loop<Activation::sigmoid>(x, n);
  }
}

[[gnu::always_inline]] inline void gated_dispatch(Activation act, const float* gate, const float* up, float* out, int64_t n) {
  switch (act) {
    case Activation::gelu_tanh: return gated_loop<Activation::gelu_tanh>(gate, up, out, n);
    case Activation::gelu_erf: return gated_loop<Activation::gelu_erf>(gate, up, out, n);
    case Activation::quick_gelu: return gated_loop<Activation::quick_gelu>(gate, up, out, n);
    case Activation::relu: return gated_loop<Activation::relu>(gate, up, out, n);
    case Activation::silu: return gated_loop<Activation::silu>(gate, up, out, n);
    case Activation::tanh: return gated_loop<Activation::tanh>(gate, up, out, n);
    case Activation::sigmoid: return gated_loop<Activation::sigmoid>(gate, up, out, n);
  }
}

// One instantiation per instruction-set variant (kernels/cpu_isa.hpp).
TOKPROB_TARGET_AVX512 void apply_avx512(Activation act, float* x, int64_t n) { apply_dispatch(act, x, n); }
TOKPROB_TARGET_AVX2 void apply_avx2(Activation act, float* x, int64_t n) { apply_dispatch(act, x, n); }
void apply_portable(Activation act, float* x, int64_t n) { apply_dispatch(act, x, n); }

TOKPROB_TARGET_AVX512 void gated_avx512(Activation act, const float* gate, const float* up, float* out, int64_t n) {
  gated_dispatch(act, gate, up, out, n);
}
TOKPROB_TARGET_AVX2 void gated_avx2(Activation act, const float* gate, const float* up, float* out, int64_t n) {
  gated_dispatch(act, gate, up, out, n);
}
void gated_portable(Activation act, const float* gate, const float* up, float* out, int64_t n) {
  gated_dispatch(act, gate, up, out, n);
}

}  // namespace

void apply_activation(Activation act, float* x, int64_t n) {
  dispatch_isa([&] { apply_portable(act, x, n); }, [&] { apply_avx2(act, x, n); }, [&] { apply_avx512(act, x, n); });
}

void gated_activation(Activation act, const float* gate, const float* up, float* out, int64_t n) {
  dispatch_isa([&] { gated_portable(act, gate, up, out, n); }, [&] { gated_avx2(act, gate, up, out, n); },
               [&] { gated_avx512(act, gate, up, out, n); });
}

}  // namespace tokprob
