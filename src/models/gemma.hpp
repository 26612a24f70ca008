// The Gemma decoders: Llama's layout with embeddings scaled by sqrt(hidden_size), RMSNorms scaling
// by (1 + w), GeGLU feed-forward and a tied head. Gemma 2 adds norms after each block, attention
// and final-logit soft-capping, alternating sliding windows and query_pre_attn_scalar; Gemma 3
// (text) drops the attention soft-cap, adds per-head q/k norms and rotates its sliding and full
// layers with ropes of their own.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/causal_lm.hpp"
#include "models/load_options.hpp"

namespace tokprob {

std::unique_ptr<CausalLM> load_gemma(const Config& config, Weights weights, const ModelLoadOptions& options = {});
std::unique_ptr<CausalLM> load_gemma2(const Config& config, Weights weights, const ModelLoadOptions& options = {});
std::unique_ptr<CausalLM> load_gemma3_text(const Config& config, Weights weights, const ModelLoadOptions& options = {});

}  // namespace tokprob
