#include <mutex>
#include <queue>
#include <unordered_map>

#include "tokenizer/models.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

namespace {

uint64_t pair_key(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }

struct Symbol {
  int32_t id;
  int prev, next;
  size_t begin, len;  // bytes of the piece
};

struct CachedToken {
  int32_t id;
  size_t begin, end;
};

class BpeModel : public Model {
 public:
  BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, const BpeOptions& o,
           const std::string& where)
      : vocab_(std::move(vocab)), o_(o) {
    merges_.reserve(merges.size());
    resolve(merges, where);
  }

  BpeModel(Vocab vocab, BpeMergeTable merges, const BpeOptions& o, const std::string& where)
      : vocab_(std::move(vocab)), o_(o), merges_(std::move(merges)) {
    // merge_all() looks the ids it makes up in the vocabulary.
    for (size_t i = 0; i < merges_.raw_keys().size(); ++i)
      if (merges_.raw_keys()[i] != ~uint64_t{0} && !vocab_.token(merges_.raw_values()[i].new_id))
        fail(where + ": a merge makes an id missing from the vocabulary");
  }

  const Vocab& vocab() const override { return vocab_; }
  bool is_bpe() const override { return true; }
  std::optional<ModelTables> tables() const override {
    ModelTables t;
    t.vocab = vocab_;
    t.merge_table = merges_;
    return t;
  }

  std::vector<ModelToken> tokenize(const std::string& piece) const override {
    std::vector<ModelToken> out;
    if (piece.empty()) return out;
    if (o_.ignore_merges)
      if (auto id = vocab_.find(piece)) return {ModelToken{*id, piece, 0, piece.size()}};
    std::vector<CachedToken> word;
    {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (auto it = cache_.find(piece); it != cache_.end()) word = it->second;
    }
    if (word.empty()) {
      word = merge_word(piece);
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (cache_.size() >= kCacheCapacity) cache_.clear();
      if (piece.size() < kCacheWordBytes) cache_.emplace(piece, word);
    }
    out.reserve(word.size());
    for (const auto& t : word) out.push_back({t.id, *vocab_.token(t.id), t.begin, t.end});
    return out;
  }

 private:
  static constexpr size_t kCacheCapacity = 10000;

  void resolve(const std::vector<std::pair<std::string, std::string>>& merges, const std::string& where) {
    const size_t prefix_len = o_.continuing_subword_prefix.size();
    for (size_t rank = 0; rank < merges.size(); ++rank) {
      const auto& [a, b] = merges[rank];
      const auto ia = vocab_.find(a), ib = vocab_.find(b);
      if (!ia || !ib) fail(where + ": merge \"" + a + " " + b + "\" uses a token missing from the vocabulary");
      std::string merged = a;
      merged += prefix_len && b.compare(0, prefix_len, o_.continuing_subword_prefix) == 0 ? b.substr(prefix_len) : b;
      const auto im = vocab_.find(merged);
      if (!im) fail(where + ": merge \"" + a + " " + b + "\" makes a token missing from the vocabulary");
      merges_.emplace(pair_key(*ia, *ib), BpeMerge{static_cast<int32_t>(rank), *im});
    }
    // `tokenizers` only complains about a missing unknown token when one is needed; so do we.
  }
  static constexpr size_t kCacheWordBytes = 256;

