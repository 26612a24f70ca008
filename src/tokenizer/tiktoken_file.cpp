#include "tokenizer/tiktoken_file.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/byte_level_alphabet.hpp"
#include "tokenizer/pipeline.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// TikTokenConverter's default pattern (Llama 3's), which it uses for every tiktoken file.
constexpr const char* kPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Standard base64 (RFC 4648, with padding), the encoding of tiktoken's tokens. Written here: a few
// lines, against linking a library for it.
std::optional<std::string> base64_decode(std::string_view s) {
  static const std::array<int8_t, 256> value = [] {
    std::array<int8_t, 256> v{};
    v.fill(-1);
    const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < alphabet.size(); ++i) v[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
    return v;
  }();
  if (s.empty() || s.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && s[s.size() - 1 - padding] == '=') ++padding;
  std::string out;
  out.reserve(s.size() / 4 * 3);
  uint32_t bits = 0;
  int count = 0;
  for (size_t i = 0; i < s.size() - padding; ++i) {
    const int8_t v = value[static_cast<uint8_t>(s[i])];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if (++count == 4) {
      out += static_cast<char>(bits >> 16);
      out += static_cast<char>(bits >> 8);
      out += static_cast<char>(bits);
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) return std::nullopt;
  if (count == 2) out += static_cast<char>(bits >> 4);
  if (count == 3) {
    out += static_cast<char>(bits >> 10);
    out += static_cast<char>(bits >> 2);
  }
  return out;
}

// "<base64> <rank>", or nothing when the line is not one.
std::optional<std::pair<std::string, int64_t>> parse_line(std::string_view line) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || space + 1 >= line.size()) return std::nullopt;
  auto token = base64_decode(line.substr(0, space));
  if (!token) return std::nullopt;
  int64_t rank = 0;
  for (char c : line.substr(space + 1)) {
    if (c < '0' || c > '9' || rank > kMaxVocabId) return std::nullopt;
    rank = rank * 10 + (c - '0');
  }
  return std::pair{std::move(*token), rank};
}

bool holds_tiktoken_lines(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string first;
  if (!in || !std::getline(in, first)) return false;
  if (!first.empty() && first.back() == '\r') first.pop_back();
  return parse_line(first).has_value();
}

// The token's bytes as the byte-level alphabet spells them (each byte one character).
std::string byte_level(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) append_utf8(out, byte_to_char()[b]);
  return out;
}

json added_token(int64_t id, const std::string& content) {
  return {{"id", static_cast<uint64_t>(id)}, {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", true}};
}

}  // namespace

std::optional<fs::path> tiktoken_file_of(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir / "tokenizer.model", ec) && holds_tiktoken_lines(dir / "tokenizer.model"))
    return dir / "tokenizer.model";
  if (fs::is_regular_file(dir / "tiktoken.model", ec)) return dir / "tiktoken.model";
  return std::nullopt;
}

