#include "models/head_size.hpp"

#include "tokprob/error.hpp"

namespace tokprob {

int64_t even_head_size(const std::string& file, int64_t hidden, int64_t heads) {
  if (hidden % heads != 0)
    fail(file + ": hidden_size (" + std::to_string(hidden) + ") is not a multiple of num_attention_heads (" +
         std::to_string(heads) + ")");
  return hidden / heads;
}

}  // namespace tokprob
