// Decoders of tokenizer.json ("decoder"): they turn vocabulary strings back into text.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace tokprob::tok {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites `tokens` in place (a decoder may fuse them). `standalone` decodes one token as it
  // reads on its own: no start-of-text clean-up (a leading space stays) and no "##" joining space.
  virtual void decode_chain(std::vector<std::string>& tokens, bool standalone) const = 0;
};

std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j, const std::string& where);
std::unique_ptr<Decoder> make_byte_level_decoder();
std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix, bool cleanup);

// The clean-up of spaces before punctuation and English contractions that `transformers`
// applies after decoding when clean_up_tokenization_spaces is set.
std::string clean_up_tokenization(std::string text);

}  // namespace tokprob::tok
