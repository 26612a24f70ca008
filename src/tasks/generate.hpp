// The engine side of the task (public options and results: tokprob/generate.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generate/generation.hpp"
#include "models/causal_lm.hpp"
#include "tokprob/generate.hpp"

namespace tokprob {

// Throws tokprob::Error: OptionError for bad options (validate), data errors for a prompt the
// model cannot take.
GenerateResult generate_text(const CausalLM& model, const Tokenizer& tokenizer, const std::string& text,
                             const GenerateOptions& options, const GenerateStream& stream = {});

// The same for a prompt given as token ids, continued exactly as given; the result's text is empty.
// Throws tokprob::Error for no ids or an id outside the model's vocabulary.
GenerateResult generate_ids(const CausalLM& model, const Tokenizer& tokenizer, std::vector<int32_t> input_ids,
                            const GenerateOptions& options, const GenerateStream& stream = {});

// Whether `options` make generate_text sample (the rule documented on GenerateOptions::do_sample).
bool samples(const GenerateOptions& options);

}  // namespace tokprob