TokenizerJsonDocument tiktoken_document(const fs::path& file, const json& config) {
  const std::string where = file.string();
  const std::string text = read_file(where);
  std::vector<std::pair<std::string, int32_t>> ranks;  // byte-level token and rank, in file order
  Vocab vocab;  // ranks are the ids
  size_t line_number = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    at = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto entry = parse_line(line);
    if (!entry || entry->second >= kMaxVocabId)
      fail(where + ": line " + std::to_string(line_number) + " is not a base64 token and a rank");
    ranks.emplace_back(byte_level(entry->first), static_cast<int32_t>(entry->second));
    vocab.add(ranks.back().first, ranks.back().second);
  }
  if (ranks.empty()) fail(where + ": no tokens");

  // The merges TikTokenConverter derives: for each token, every split into two tokens of the file,
  // ordered by the token's rank, then by the ranks of the left and right parts. A split between two
  // bytes is one between their byte-level characters.
  struct Merge {
    int32_t rank, left, right;
  };
  std::vector<Merge> merges;
  std::vector<size_t> cuts;
  for (const auto& [token, rank] : ranks) {
    if (vocab.find(token) != rank) continue;  // a token listed twice counts once, with its last rank
    cuts.clear();
    for (size_t i = 0; i < token.size(); ++i)
      if ((static_cast<unsigned char>(token[i]) & 0xC0) != 0x80 && i > 0) cuts.push_back(i);
    const std::string_view t(token);
    for (size_t cut : cuts) {
      auto l = vocab.find(t.substr(0, cut));
      auto r = vocab.find(t.substr(cut));
      if (l && r) merges.push_back({rank, *l, *r});
    }
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
    return std::tie(a.rank, a.left, a.right) < std::tie(b.rank, b.left, b.right);
  });

  TokenizerJsonDocument doc;
  std::vector<std::pair<std::string, std::string>> merge_pairs;
  merge_pairs.reserve(merges.size());
  for (const Merge& m : merges) merge_pairs.emplace_back(*vocab.token(m.left), *vocab.token(m.right));
  const auto base = static_cast<int64_t>(vocab.size());
  doc.tables.vocab = std::move(vocab);
  doc.tables.merges = std::move(merge_pairs);

  // Special tokens as _convert_from_tiktoken lists them: added_tokens_decoder's entries from the
  // vocabulary's size up (placeholders where it skips an id), then extra_special_tokens.
  std::unordered_map<int64_t, std::string> decoder;
  int64_t max_decoder_id = 0;
  if (config.is_object() && config.contains("added_tokens_decoder") && config["added_tokens_decoder"].is_object()) {
    for (const auto& [key, value] : config["added_tokens_decoder"].items()) {
      int64_t id = 0;
      try {
        id = std::stoll(key);
      } catch (const std::exception&) {
        fail(where + ": tokenizer_config.json added_tokens_decoder key \"" + key + "\" is not an id");
      }
      if (auto content = token_content(value)) {
        decoder[id] = *content;
        max_decoder_id = std::max(max_decoder_id, id);
      }
    }
  }
  std::vector<std::string> extras;
  if (config.is_object() && config.contains("extra_special_tokens")) {
    const json& e = config["extra_special_tokens"];
    if (e.is_array())
      for (const auto& t : e)
        if (auto c = token_content(t)) extras.push_back(*c);
    if (e.is_object())
      for (const auto& [key, value] : e.items()) extras.push_back(key);
  }
  if (max_decoder_id >= base) {
    if (max_decoder_id >= kMaxVocabId) fail(where + ": added token id " + std::to_string(max_decoder_id) + " is too large");
    std::vector<std::string> listed;
    for (int64_t id = base; id <= max_decoder_id; ++id) {
      auto it = decoder.find(id);
      listed.push_back(it != decoder.end() ? it->second : "<|reserved_token_" + std::to_string(id) + "|>");
    }
    const std::unordered_set<std::string> seen(listed.begin(), listed.end());
    for (const std::string& e : extras)
      if (!seen.count(e)) listed.push_back(e);
    extras = std::move(listed);
  }
  // add_special_tokens: a token already in the vocabulary keeps its id, a new one takes the next.
  json added = json::array();
  std::unordered_map<std::string, int64_t> added_ids;
  int64_t next = base;
  for (const std::string& content : extras) {
    if (added_ids.count(content)) continue;
    if (auto id = doc.tables.vocab->find(content)) {
      added_ids[content] = *id;
      added.push_back(added_token(*id, content));
      continue;
    }
    added_ids[content] = next;
    added.push_back(added_token(next++, content));
  }

  doc.rest = {
      {"version", "1.0"},
      {"added_tokens", std::move(added)},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         json::array({{{"type", "Split"}, {"pattern", {{"Regex", kPattern}}}, {"behavior", "Isolated"}, {"invert", false}},
                      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}})}}},
      {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", true}}}};
  return doc;
}

}  // namespace tokprob::tok