  std::vector<CachedToken> merge_word(const std::string& w) const {
    std::vector<Symbol> symbols;
    symbols.reserve(w.size());
    std::optional<std::pair<int32_t, size_t>> unk;  // pending unknown run: (id, begin)
    size_t unk_end = 0;
    auto push = [&](int32_t id, size_t begin, size_t len) {
      const int index = static_cast<int>(symbols.size());
      symbols.push_back({id, index - 1, index + 1, begin, len});
    };
    auto flush_unk = [&] {
      if (unk) push(unk->first, unk->second, unk_end - unk->second);
      unk.reset();
    };
    size_t i = 0;
    while (i < w.size()) {
      size_t end = i + 1;
      while (end < w.size() && (static_cast<unsigned char>(w[end]) & 0xC0) == 0x80) ++end;
      std::string s = w.substr(i, end - i);
      if (i != 0 && !o_.continuing_subword_prefix.empty()) s = o_.continuing_subword_prefix + s;
      if (end == w.size() && !o_.end_of_word_suffix.empty()) s += o_.end_of_word_suffix;
      if (auto id = vocab_.find(s)) {
        flush_unk();
        push(*id, i, end - i);
      } else if (auto bytes = byte_fallback_ids(w.substr(i, end - i))) {
        flush_unk();
        for (size_t k = 0; k < bytes->size(); ++k) push((*bytes)[k], i + k, 1);
      } else if (o_.unk_token) {
        const auto unk_id = vocab_.find(*o_.unk_token);
        if (!unk_id) fail("BPE: the unknown token \"" + *o_.unk_token + "\" is not in the vocabulary");
        if (unk && !o_.fuse_unk) flush_unk();
        if (!unk) unk = std::make_pair(*unk_id, i);
        unk_end = end;
      }
      i = end;
    }
    flush_unk();
    if (!symbols.empty()) symbols.back().next = -1;
    merge_all(symbols);
    std::vector<CachedToken> out;
    for (const auto& s : symbols)
      if (s.len != 0) out.push_back({s.id, s.begin, s.begin + s.len});
    return out;
  }

  std::optional<std::vector<int32_t>> byte_fallback_ids(std::string_view s) const {
    if (!o_.byte_fallback) return std::nullopt;
    std::vector<int32_t> ids;
    static const char* hex = "0123456789ABCDEF";
    for (char ch : s) {
      const auto b = static_cast<unsigned char>(ch);
      const std::string name = std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
      auto id = vocab_.find(name);
      if (!id) return std::nullopt;
      ids.push_back(*id);
    }
    return ids;
  }

  // Applies merges lowest rank first (leftmost first among equal ranks) until none applies.
  void merge_all(std::vector<Symbol>& symbols) const {
    struct Candidate {
      int32_t rank;
      int pos;
      int32_t new_id;
      bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    auto lookup = [&](int32_t a, int32_t b) -> const BpeMerge* { return merges_.find(pair_key(a, b)); };
    for (size_t k = 0; k + 1 < symbols.size(); ++k)
      if (const BpeMerge* m = lookup(symbols[k].id, symbols[k + 1].id)) queue.push({m->rank, static_cast<int>(k), m->new_id});
    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& cur = symbols[static_cast<size_t>(top.pos)];
      if (cur.len == 0 || cur.next == -1) continue;
      Symbol& right = symbols[static_cast<size_t>(cur.next)];
      const BpeMerge* m = lookup(cur.id, right.id);
      if (!m || m->new_id != top.new_id) continue;  // a stale entry
      cur.id = top.new_id;
      cur.len += right.len;
      right.len = 0;
      cur.next = right.next;
      if (cur.next != -1) symbols[static_cast<size_t>(cur.next)].prev = top.pos;
      if (cur.prev >= 0)
        if (const BpeMerge* pm = lookup(symbols[static_cast<size_t>(cur.prev)].id, cur.id))
          queue.push({pm->rank, cur.prev, pm->new_id});
      if (cur.next != -1)
        if (const BpeMerge* nm = lookup(cur.id, symbols[static_cast<size_t>(cur.next)].id))
          queue.push({nm->rank, top.pos, nm->new_id});
    }
  }

  Vocab vocab_;
  BpeOptions o_;
  BpeMergeTable merges_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<CachedToken>> cache_;
};

}  // namespace

std::unique_ptr<Model> make_bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                const BpeOptions& options, const std::string& where) {
  return std::make_unique<BpeModel>(std::move(vocab), merges, options, where);
}

std::unique_ptr<Model> make_bpe(Vocab vocab, BpeMergeTable merges, const BpeOptions& options, const std::string& where) {
  return std::make_unique<BpeModel>(std::move(vocab), std::move(merges), options, where);
}

}  // namespace tokprob::tok
