// Post-processors of tokenizer.json ("post_processor"): they add the special tokens around the
// encoded text(s) and set the type ids.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tokprob/tokenizer.hpp"

namespace tokprob::tok {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // `encodings` holds one or two encodings (a single text or a pair); on return, the parts to
  // concatenate in order.
  virtual void process(std::vector<Encoding>& encodings, bool add_special_tokens) const = 0;
};

std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& j, const std::string& where);

struct TemplateToken {
  std::string token;
  int32_t id;
};
// "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1" as built for legacy folders: `single` and
// `pair` list the special tokens, with "$A"/"$B" for the texts; ":n" suffixes give type ids.
std::unique_ptr<PostProcessor> make_template_processor(const std::vector<std::string>& single,
                                                       const std::vector<std::string>& pair,
                                                       const std::vector<TemplateToken>& specials,
                                                       const std::string& where);

// Concatenation of post-processed parts.
Encoding merge_encodings(std::vector<Encoding>& parts);
void append_encoding(Encoding& to, const Encoding& from);

}  // namespace tokprob::tok

namespace tokprob::tok {
// What slow SentencePiece tokenizers add: an optional BOS before and EOS after the text; with
// `eos_unless_present` (T5Tokenizer) no EOS is added to text that already ends with one.
std::unique_ptr<PostProcessor> make_bos_eos_processor(std::optional<TemplateToken> bos, std::optional<TemplateToken> eos,
                                                      bool eos_unless_present);
}  // namespace tokprob::tok
