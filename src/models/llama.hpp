// Llama-family decoders (LlamaForCausalLM and the architectures that share its layout:
// MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Olmo2ForCausalLM, MixtralForCausalLM,
// Qwen3MoeForCausalLM): pre-RMSNorm blocks, rotary positions in the
// "rotate half" layout, grouped-query attention, gated (SwiGLU) feed-forward, tied or untied head.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/load_options.hpp"
#include "models/causal_lm.hpp"

namespace tokprob {

std::unique_ptr<CausalLM> load_llama(const Config& config, Weights weights, const ModelLoadOptions& options = {});
// Mistral: Llama's layout; its sliding window is enforced by refusing longer sequences.
std::unique_ptr<CausalLM> load_mistral(const Config& config, Weights weights, const ModelLoadOptions& options = {});
// Qwen2: Llama's layout with biases on the q/k/v projections.
std::unique_ptr<CausalLM> load_qwen2(const Config& config, Weights weights, const ModelLoadOptions& options = {});
// Qwen3: Llama's layout (attention_bias on q/k/v/o) with an RMSNorm over each query and key head.
std::unique_ptr<CausalLM> load_qwen3(const Config& config, Weights weights, const ModelLoadOptions& options = {});
// OLMo 2: Llama's layout with RMSNorms after each block instead of before, and an RMSNorm over the
// whole query and key projections.
std::unique_ptr<CausalLM> load_olmo2(const Config& config, Weights weights, const ModelLoadOptions& options = {});
// Mixtral: Mistral's attention with a sparse mixture of experts in every layer (top-k of the
// router's softmax, renormalised over the k chosen).
std::unique_ptr<CausalLM> load_mixtral(const Config& config, Weights weights, const ModelLoadOptions& options = {});
// Qwen3-MoE: Qwen3's attention with a sparse mixture of experts in the layers decoder_sparse_step
// and mlp_only_layers leave sparse (norm_topk_prob says whether to renormalise), dense MLPs elsewhere.
std::unique_ptr<CausalLM> load_qwen3_moe(const Config& config, Weights weights, const ModelLoadOptions& options = {});

}  // namespace tokprob
