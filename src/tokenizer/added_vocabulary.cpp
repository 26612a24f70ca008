#include "tokenizer/added_vocabulary.hpp"

#include <algorithm>

#include "tokenizer/unicode_text.hpp"

namespace tokprob::tok {

void AddedVocabulary::add(AddedToken t) {
  if (auto it = by_id_.find(t.id); it != by_id_.end()) {
    tokens_[it->second] = t;
  } else {
    by_id_[t.id] = tokens_.size();
    tokens_.push_back(t);
  }
  by_content_[t.content] = t.id;
  if (t.special) special_ids_.insert(t.id);
  else special_ids_.erase(t.id);
}

const AddedToken* AddedVocabulary::by_id(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int32_t> AddedVocabulary::id_of(const std::string& content) const {
  auto it = by_content_.find(content);
  return it == by_content_.end() ? std::nullopt : std::optional<int32_t>(it->second);
}

void AddedVocabulary::build(const Normalizer* normalizer) {
  raw_ = {};
  normalized_ = {};
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const auto& t = tokens_[i];
    if (t.content.empty()) continue;
    if (!t.normalized) {
      raw_.patterns.push_back({decode_utf8(t.content), i});
    } else {
      NormalizedString n = NormalizedString::from_input(decode_utf8(t.content));
      if (normalizer) normalizer->normalize(n);
      if (!n.text.empty()) normalized_.patterns.push_back({n.text, i});
    }
  }
  index(raw_);
  index(normalized_);
}

void AddedVocabulary::index(PatternSet& set) {
  auto longest_first = [](const Pattern& a, const Pattern& b) { return a.text.size() > b.text.size(); };
  std::stable_sort(set.patterns.begin(), set.patterns.end(), longest_first);
  for (size_t k = 0; k < set.patterns.size(); ++k) set.by_first[set.patterns[k].text.front()].push_back(k);
}

namespace {
bool is_word_char(char32_t c) { return is_alphanumeric(c) || c == U'_'; }
}  // namespace

std::vector<AddedMatch> AddedVocabulary::split(const std::u32string& text, bool normalized_set) const {
  const PatternSet& set = normalized_set ? normalized_ : raw_;
  std::vector<AddedMatch> out;
  if (set.patterns.empty() || text.empty()) {
    out.push_back({std::nullopt, 0, text.size()});
    return out;
  }
  size_t done = 0;  // end of the last emitted piece
  size_t pos = 0;
  while (pos < text.size()) {
    // Leftmost-longest: the first position where any pattern matches, the longest one there.
    const Pattern* hit = nullptr;
    if (const auto it = set.by_first.find(text[pos]); it != set.by_first.end()) {
      for (size_t k : it->second) {
        const Pattern& p = set.patterns[k];
        if (text.compare(pos, p.text.size(), p.text) == 0) {
          hit = &p;
          break;
        }
      }
    }
    if (!hit) {
      ++pos;
      continue;
    }
    const AddedToken& t = tokens_[hit->token];
    size_t b = pos, e = pos + hit->text.size();
    pos = e;
    if (t.single_word) {
      const bool free_left = b == 0 || !is_word_char(text[b - 1]);
      const bool free_right = e == text.size() || !is_word_char(text[e]);
      if (!free_left || !free_right) continue;
    }
    if (t.lstrip) {
      size_t nb = b;
      while (nb > 0 && is_whitespace(text[nb - 1])) --nb;
      b = std::max(nb, done);
    }
    if (t.rstrip) {
      while (e < text.size() && is_whitespace(text[e])) ++e;
      pos = e;
    }
    if (done < b) out.push_back({std::nullopt, done, b});
    out.push_back({hit->token, b, e});
    done = e;
  }
  if (done < text.size()) out.push_back({std::nullopt, done, text.size()});
  return out;
}

}  // namespace tokprob::tok
