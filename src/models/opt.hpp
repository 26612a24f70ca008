// OPT (OPTForCausalLM): learned absolute positions read two rows past the position, multi-head
// attention with biases, LayerNorm before (or, with do_layer_norm_before false, after) each block,
// a plain two-layer feed-forward, and word embeddings narrower or wider than the stream
// (word_embed_proj_dim) projected in after the lookup and out before the head.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/causal_lm.hpp"
#include "models/load_options.hpp"

namespace tokprob {

std::unique_ptr<CausalLM> load_opt(const Config& config, Weights weights, const ModelLoadOptions& options = {});

}  // namespace tokprob
