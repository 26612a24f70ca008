// GPT-2 (GPT2LMHeadModel): learned absolute positions, pre-LayerNorm blocks, Conv1D weights
// stored [in, out], LM head tied to the token embeddings.
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/load_options.hpp"
#include "models/causal_lm.hpp"

namespace tokprob {

std::unique_ptr<CausalLM> load_gpt2(const Config& config, Weights weights, const ModelLoadOptions& options = {});
// GPTBigCode (SantaCoder, StarCoder): GPT-2's layout with nn.Linear weights [out, in] and, with
// multi_query (the default), one key/value head shared by all query heads.
std::unique_ptr<CausalLM> load_gpt_bigcode(const Config& config, Weights weights, const ModelLoadOptions& options = {});

}  // namespace tokprob
