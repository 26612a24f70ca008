// BART, mBART and Marian (BartForConditionalGeneration, MBartForConditionalGeneration,
// MarianMTModel): encoder-decoder with learned positions (offset 2; Marian: a fixed sinusoidal
// table from 0), embeddings scaled by sqrt(d_model) when scale_embedding, a LayerNorm after the
// embeddings (none in Marian), biased q/k/v/out projections scaled by head_dim^-0.5, a two-layer
// feed-forward with activation_function, LayerNorms after each block (BART) or before each block
// with a final LayerNorm per stack (mBART), and an LM head (tied to the shared embeddings or not)
// plus final_logits_bias. Marian's decoder may have a vocabulary of its own (decoder_vocab_size).
#pragma once

#include <memory>

#include "io/config.hpp"
#include "io/safetensors.hpp"
#include "models/load_options.hpp"
#include "models/seq2seq_lm.hpp"

namespace tokprob {

std::unique_ptr<Seq2SeqLM> load_bart(const Config& config, Weights weights, const ModelLoadOptions& options = {});

}  // namespace tokprob
