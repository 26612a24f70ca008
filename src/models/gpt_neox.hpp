// GPT-NeoX (Pythia): LayerNorm blocks, parallel (or sequential) residual, rotary positions on a
// part of each head, a fused per-head q/k/v projection, and an untied head (embed_out).
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/causal_lm.hpp"
#include "models/load_options.hpp"

namespace tokprob {

std::unique_ptr<CausalLM> load_gpt_neox(const Config& config, Weights weights, const ModelLoadOptions& options = {});

}  // namespace tokprob
