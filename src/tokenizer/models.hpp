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

// A BPE merge of a pair of ids (the key: first id in the high 32 bits): its rank and the id made.
struct BpeMerge {
  int32_t rank = 0;
  int32_t new_id = 0;
};
using BpeMergeTable = U64Map<BpeMerge>;

// model.vocab and model.merges, read apart from the rest of tokenizer.json (see
// tokenizer_json_reader.hpp); when empty, they are taken from the JSON object itself.
// A cached tokenizer gives them already built: merge_table in place of merges (BPE), vocab and
// scores (by id) in place of scored (Unigram).
struct ModelTables {
  std::optional<Vocab> vocab;                                         // {token: id}
  std::optional<std::vector<std::pair<std::string, double>>> scored;  // [[piece, score]] (Unigram)
  std::optional<std::vector<std::pair<std::string, std::string>>> merges;
  std::optional<BpeMergeTable> merge_table;
  std::optional<std::vector<double>> scores;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::vector<ModelToken> tokenize(const std::string& piece) const = 0;
  virtual const Vocab& vocab() const = 0;
  virtual bool is_bpe() const { return false; }
  // The tables the model was built from, in the form make_model() builds it from fastest (a
  // tokenizer cache file keeps them); with the "model" object of tokenizer.json they rebuild it.
  // None for a model that tokenizer.json cannot describe.
  virtual std::optional<ModelTables> tables() const { return std::nullopt; }
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
// `merges` already resolved (Model::tables() of a BPE model): each merge's new id must be in `vocab`.
std::unique_ptr<Model> make_bpe(Vocab vocab, BpeMergeTable merges, const BpeOptions& options, const std::string& where);
std::unique_ptr<Model> make_wordpiece(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
                                      size_t max_input_chars_per_word, const std::string& where);
std::unique_ptr<Model> make_unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id,
                                    bool byte_fallback, const std::string& where);
// The pieces as Model::tables() of a Unigram model gives them: `vocab` built from them and their
// scores by id.
std::unique_ptr<Model> make_unigram(Vocab vocab, std::vector<double> scores, std::optional<int32_t> unk_id,
                                    bool byte_fallback, const std::string& where);

// The "model" object of tokenizer.json; the type is inferred from the fields when absent, as the
// Rust library's untagged parsing does.
std::unique_ptr<Model> make_model(const nlohmann::json& j, const std::string& where, ModelTables tables = {});

}  // namespace tokprob::tok
