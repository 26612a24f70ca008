// from_pretrained(..., add_prefix_space=...) applied to a tokenizer.json pipeline as transformers
// (5.x fast tokenizers) applies it: each tokenizer class rebuilds its own stages from the flag.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace tokprob::tok {

// Edits the tokenizer.json document `tokenizer` for add_prefix_space = `value`, by the class that
// tokenizer_config.json names (`config`, null when absent):
// - byte-level BPE classes (GPT2Tokenizer, GPTNeoXTokenizer, RobertaTokenizer, Qwen2Tokenizer,
//   CodeGenTokenizer, DebertaTokenizer, WhisperTokenizer, BlenderbotTokenizer, CohereTokenizer,
//   LukeTokenizer, MarkupLMTokenizer, LayoutLMv3Tokenizer): every ByteLevel pre-tokenizer's
//   add_prefix_space;
// - LlamaTokenizer and CodeLlamaTokenizer: the class's own stages replace tokenizer.json's
//   normalizer, pre-tokenizer and decoder: a Metaspace pre-tokenizer with prepend_scheme "always"
//   (Llama with config "legacy": true) or "first" when set, "never" when not, and a decoder that
//   strips the leading space only when set.
// Every other class (BERT, T5, Gemma, PreTrainedTokenizerFast, ...) ignores the flag, as there.
void apply_add_prefix_space(nlohmann::json& tokenizer, const nlohmann::json& config, bool value);

}  // namespace tokprob::tok
