#include "tokenizer/sentencepiece_model.hpp"

#include <sentencepiece_processor.h>

#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

namespace {

using Processor = sentencepiece::SentencePieceProcessor;

class SentencePieceModel : public Model {
 public:
  explicit SentencePieceModel(std::shared_ptr<const Processor> sp) : sp_(std::move(sp)) {
    for (int id = 0; id < sp_->GetPieceSize(); ++id) vocab_.add(sp_->IdToPiece(id), id);
  }
  const Vocab& vocab() const override { return vocab_; }
  std::vector<ModelToken> tokenize(const std::string& piece) const override {
    std::vector<ModelToken> out;
    const auto spt = sp_->EncodeAsImmutableProto(piece);
    for (const auto& p : spt.pieces())
      out.push_back({static_cast<int32_t>(p.id()), p.piece(), std::min<size_t>(p.begin(), piece.size()),
                     std::min<size_t>(p.end(), piece.size())});
    return out;
  }

 private:
  std::shared_ptr<const Processor> sp_;
  Vocab vocab_;
};

// Runs of ordinary pieces are decoded by SentencePiece; control pieces, the unknown piece and
// tokens the model does not know (added tokens) are kept as written, as the slow tokenizers do.
class SentencePieceDecoder : public Decoder {
 public:
  explicit SentencePieceDecoder(std::shared_ptr<const Processor> sp) : sp_(std::move(sp)) {}
  void decode_chain(std::vector<std::string>& tokens, bool standalone) const override {
    if (standalone) {
      for (auto& t : tokens) {
        const int id = sp_->PieceToId(t);
        if (sp_->IsByte(id)) {
          t = sp_->DecodeIds({id});
        } else {
          std::string out;
          for (size_t at = 0; at < t.size();) {
            if (t.compare(at, 3, "\xE2\x96\x81") == 0) {
              out.push_back(' ');
              at += 3;
            } else {
              out.push_back(t[at++]);
            }
          }
          t = out;
        }
      }
      return;
    }
    std::vector<std::string> out;
    std::vector<std::string> run;
    auto flush = [&] {
      if (run.empty()) return;
      out.push_back(sp_->DecodePieces(run));
      run.clear();
    };
    for (auto& t : tokens) {
      const int id = sp_->PieceToId(t);
      const bool ordinary = !sp_->IsControl(id) && !sp_->IsUnknown(id);
      if (ordinary) {
        run.push_back(std::move(t));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  std::shared_ptr<const Processor> sp_;
};

}  // namespace

SentencePieceFiles load_sentencepiece(const std::filesystem::path& file) {
  auto sp = std::make_shared<Processor>();
  const auto status = sp->Load(file.string());
  if (!status.ok()) fail(file.string() + ": cannot load the SentencePiece model (" + status.ToString() + ")");
  SentencePieceFiles out;
  out.piece_count = sp->GetPieceSize();
  out.model = std::make_unique<SentencePieceModel>(sp);
  out.decoder = std::make_unique<SentencePieceDecoder>(sp);
  return out;
}

}  // namespace tokprob::tok
