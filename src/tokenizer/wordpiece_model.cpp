#include "tokenizer/models.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

namespace {

class WordPieceModel : public Model {
 public:
  WordPieceModel(Vocab vocab, std::string unk, std::string prefix, size_t max_chars, const std::string& where)
      : vocab_(std::move(vocab)), unk_(std::move(unk)), prefix_(std::move(prefix)), max_chars_(max_chars) {
    const auto id = vocab_.find(unk_);
    if (!id) fail(where + ": WordPiece unknown token \"" + unk_ + "\" is not in the vocabulary");
    unk_id_ = *id;
  }

  const Vocab& vocab() const override { return vocab_; }
  std::optional<ModelTables> tables() const override {
    ModelTables t;
    t.vocab = vocab_;
    return t;
  }

  // Greedy longest match first; a piece with any unmatched rest is one unknown token.
  std::vector<ModelToken> tokenize(const std::string& piece) const override {
    if (piece.empty()) return {};
    if (utf8_length(piece) > max_chars_) return {ModelToken{unk_id_, unk_, 0, piece.size()}};
    std::vector<ModelToken> out;
    size_t start = 0;
    std::string candidate;
    while (start < piece.size()) {
      size_t end = piece.size();
      bool found = false;
      while (start < end) {
        candidate.clear();
        if (start > 0) candidate = prefix_;
        candidate.append(piece, start, end - start);
        if (auto id = vocab_.find(candidate)) {
          out.push_back({*id, candidate, start, end});
          found = true;
          break;
        }
        --end;
        while (end > start && (static_cast<unsigned char>(piece[end]) & 0xC0) == 0x80) --end;
      }
      if (!found) return {ModelToken{unk_id_, unk_, 0, piece.size()}};
      start = end;
    }
    return out;
  }

 private:
  Vocab vocab_;
  std::string unk_, prefix_;
  size_t max_chars_;
  int32_t unk_id_ = 0;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
                                      size_t max_input_chars_per_word, const std::string& where) {
  return std::make_unique<WordPieceModel>(std::move(vocab), std::move(unk_token), std::move(continuing_subword_prefix),
                                          max_input_chars_per_word, where);
}

}  // namespace tokprob::tok
