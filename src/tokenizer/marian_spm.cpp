#include "tokenizer/marian_spm.hpp"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tokenizer/json_fields.hpp"
#include "tokenizer/sentencepiece_model.hpp"
#include "tokenizer/tokenizer_json_reader.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Processor = sentencepiece::SentencePieceProcessor;

bool file_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

const std::string kSpace = "\xE2\x96\x81";  // ▁

// The SentencePiece pieces of one text, each looked up in the Marian vocabulary; a language code
// (">>fr<<") at the start of the text is one token of its own.
class MarianModel final : public Model {
 public:
  MarianModel(std::shared_ptr<const Processor> sp, std::shared_ptr<const Vocab> vocab, int32_t unk)
      : sp_(std::move(sp)), vocab_(std::move(vocab)), unk_(unk) {}
  const Vocab& vocab() const override { return *vocab_; }

  std::vector<ModelToken> tokenize(const std::string& text) const override {
    std::vector<ModelToken> out;
    size_t skip = 0;
    if (text.starts_with(">>"))
      if (const size_t end = text.find("<<"); end != std::string::npos) {
        skip = end + 2;
        std::string code = text.substr(0, skip);
        out.push_back({id_of(code), std::move(code), 0, skip});
      }
    const std::string rest = text.substr(skip);
    const auto spt = sp_->EncodeAsImmutableProto(rest);
    for (const auto& p : spt.pieces())
      out.push_back({id_of(p.piece()), p.piece(), skip + std::min<size_t>(p.begin(), rest.size()),
                     skip + std::min<size_t>(p.end(), rest.size())});
    return out;
  }

 private:
  int32_t id_of(const std::string& piece) const { return vocab_->find(piece).value_or(unk_); }

  std::shared_ptr<const Processor> sp_;
  std::shared_ptr<const Vocab> vocab_;
  int32_t unk_;
};

// MarianTokenizer.convert_tokens_to_string: runs of ordinary tokens decoded by SentencePiece, each
// special token written out followed by a space, every remaining ▁ a space, the ends stripped.
class MarianDecoder final : public Decoder {
 public:
  MarianDecoder(std::shared_ptr<const Processor> sp, std::vector<std::string> special)
      : sp_(std::move(sp)), special_(std::move(special)) {}

  void decode_chain(std::vector<std::string>& tokens, bool standalone) const override {
    if (standalone) {
      for (auto& t : tokens) t = spaces(t);
      return;
    }
    std::string out;
    std::vector<std::string> run;
    for (auto& t : tokens) {
      if (std::find(special_.begin(), special_.end(), t) != special_.end()) {
        out += sp_->DecodePieces(run) + t + " ";
        run.clear();
      } else {
        run.push_back(std::move(t));
      }
    }
    out += sp_->DecodePieces(run);
    out = spaces(out);
    // Python's str.strip() of the ASCII whitespace this text can hold.
    const size_t b = out.find_first_not_of(" \t\n\r\f\v");
    out = b == std::string::npos ? std::string() : out.substr(b, out.find_last_not_of(" \t\n\r\f\v") - b + 1);
    tokens.assign(1, std::move(out));
  }

 private:
  static std::string spaces(const std::string& t) {
    std::string out;
    for (size_t at = 0; at < t.size();) {
      if (t.compare(at, kSpace.size(), kSpace) == 0) {
        out.push_back(' ');
        at += kSpace.size();
      } else {
        out.push_back(t[at++]);
      }
    }
    return out;
  }

  std::shared_ptr<const Processor> sp_;
  std::vector<std::string> special_;
};

std::shared_ptr<const Vocab> read_vocab(const fs::path& file) {
  return std::make_shared<const Vocab>(read_vocab_json(read_file(file.string()), file.string()));
}

// A role's token: tokenizer_config.json's, else special_tokens_map.json's, else MarianTokenizer's default.
std::string role(const json& config, const json& special_tokens_map, const char* key, const char* fallback) {
  for (const json* source : {&config, &special_tokens_map})
    if (source->is_object() && source->contains(key))
      if (auto content = token_content((*source)[key])) return *content;
  return fallback;
}

}  // namespace

