#include "models/encoder_batch.hpp"

#include <string>

#include "tokprob/error.hpp"

namespace tokprob {

int64_t validate_encoder_batch(const EncoderInfo& I, bool has_mlm_head, std::span<const EncoderSequence> seqs) {
  int64_t T = 0;
  for (const auto& sq : seqs) {
    const auto n = static_cast<int64_t>(sq.ids.size());
    if (n == 0) fail("empty sequence: an encoder needs at least one token");
    if (n > I.max_positions)
      fail("sequence of " + std::to_string(n) + " tokens is longer than the model's " +
           std::to_string(I.max_positions) + " positions (max_position_embeddings)");
    for (int32_t id : sq.ids)
      if (id < 0 || id >= I.vocab_size)
        fail("token id " + std::to_string(id) + " is outside the vocabulary (vocab_size " +
             std::to_string(I.vocab_size) + ")");
    if (!sq.type_ids.empty()) {
      if (sq.type_ids.size() != sq.ids.size())
        fail("internal: " + std::to_string(sq.type_ids.size()) + " token type ids for " + std::to_string(n) +
             " tokens");
      for (int32_t t : sq.type_ids)
        if (t != 0 && (t < 0 || t >= I.type_vocab_size))
          fail("token type id " + std::to_string(t) + " is outside the model's " +
               std::to_string(I.type_vocab_size) + " token types (type_vocab_size)" +
               (I.type_vocab_size == 0 ? "; this model takes no sentence pairs" : ""));
    }
    if (!sq.mlm_logits_for.empty() && !has_mlm_head)
      fail("masked-LM logits asked of " + I.architecture + ", which has no masked-LM head");
    for (int64_t r : sq.mlm_logits_for)
      if (r < 0 || r >= n) fail("internal: masked-LM row outside the sequence");
    T += n;
  }
  return T;
}

}  // namespace tokprob
