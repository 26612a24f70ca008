// Tokenization models of tokenizer.json ("model"): BPE, WordPiece and Unigram. Each turns one
// pre-tokenized piece (UTF-8) into vocabulary tokens with byte offsets inside that piece.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/vocab.hpp"

namespace tokprob::tok {

struct ModelToken {
  int32_t id;
  std::string value;
  size_t begin, end;  // bytes of the piece
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::vector<ModelToken> tokenize(const std::string& piece) const = 0;
  virtual const Vocab& vocab() const = 0;
  virtual bool is_bpe() const { return false; }
};

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};
std::unique_ptr<Model> make_bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                const BpeOptions& options, const std::string& where);
std::unique_ptr<Model> make_wordpiece(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
                                      size_t max_input_chars_per_word, const std::string& where);
std::unique_ptr<Model> make_unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id,
                                    bool byte_fallback, const std::string& where);

// model.vocab and model.merges, read apart from the rest of tokenizer.json (see
// tokenizer_json_reader.hpp); when empty, they are taken from the JSON object itself.
struct ModelTables {
  std::optional<Vocab> vocab;                                         // {token: id}
  std::optional<std::vector<std::pair<std::string, double>>> scored;  // [[piece, score]] (Unigram)
  std::optional<std::vector<std::pair<std::string, std::string>>> merges;
};

// The "model" object of tokenizer.json; the type is inferred from the fields when absent, as the
// Rust library's untagged parsing does.
std::unique_ptr<Model> make_model(const nlohmann::json& j, const std::string& where, ModelTables tables = {});

}  // namespace tokprob::tok
