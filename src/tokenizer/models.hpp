// Tokenization models of tokenizer.json ("model"): BPE, WordPiece and Unigram. Each turns one
// pre-tokenized piece (UTF-8) into vocabulary tokens with byte offsets inside that piece.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tokprob::tok {

struct ModelToken {
  int32_t id;
  std::string value;
  size_t begin, end;  // bytes of the piece
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Ids of a vocabulary file must lie in [0, kMaxVocabId) (the table by id is as long as the largest
// id; the largest real vocabularies have about 2^18 tokens).
inline constexpr int64_t kMaxVocabId = int64_t{1} << 22;
// An id checked against that range; `what` names the file and token for the message.
int32_t checked_vocab_id(const nlohmann::json& id, const std::string& what);

// Token string <-> id, in both directions.
struct Vocab {
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids;
  std::vector<std::string> tokens;  // by id; ids the vocabulary skips hold an empty string
  std::vector<uint8_t> present;

  void add(std::string token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const {
    auto it = ids.find(token);
    return it == ids.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }
  const std::string* token(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < tokens.size() && present[static_cast<size_t>(id)] ? &tokens[static_cast<size_t>(id)] : nullptr;
  }
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::vector<ModelToken> tokenize(const std::string& piece) const = 0;
  virtual const Vocab& vocab() const = 0;
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

// The "model" object of tokenizer.json; the type is inferred from the fields when absent, as the
// Rust library's untagged parsing does.
std::unique_ptr<Model> make_model(const nlohmann::json& j, const std::string& where);

}  // namespace tokprob::tok
