// The "Precompiled" normalizer: SentencePiece's compiled character map (a darts-clone double-array
// trie over UTF-8 keys plus a blob of NUL-terminated replacement strings), as T5 and other
// SentencePiece conversions carry it base64-encoded in tokenizer.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/normalized_string.hpp"

namespace tokprob::tok {

class PrecompiledCharsmap {
 public:
  // `blob`: the decoded bytes; `where` names the file for error messages. A trie that a search
  // could follow outside the array, or whose values point outside the strings, is refused.
  PrecompiledCharsmap(std::string_view blob, const std::string& where);
  // The replacement `tokenizers` uses for `chunk`: the value of the shortest key that is a prefix
  // of it (that is what its common-prefix search hands back first), or nothing.
  std::optional<std::string_view> lookup(std::string_view chunk) const;
  // Applies the map grapheme by grapheme, as `tokenizers` does.
  void normalize(NormalizedString& s) const;

 private:
  void check_trie(const std::string& where) const;

  std::vector<uint32_t> units_;
  std::string normalized_;
};

std::string base64_decode(std::string_view text, const std::string& where);
// Standard base64 with padding: a map read from a SentencePiece model, written into the
// tokenizer.json that transformers would build from it.
std::string base64_encode(std::string_view bytes);

}  // namespace tokprob::tok