bool is_marian_folder(const fs::path& dir) {
  return file_exists(dir / "source.spm") && file_exists(dir / "target.spm") && file_exists(dir / "vocab.json");
}

std::unique_ptr<Pipeline> load_marian(const fs::path& dir, const TokenizerOptions& options) {
  const json config = read_optional_json(dir / "tokenizer_config.json");
  const json special_tokens_map = read_optional_json(dir / "special_tokens_map.json");
  const bool separate = json_bool(config, "separate_vocabs", false);
  const fs::path vocab_file = dir / "vocab.json", target_vocab_file = dir / "target_vocab.json";
  const auto source_vocab = read_vocab(vocab_file);
  const auto target_vocab = separate ? read_vocab(target_vocab_file) : source_vocab;
  auto source_sp = load_sentencepiece(dir / "source.spm").processor;
  auto target_sp = load_sentencepiece(dir / "target.spm").processor;

  const std::string unk = role(config, special_tokens_map, "unk_token", "<unk>");
  const auto unk_in = [&](const Vocab& vocab, const fs::path& file) {
    if (auto id = vocab.find(unk)) return *id;
    fail(file.string() + ": the unknown token " + unk + " is not in the vocabulary");
  };
  const int32_t source_unk = unk_in(*source_vocab, vocab_file);
  const int32_t target_unk = separate ? unk_in(*target_vocab, target_vocab_file) : source_unk;

  // Special tokens: the roles MarianTokenizer has (and any the configs add), then the added ones.
  std::vector<AddedToken> added;
  std::vector<std::string> special;
  for (const auto& [key, fallback] : {std::pair{"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"},
                                      {"bos_token", ""}, {"sep_token", ""}, {"cls_token", ""}, {"mask_token", ""}}) {
    const std::string content = role(config, special_tokens_map, key, fallback);
    if (content.empty()) continue;
    special.push_back(content);
    if (auto id = source_vocab->find(content)) added.push_back({content, *id, true, false, false, false, false});
  }
  for (const json* source : {&config, &special_tokens_map})
    for (const char* key : {"additional_special_tokens", "extra_special_tokens"})
      if (source->is_object() && source->contains(key) && (*source)[key].is_array())
        for (const auto& a : (*source)[key])
          if (auto content = token_content(a)) {
            special.push_back(*content);
            if (auto id = source_vocab->find(*content)) added.push_back({*content, *id, true, false, false, false, false});
          }

  auto side = [&](std::shared_ptr<const Processor> sp, std::shared_ptr<const Vocab> vocab, int32_t unk_id) {
    auto p = std::make_unique<Pipeline>();
    p->model = std::make_unique<MarianModel>(std::move(sp), std::move(vocab), unk_id);
    add_config_added_tokens(p->added, config);
    for (const auto& t : added)
      if (!p->added.id_of(t.content)) p->added.add(t);
    {
      // The slow tokenizer matches every added token in the raw text.
      std::vector<AddedToken> raw = p->added.tokens();
      AddedVocabulary rebuilt;
      for (auto& t : raw) {
        t.normalized = false;
        rebuilt.add(t);
      }
      p->added = std::move(rebuilt);
    }
    p->added.build(nullptr);
    const std::string eos = role(config, special_tokens_map, "eos_token", "</s>");
    std::optional<TemplateToken> eos_token;
    if (auto id = p->token_to_id(eos)) eos_token = TemplateToken{eos, *id};
    p->post_processor = make_bos_eos_processor(std::nullopt, eos_token, false);
    // Decoding reads the source model unless the vocabularies are separate (MarianTokenizer._decode).
    p->decoder = std::make_unique<MarianDecoder>(separate ? target_sp : source_sp, special);
    apply_folder_config(*p, config, special_tokens_map);
    p->add_special_tokens = options.add_special_tokens;
    return p;
  };
  auto source = side(source_sp, source_vocab, source_unk);
  source->target = side(target_sp, target_vocab, target_unk);
  return source;
}

}  // namespace tokprob::tok
