#include "tokenizer/models.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tokenizer/json_fields.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

class WordLevelModel : public Model {
 public:
  WordLevelModel(Vocab vocab, std::string unk) : vocab_(std::move(vocab)), unk_(std::move(unk)) {}
  const Vocab& vocab() const override { return vocab_; }
  std::optional<ModelTables> tables() const override {
    ModelTables t;
    t.vocab = vocab_;
    return t;
  }
  std::vector<ModelToken> tokenize(const std::string& piece) const override {
    if (auto id = vocab_.find(piece)) return {ModelToken{*id, piece, 0, piece.size()}};
    auto unk = vocab_.find(unk_);
    if (!unk) fail("WordLevel: the unknown token \"" + unk_ + "\" is not in the vocabulary");
    return {ModelToken{*unk, unk_, 0, piece.size()}};
  }

 private:
  Vocab vocab_;
  std::string unk_;
};

Vocab vocab_from_object(const json& j, const std::string& where) {
  if (!j.is_object()) fail(where + ": model.vocab must be an object of token -> id");
  Vocab v;
  v.reserve(j.size());
  for (const auto& [token, id] : j.items()) {
    if (!id.is_number_integer()) fail(where + ": vocabulary id of \"" + token + "\" is not an integer");
    const int64_t value = id.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(id.get<uint64_t>(), INT64_MAX))
                                                  : id.get<int64_t>();
    if (value < 0 || value >= kMaxVocabId)
      fail(where + ": vocabulary id of \"" + token + "\" is " + std::to_string(value) + ", outside [0, " +
           std::to_string(kMaxVocabId) + ")");
    v.add(token, static_cast<int32_t>(value));
  }
  return v;
}


}  // namespace

std::unique_ptr<Model> make_model(const json& j, const std::string& where, ModelTables tables) {
  if (!j.is_object()) fail(where + ": missing or invalid \"model\"");
  std::string type = json_string(j, "type", "");
  const bool has_vocab = tables.vocab || tables.scored || j.contains("vocab");
  if (type.empty()) {
    const auto vocab = j.find("vocab");
    if (tables.scored || tables.scores || (vocab != j.end() && vocab->is_array())) type = "Unigram";
    else if (tables.merges || tables.merge_table || j.contains("merges")) type = "BPE";
    else if (j.contains("max_input_chars_per_word") || j.contains("continuing_subword_prefix")) type = "WordPiece";
    else if (has_vocab) type = "WordLevel";
    else fail(where + ": cannot tell the model type (no \"type\", no vocabulary)");
  }
  auto take_vocab = [&] {
    if (tables.vocab) return std::move(*tables.vocab);
    if (!j.contains("vocab")) fail(where + ": the " + type + " model has no vocabulary");
    return vocab_from_object(j["vocab"], where);
  };
  try {
    if (type == "BPE") {
      BpeOptions o;
      if (j.contains("unk_token") && j["unk_token"].is_string()) o.unk_token = j["unk_token"].get<std::string>();
      o.continuing_subword_prefix = json_string(j, "continuing_subword_prefix", "");
      o.end_of_word_suffix = json_string(j, "end_of_word_suffix", "");
      o.fuse_unk = json_bool(j, "fuse_unk", false);
      o.byte_fallback = json_bool(j, "byte_fallback", false);
      o.ignore_merges = json_bool(j, "ignore_merges", false);
      Vocab vocab = take_vocab();
      if (tables.merge_table) return make_bpe(std::move(vocab), std::move(*tables.merge_table), o, where);
      std::vector<std::pair<std::string, std::string>> merges;
      if (tables.merges) merges = std::move(*tables.merges);
      const json no_merges = json::array();
      const json& m = tables.merges ? no_merges : j.at("merges");
      if (!m.is_array()) fail(where + ": model.merges must be a list");
      merges.reserve(merges.size() + m.size());
      for (const auto& e : m) {
        if (e.is_string()) {
          const std::string s = e.get<std::string>();
          const size_t space = s.find(' ', 1);
          if (space == std::string::npos) fail(where + ": merge \"" + s + "\" is not two tokens separated by a space");
          merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
          merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
        } else {
          fail(where + ": a merge must be \"a b\" or [\"a\", \"b\"]");
        }
      }
      return make_bpe(std::move(vocab), merges, o, where);
    }
    if (type == "WordPiece") {
      return make_wordpiece(take_vocab(), json_string(j, "unk_token", "[UNK]"),
                            json_string(j, "continuing_subword_prefix", "##"), json_size(j, "max_input_chars_per_word", 100),
                            where);
    }
    if (type == "WordLevel")
      return std::make_unique<WordLevelModel>(take_vocab(), json_string(j, "unk_token", "<unk>"));
    if (type == "Unigram") {
      std::optional<int32_t> unk_id;
      if (j.contains("unk_id") && j["unk_id"].is_number_integer()) unk_id = j["unk_id"].get<int32_t>();
      if (tables.scores && tables.vocab)
        return make_unigram(std::move(*tables.vocab), std::move(*tables.scores), unk_id, json_bool(j, "byte_fallback", false),
                            where);
      std::vector<std::pair<std::string, double>> pieces;
      if (tables.scored) pieces = std::move(*tables.scored);
      const json no_pieces = json::array();
      const json& v = tables.scored ? no_pieces : j.at("vocab");
      if (!v.is_array()) fail(where + ": Unigram vocab must be a list of [piece, score]");
      pieces.reserve(pieces.size() + v.size());
      for (const auto& e : v) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
          fail(where + ": Unigram vocab entries must be [piece, score]");
        pieces.emplace_back(e[0].get<std::string>(), e[1].get<double>());
      }
      return make_unigram(std::move(pieces), unk_id, json_bool(j, "byte_fallback", false), where);
    }
  } catch (const json::exception& e) {
    fail(where + ": bad " + type + " model: " + e.what());
  }
  fail(where + ": unsupported model type \"" + type + "\"");
}

}  // namespace tokprob::tok
