// Element-wise activation functions, by the names configs use.
#pragma once

#include <cstdint>
#include <string>

namespace tokprob {

enum class Activation {
  gelu_tanh,   // gelu_new, gelu_pytorch_tanh, gelu_fast: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))
  gelu_erf,    // gelu: 0.5x(1 + erf(x/sqrt(2)))
  quick_gelu,  // x * sigmoid(1.702x)
  relu,
  silu,        // silu, swish
  tanh,
  sigmoid,
};

// Throws tokprob::Error naming `source` (e.g. "config.json activation_function") for an unknown name.
Activation parse_activation(const std::string& name, const std::string& source);

void apply_activation(Activation act, float* x, int64_t n);

// out[i] = act(gate[i]) * up[i]  (gated feed-forward: SwiGLU, GeGLU)
void gated_activation(Activation act, const float* gate, const float* up, float* out, int64_t n);

}  // namespace tokprob
