#include "kernels/activations.hpp"

#include <cmath>
#include <map>

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
      return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
    }
    case Activation::gelu_erf: return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
    case Activation::quick_gelu: return x / (1.0f + std::exp(-1.702f * x));
    case Activation::relu: return x > 0.0f ? x : 0.0f;
    case Activation::silu: return x / (1.0f + std::exp(-x));
    case Activation::tanh: return std::tanh(x);
    case Activation::sigmoid: return 1.0f / (1.0f + std::exp(-x));
  }
  return x;
}

}  // namespace

void apply_activation(Activation act, float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = activate(act, x[i]);
}

void gated_activation(Activation act, const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = activate(act, gate[i]) * up[i];
}

}  // namespace tokprob
