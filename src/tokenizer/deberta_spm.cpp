#include "tokenizer/deberta_spm.hpp"

#include <sentencepiece_processor.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tokenizer/json_fields.hpp"
#include "tokenizer/precompiled_charsmap.hpp"
#include "tokenizer/sentencepiece_model.hpp"
#include "tokenizer/sentencepiece_proto.hpp"
#include "tokenizer/tokenizer_json_reader.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

// A role token's content from tokenizer_config.json, else special_tokens_map.json, else the
// class's default.
std::string role(const json& config, const json& special_tokens_map, const char* key, const char* fallback) {
  for (const json* source : {&config, &special_tokens_map})
    if (source->is_object() && source->contains(key))
      if (auto c = token_content((*source)[key])) return *c;
  return fallback;
}

json metaspace(bool add_prefix_space) {
  return {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", add_prefix_space ? "always" : "first"},
          {"split", true}};
}

json added_token(int32_t id, const std::string& content) {
  // Unsigned, as a parsed file's ids are (the reader checks them as such).
  return {{"id", static_cast<uint64_t>(id)}, {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},   {"normalized", false}, {"special", true}};
}

}  // namespace

std::unique_ptr<Pipeline> load_deberta_spm(const std::filesystem::path& dir, const TokenizerOptions& options) {
  const std::filesystem::path file = dir / "spm.model";
  const std::string where = file.string();
  const json config = read_optional_json(dir / "tokenizer_config.json");
  const json special_tokens_map = read_optional_json(dir / "special_tokens_map.json");
  const std::string bytes = read_file(where);
  // The normalizer's character map, checked before the library reads it (load_sentencepiece).
  const std::vector<std::string_view> charsmaps = sentencepiece_charsmaps(bytes, where);
  const std::string charsmap = charsmaps.empty() ? std::string() : std::string(charsmaps.front());
  const SentencePieceFiles sp = load_sentencepiece(file);
  const sentencepiece::SentencePieceProcessor& proc = *sp.processor;

  TokenizerJsonDocument doc;
  std::vector<std::pair<std::string, double>> pieces;
  for (int id = 0; id < proc.GetPieceSize(); ++id) pieces.emplace_back(proc.IdToPiece(id), proc.GetScore(id));

  const std::string bos = role(config, special_tokens_map, "bos_token", "[CLS]"),
                    eos = role(config, special_tokens_map, "eos_token", "[SEP]"),
                    unk = role(config, special_tokens_map, "unk_token", "[UNK]"),
                    sep = role(config, special_tokens_map, "sep_token", "[SEP]"),
                    pad = role(config, special_tokens_map, "pad_token", "[PAD]"),
                    cls = role(config, special_tokens_map, "cls_token", "[CLS]"),
                    mask = role(config, special_tokens_map, "mask_token", "[MASK]");
  // The unknown piece: the first named unk_token with score 0, else the model's own.
  int unk_id = proc.unk_id();
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].first == unk && pieces[i].second == 0.0) {
      unk_id = static_cast<int>(i);
      break;
    }

  // Special tokens: those added_tokens_decoder fixes, then the roles and the control pieces, each
  // at its piece's id or, absent from the pieces, after everything so far.
  json added = json::array();
  std::set<std::string> seen;
  int32_t next = static_cast<int32_t>(pieces.size());
  auto piece_id = [&](const std::string& t) -> std::optional<int32_t> {
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i].first == t) return static_cast<int32_t>(i);
    return std::nullopt;
  };
  if (config.is_object() && config.contains("added_tokens_decoder") && config["added_tokens_decoder"].is_object())
    for (const auto& [key, value] : config["added_tokens_decoder"].items()) {
      const auto content = token_content(value);
      if (!content) continue;
      int32_t id = 0;
      try {
        id = static_cast<int32_t>(std::stol(key));
        if (id < 0) throw std::out_of_range(key);
      } catch (const std::exception&) {
        fail((dir / "tokenizer_config.json").string() + ": added_tokens_decoder key '" + key + "' is not an id");
      }
      if (seen.insert(*content).second) {
        json t = added_token(id, *content);
        if (value.is_object())
          for (const char* k : {"single_word", "lstrip", "rstrip", "normalized", "special"})
            if (value.contains(k) && value[k].is_boolean()) t[k] = value[k];
        added.push_back(t);
        next = std::max(next, id + 1);
      }
    }
  std::vector<std::string> specials = {bos, eos, unk, sep, pad, cls, mask};
  for (int id = 0; id < proc.GetPieceSize(); ++id)
    if (proc.IsControl(id)) specials.push_back(pieces[id].first);
  for (const auto& s : specials) {
    if (!seen.insert(s).second) continue;
    added.push_back(added_token(piece_id(s).value_or(next), s));
    if (!piece_id(s)) ++next;
  }
  auto id_of = [&](const std::string& t) -> int32_t {
    for (const auto& a : added)
      if (a["content"] == t) return static_cast<int32_t>(a["id"].get<uint64_t>());
    return piece_id(t).value_or(0);
  };

  const bool lower = json_bool(config, "do_lower_case", false);
  const bool add_prefix_space = options.add_prefix_space.value_or(json_bool(config, "add_prefix_space", true));
  json normalizers = json::array();
  if (lower) normalizers.push_back({{"type", "Lowercase"}});
  if (!charsmap.empty()) {
    normalizers.push_back({{"type", "Precompiled"}, {"precompiled_charsmap", base64_encode(charsmap)}});
    normalizers.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
    normalizers.push_back({{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}});
  } else {
    normalizers.push_back({{"type", "Replace"}, {"pattern", {{"Regex", "\\s{2,}|[\\n\\r\\t]"}}}, {"content", " "}});
    normalizers.push_back({{"type", "NFC"}});
    normalizers.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
  }
  json pre = json::array();
  if (json_bool(config, "split_by_punct", false)) pre.push_back({{"type", "Punctuation"}, {"behavior", "Isolated"}});
  pre.push_back(metaspace(add_prefix_space));
  auto special = [](const std::string& t, int type) { return json{{"SpecialToken", {{"id", t}, {"type_id", type}}}}; };
  auto sequence = [](const char* s, int type) { return json{{"Sequence", {{"id", s}, {"type_id", type}}}}; };
  doc.rest = {
      {"added_tokens", added},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", normalizers}}},
      {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", pre}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {special(cls, 0), sequence("A", 0), special(sep, 0)}},
        {"pair", {special(cls, 0), sequence("A", 0), special(sep, 0), sequence("B", 1), special(sep, 1)}},
        {"special_tokens",
         {{cls, {{"id", cls}, {"ids", {id_of(cls)}}, {"tokens", {cls}}}},
          {sep, {{"id", sep}, {"ids", {id_of(sep)}}, {"tokens", {sep}}}}}}}},
      {"decoder", metaspace(add_prefix_space)},
      {"model", {{"type", "Unigram"}, {"unk_id", unk_id}, {"byte_fallback", false}}},
  };
  doc.tables.scored = std::move(pieces);
  TokenizerOptions rest = options;
  rest.add_prefix_space.reset();  // applied above, as the class applies it
  auto impl = load_tokenizer_document(std::move(doc), where, dir, rest);
  // The class's default roles where neither config names them.
  auto fill = [&](std::optional<int32_t>& r, const std::string& t) {
    if (!r) r = impl->token_to_id(t);
  };
  fill(impl->roles.bos, bos);
  fill(impl->roles.eos, eos);
  fill(impl->roles.unk, unk);
  fill(impl->roles.sep, sep);
  fill(impl->roles.pad, pad);
  fill(impl->roles.cls, cls);
  fill(impl->roles.mask, mask);
  return impl;
}

}  // namespace tokprob::tok
