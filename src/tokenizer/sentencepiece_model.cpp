#include "tokenizer/sentencepiece_model.hpp"

#include <sentencepiece_processor.h>

#include "tokenizer/precompiled_charsmap.hpp"
#include "tokenizer/sentencepiece_proto.hpp"
#include "tokenizer/tokenizer_json_reader.hpp"
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

class SlowSentencePieceDecoder : public Decoder {
 public:
  SlowSentencePieceDecoder(std::shared_ptr<const Processor> sp, SlowDecodeRules rules)
      : sp_(std::move(sp)), rules_(std::move(rules)), standalone_(sp_) {}

  void decode_chain(std::vector<std::string>& tokens, bool standalone) const override {
    if (standalone) {
      standalone_.decode_chain(tokens, true);
      return;
    }
    std::vector<std::string> sub_texts, current;
    for (auto& t : tokens) {
      if (contains(rules_.legacy_added_tokens, t)) {
        if (!current.empty()) {
          std::string text = tokens_to_string(current);
          if (!text.empty()) sub_texts.push_back(std::move(text));
          current.clear();
        }
        sub_texts.push_back(t);
      } else {
        current.push_back(t);
      }
    }
    if (!current.empty()) sub_texts.push_back(tokens_to_string(current));
    std::string text;
    for (size_t i = 0; i < sub_texts.size(); ++i) {
      if (i && rules_.spaces_between_special_tokens) text += ' ';
      text += sub_texts[i];
    }
    tokens.assign(1, std::move(text));
  }

 private:
  static bool contains(const std::vector<std::string>& list, const std::string& t) {
    for (const auto& x : list)
      if (x == t) return true;
    return false;
  }

  // T5Tokenizer / LlamaTokenizer convert_tokens_to_string.
  std::string tokens_to_string(std::vector<std::string> tokens) const {
    static const std::string kSpace = "\xE2\x96\x81";
    if ((rules_.t5 ? rules_.add_prefix_space : true) && tokens[0].compare(0, kSpace.size(), kSpace) == 0)
      tokens[0].erase(0, kSpace.size());
    std::string out;
    std::vector<std::string> current;
    bool prev_is_special = false;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (contains(rules_.special_tokens, tokens[i])) {
        const bool space = rules_.t5 ? !prev_is_special : (!prev_is_special && i != 0 && rules_.legacy);
        if (space) out += ' ';
        out += sp_->DecodePieces(current) + tokens[i];
        prev_is_special = true;
        current.clear();
      } else {
        current.push_back(tokens[i]);
        prev_is_special = false;
      }
    }
    out += sp_->DecodePieces(current);
    if (rules_.t5) {
      // Python's str.strip(): leading and trailing whitespace.
      const size_t b = out.find_first_not_of(" \t\n\r\f\v");
      if (b == std::string::npos) return {};
      out = out.substr(b, out.find_last_not_of(" \t\n\r\f\v") - b + 1);
    }
    return out;
  }

  std::shared_ptr<const Processor> sp_;
  SlowDecodeRules rules_;
  SentencePieceDecoder standalone_;
};

}  // namespace

void use_slow_decode_rules(SentencePieceFiles& files, SlowDecodeRules rules) {
  files.decoder = std::make_unique<SlowSentencePieceDecoder>(files.processor, std::move(rules));
}

SentencePieceFiles load_sentencepiece(const std::filesystem::path& file) {
  const std::string where = file.string();
  const std::string bytes = read_file(where);  // size-limited
  // The library trusts the normalizers' character maps; an empty one means no map.
  for (const std::string_view charsmap : sentencepiece_charsmaps(bytes, where))
    if (!charsmap.empty()) PrecompiledCharsmap(charsmap, where);
  auto sp = std::make_shared<Processor>();
  sentencepiece::util::Status status;
  try {
    status = sp->LoadFromSerializedProto(bytes);
  } catch (const std::exception& e) {
    // The library throws from its trie builder on some malformed models (an empty piece; found by fuzzing).
    fail(where + ": cannot load the SentencePiece model (" + e.what() + ")");
  }
  if (!status.ok()) fail(where + ": cannot load the SentencePiece model (" + status.ToString() + ")");
  SentencePieceFiles out;
  out.piece_count = sp->GetPieceSize();
  out.processor = sp;
  out.model = std::make_unique<SentencePieceModel>(sp);
  out.decoder = std::make_unique<SentencePieceDecoder>(sp);
  return out;
}

}  // namespace tokprob::tok
