#include "tokprob/word_boundaries.hpp"

#include "tokenizer/unicode_text.hpp"

namespace tokprob {

using tok::append_utf8;
using tok::decode_utf8;
using tok::is_whitespace;

namespace {

bool starts_with_whitespace(std::string_view text) {
  const std::u32string cps = decode_utf8(text.substr(0, std::min<size_t>(text.size(), 4)));
  return !cps.empty() && is_whitespace(cps.front());
}

bool ends_with_whitespace(std::string_view text) {
  const std::u32string cps = decode_utf8(text.substr(text.size() - std::min<size_t>(text.size(), 4)));
  return !cps.empty() && is_whitespace(cps.back());
}

// The first code point of `s` as UTF-8.
std::string first_code_point(std::string_view s) {
  const std::u32string cps = decode_utf8(s.substr(0, std::min<size_t>(s.size(), 4)));
  std::string out;
  if (!cps.empty()) append_utf8(out, cps.front());
  return out;
}

std::string last_code_point(std::string_view s) {
  const std::u32string cps = decode_utf8(s.substr(s.size() - std::min<size_t>(s.size(), 4)));
  std::string out;
  if (!cps.empty()) append_utf8(out, cps.back());
  return out;
}

}  // namespace

WordBoundaries find_word_boundaries(const Tokenizer& tokenizer) {
  WordBoundaries wb;
  const Encoding e = tokenizer.encode("a b", /*add_special_tokens=*/false);
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const auto [begin, end] = e.offsets[i];
    const std::string text = tokenizer.token_text(e.ids[i]);
    if (begin <= 2 && end > 2 && starts_with_whitespace(text) && !e.tokens[i].starts_with("b")) {
      wb.marker = WordBoundaries::Marker::word_start;
      wb.symbol = first_code_point(e.tokens[i]);
      break;
    }
    if (begin == 0 && end >= 1 && (e.tokens[i].ends_with("</w>") || ends_with_whitespace(text))) {
      wb.marker = WordBoundaries::Marker::word_end;
      wb.symbol = e.tokens[i].ends_with("</w>") ? "</w>" : last_code_point(e.tokens[i]);
      break;
    }
  }
  const size_t n = tokenizer.vocab_size();
  const std::optional<int32_t> eos = tokenizer.special_tokens().eos;
  wb.begins_word.assign(n, 0);
  wb.ends_word.assign(n, 0);
  for (size_t id = 0; id < n; ++id) {
    const auto i = static_cast<int32_t>(id);
    if (tokenizer.is_special(i)) {
      wb.begins_word[id] = eos && *eos == i;
    } else {
      const std::string text = tokenizer.token_text(i);
      wb.begins_word[id] = starts_with_whitespace(text);
      wb.ends_word[id] = ends_with_whitespace(text);
    }
    if (wb.begins_word[id]) wb.word_start_ids.push_back(i);
  }
  return wb;
}

}  // namespace tokprob
