#include <algorithm>
#include <limits>

#include "tokenizer/models.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

namespace {

// SentencePiece's penalty below the lowest piece score for an unknown character.
constexpr double kUnknownPenalty = 10.0;

class UnigramModel : public Model {
 public:
  UnigramModel(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id, bool byte_fallback,
               const std::string& where)
      : unk_id_(unk_id), byte_fallback_(byte_fallback) {
    scores_.reserve(pieces.size());
    min_score_ = std::numeric_limits<double>::max();
    for (size_t id = 0; id < pieces.size(); ++id) {
      max_piece_bytes_ = std::max(max_piece_bytes_, pieces[id].first.size());
      min_score_ = std::min(min_score_, pieces[id].second);
      scores_.push_back(pieces[id].second);
      vocab_.add(std::move(pieces[id].first), static_cast<int32_t>(id));
    }
    check_unk_id(where);
  }

  UnigramModel(Vocab vocab, std::vector<double> scores, std::optional<int32_t> unk_id, bool byte_fallback,
               const std::string& where)
      : vocab_(std::move(vocab)), scores_(std::move(scores)), unk_id_(unk_id), byte_fallback_(byte_fallback) {
    // Every id the vocabulary finds indexes scores_.
    if (vocab_.raw_tokens().size() > scores_.size()) fail(where + ": Unigram scores do not cover the vocabulary");
    min_score_ = std::numeric_limits<double>::max();
    for (double score : scores_) min_score_ = std::min(min_score_, score);
    // A piece given twice is in the vocabulary once, under its last id: the same lengths.
    for (size_t id = 0; id < vocab_.raw_tokens().size(); ++id)
      if (vocab_.token(static_cast<int32_t>(id))) max_piece_bytes_ = std::max(max_piece_bytes_, vocab_.raw_tokens()[id].size());
    check_unk_id(where);
  }

  const Vocab& vocab() const override { return vocab_; }
  std::optional<ModelTables> tables() const override {
    ModelTables t;
    t.vocab = vocab_;
    t.scores = scores_;
    return t;
  }

  std::vector<ModelToken> tokenize(const std::string& piece) const override {
    std::vector<ModelToken> out;
    for (auto [b, e] : best_segmentation(piece)) {
      std::string s = piece.substr(b, e - b);
      if (auto id = vocab_.find(s)) {
        out.push_back({*id, std::move(s), b, e});
        continue;
      }
      if (byte_fallback_) {
        std::vector<ModelToken> bytes;
        static const char* hex = "0123456789ABCDEF";
        for (char ch : s) {
          const auto byte = static_cast<unsigned char>(ch);
          std::string name = std::string("<0x") + hex[byte >> 4] + hex[byte & 15] + ">";
          auto id = vocab_.find(name);
          if (!id) break;
          bytes.push_back({*id, std::move(name), b, e});
        }
        if (bytes.size() == s.size()) {
          for (auto& t : bytes) out.push_back(std::move(t));
          continue;
        }
      }
      if (!unk_id_) fail("Unigram: text needs an unknown token but the model has no unk_id");
      // As `tokenizers` does, the token keeps the text it stands for, not "<unk>".
      out.push_back({*unk_id_, std::move(s), b, e});
    }
    return out;
  }

 private:
  void check_unk_id(const std::string& where) const {
    if (unk_id_ && (*unk_id_ < 0 || static_cast<size_t>(*unk_id_) >= scores_.size()))
      fail(where + ": Unigram unk_id " + std::to_string(*unk_id_) + " is outside the vocabulary");
  }

  // SentencePiece's optimized Viterbi (as `tokenizers` ports it): best path by total score,
  // first-found wins on ties, one unknown code point at a time where no piece starts, runs of
  // unknowns fused into one.
  std::vector<std::pair<size_t, size_t>> best_segmentation(const std::string& s) const {
    struct Node {
      int32_t id = -1;
      double score = 0;
      ptrdiff_t starts_at = -1;
    };
    const size_t n = s.size();
    if (n == 0) return {};
    std::vector<Node> best(n + 1);
    const double unk_score = min_score_ - kUnknownPenalty;
    size_t start = 0;
    while (start < n) {
      const double here = best[start].score;
      size_t mblen = 1;
      while (start + mblen < n && (static_cast<unsigned char>(s[start + mblen]) & 0xC0) == 0x80) ++mblen;
      bool has_single = false;
      const size_t limit = std::min(n - start, max_piece_bytes_);
      for (size_t len = 1; len <= limit; ++len) {
        if (start + len < n && (static_cast<unsigned char>(s[start + len]) & 0xC0) == 0x80) continue;
        auto id = vocab_.find(std::string_view(s).substr(start, len));
        if (!id) continue;
        Node& target = best[start + len];
        const double candidate = scores_[static_cast<size_t>(*id)] + here;
        if (target.starts_at < 0 || candidate > target.score) {
          target.score = candidate;
          target.starts_at = static_cast<ptrdiff_t>(start);
          target.id = *id;
        }
        if (len == mblen) has_single = true;
      }
      if (!has_single) {
        Node& target = best[start + mblen];
        const double candidate = unk_score + here;
        if (target.starts_at < 0 || candidate > target.score) {
          target.score = candidate;
          target.starts_at = static_cast<ptrdiff_t>(start);
          target.id = unk_id_.value_or(-1);
        }
      }
      start += mblen;
    }
    std::vector<std::pair<size_t, size_t>> out;
    size_t end = n;
    size_t unk_end = 0;
    bool in_unk = false;
    while (end > 0) {
      const Node& node = best[end];
      const auto b = static_cast<size_t>(node.starts_at);
      const bool is_unk = unk_id_ && node.id == *unk_id_;
      if (is_unk) {
        if (!in_unk) unk_end = end;
        in_unk = true;
      } else {
        if (in_unk) out.emplace_back(end, unk_end);
        in_unk = false;
        out.emplace_back(b, end);
      }
      end = b;
    }
    if (in_unk) out.emplace_back(0, unk_end);
    std::reverse(out.begin(), out.end());
    return out;
  }

  Vocab vocab_;
  std::vector<double> scores_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_;
  double min_score_ = 0;
  size_t max_piece_bytes_ = 1;
};

}  // namespace

std::unique_ptr<Model> make_unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id,
                                    bool byte_fallback, const std::string& where) {
  return std::make_unique<UnigramModel>(std::move(pieces), unk_id, byte_fallback, where);
}

std::unique_ptr<Model> make_unigram(Vocab vocab, std::vector<double> scores, std::optional<int32_t> unk_id,
                                    bool byte_fallback, const std::string& where) {
  return std::make_unique<UnigramModel>(std::move(vocab), std::move(scores), unk_id, byte_fallback, where);
}

}  // namespace tokprob::tok
