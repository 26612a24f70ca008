// Phi-3: Llama's layout with one fused q/k/v projection and one fused gate/up projection, no
// biases, rotary positions on a part of each head (Phi-4-mini) with default or longrope scaling,
// and a sliding window over every layer when the config gives one.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/causal_lm.hpp"
#include "models/load_options.hpp"

namespace tokprob {

std::unique_ptr<CausalLM> load_phi3(const Config& config, Weights weights, const ModelLoadOptions& options = {});

}  // namespace tokprob
