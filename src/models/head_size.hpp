// The size of one attention head where a config gives none of its own: hidden_size split evenly
// over num_attention_heads, as every family's reference computes it.
#pragma once

#include <cstdint>
#include <string>

namespace tokprob {

// hidden / heads; throws tokprob::Error naming `file` when hidden_size is not a multiple of
// num_attention_heads.
int64_t even_head_size(const std::string& file, int64_t hidden, int64_t heads);

}  // namespace tokprob
