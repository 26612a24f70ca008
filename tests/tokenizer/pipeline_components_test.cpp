// Pipeline stages the fixture models do not use, on small hand-made tokenizer.json files whose
// expected outputs follow from the `tokenizers` documentation of each stage.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Tokens = std::vector<std::string>;

tokprob::Tokenizer build(const json& tokenizer_json) {
  const fs::path file = fs::temp_directory_path() /
                        ("tokprob-components-" + std::to_string(::getpid()) + "-" +
                         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json");
  std::ofstream(file) << tokenizer_json.dump();
  auto tok = tokprob::Tokenizer::from_tokenizer_json(file);
  fs::remove(file);
  return tok;
}

// A WordLevel model over `words` (ids in order, "<unk>" first), so tokens show the pieces.
json word_level(const Tokens& words) {
  json vocab = json::object();
  vocab["<unk>"] = 0;
  for (size_t i = 0; i < words.size(); ++i) vocab[words[i]] = static_cast<int>(i + 1);
  return {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "<unk>"}};
}

Tokens split_with(const std::string& behavior, const std::string& text) {
  const json j = {{"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}}},
                  {"model", word_level({"the", "final", "countdown", "-", "the-", "final-", "-final", "-countdown", "--"})}};
  return build(j).encode(text).tokens;
}

TEST(PreTokenizerSplit, Behaviors) {
  const std::string text = "the-final--countdown";
  EXPECT_EQ(split_with("Removed", text), (Tokens{"the", "final", "countdown"}));
  EXPECT_EQ(split_with("Isolated", text), (Tokens{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split_with("MergedWithPrevious", text), (Tokens{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split_with("MergedWithNext", text), (Tokens{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split_with("Contiguous", text), (Tokens{"the", "-", "final", "--", "countdown"}));
}

TEST(PreTokenizerSplit, RegexInverted) {
  // Keeping the matches of \d+ (invert + Removed drops everything else).
  const json j = {{"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"Regex", "\\d+"}}}, {"behavior", "Removed"}, {"invert", true}}},
                  {"model", word_level({"12", "345"})}};
  EXPECT_EQ(build(j).encode("a12b345c").tokens, (Tokens{"12", "345"}));
}

TEST(PreTokenizers, WhitespaceDigitsPunctuation) {
  const json ws = {{"pre_tokenizer", {{"type", "Whitespace"}}}, {"model", word_level({"Hey", "friend", "!", "How", "?!?"})}};
  EXPECT_EQ(build(ws).encode("Hey friend!     How ?!?").tokens, (Tokens{"Hey", "friend", "!", "How", "?!?"}));
  const json digits = {{"pre_tokenizer", {{"type", "Digits"}, {"individual_digits", true}}},
                       {"model", word_level({"Call ", "1", "2", "3", " now"})}};
  EXPECT_EQ(build(digits).encode("Call 123 now").tokens, (Tokens{"Call ", "1", "2", "3", " now"}));
  const json grouped = {{"pre_tokenizer", {{"type", "Digits"}, {"individual_digits", false}}},
                        {"model", word_level({"Call ", "123", " now"})}};
  EXPECT_EQ(build(grouped).encode("Call 123 now").tokens, (Tokens{"Call ", "123", " now"}));
  const json punct = {{"pre_tokenizer", {{"type", "Sequence"},
                                         {"pretokenizers", {{{"type", "WhitespaceSplit"}}, {{"type", "Punctuation"}, {"behavior", "Isolated"}}}}}},
                      {"model", word_level({"Hi", ",", "you", "!"})}};
  EXPECT_EQ(build(punct).encode("Hi, you!").tokens, (Tokens{"Hi", ",", "you", "!"}));
}

TEST(PreTokenizers, MetaspacePrependSchemes) {
  auto with = [](const std::string& scheme) {
    return json{{"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", scheme}, {"split", true}}},
                {"model", word_level({"▁hi", "▁there", "hi"})}};
  };
  EXPECT_EQ(build(with("always")).encode("hi there").tokens, (Tokens{"▁hi", "▁there"}));
  EXPECT_EQ(build(with("never")).encode("hi there").tokens, (Tokens{"hi", "▁there"}));
  EXPECT_EQ(build(with("first")).encode("hi there").tokens, (Tokens{"▁hi", "▁there"}));
}

TEST(Normalizers, UnicodeFormsCaseAndReplace) {
  const json nfkc = {{"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "NFKC"}}, {{"type", "Lowercase"}}}}}},
                     {"model", word_level({"abc"})}};
  const auto e = build(nfkc).encode("ＡＢＣ");  // fullwidth letters
  EXPECT_EQ(e.tokens, (Tokens{"abc"}));
  EXPECT_EQ(e.offsets, (std::vector<std::pair<size_t, size_t>>{{0, 3}}));
  const json nfd = {{"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "StripAccents"}}}}}},
                    {"model", word_level({"cafe"})}};
  EXPECT_EQ(build(nfd).encode("café").tokens, (Tokens{"cafe"}));
  const json replace = {{"normalizer", {{"type", "Sequence"},
                                        {"normalizers", {{{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}},
                                                         {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", "_"}}}}}},
                        {"model", word_level({"a_b"})}};
  EXPECT_EQ(build(replace).encode("  a \t b  ").tokens, (Tokens{"a_b"}));
}

// Offsets as the `tokenizers` library gives them (checked with it): every character a Replace
// writes aligns with the last character of its match, so a run of spaces collapsed to one reads
// as the run's last space.
TEST(Normalizers, ReplaceAlignsWithTheMatchsLastCharacter) {
  auto one_char_tokens = [](const std::string& pattern, const std::string& content) {
    return json{{"normalizer", {{"type", "Replace"}, {"pattern", {{"Regex", pattern}}}, {"content", content}}},
                {"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"Regex", "."}}}, {"behavior", "Isolated"},
                                   {"invert", false}}},
                {"model", word_level(Tokens{})}};
  };
  using Offsets = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(build(one_char_tokens(" {2,}", " ")).encode("a    b").offsets, (Offsets{{0, 1}, {4, 5}, {5, 6}}));
  EXPECT_EQ(build(one_char_tokens("abc", "xy")).encode("zabcz").offsets, (Offsets{{0, 1}, {3, 4}, {3, 4}, {4, 5}}));
  EXPECT_EQ(build(one_char_tokens("ab", "xyz")).encode("zabz").offsets,
            (Offsets{{0, 1}, {2, 3}, {2, 3}, {2, 3}, {3, 4}}));
}

TEST(Models, BpeSuffixAndPrefix) {
  const json suffix = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}}}, {"merges", json::array({"a b</w>"})},
                                  {"end_of_word_suffix", "</w>"}}},
                       {"decoder", {{"type", "BPEDecoder"}, {"suffix", "</w>"}}}};
  const auto s = build(suffix);
  EXPECT_EQ(s.encode("ab").ids, (std::vector<int32_t>{2}));
  EXPECT_EQ(s.decode(std::vector<int32_t>{2, 2}), "ab ab");
  const json prefix = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"##b", 1}, {"ab", 2}}}, {"merges", json::array({json::array({"a", "##b"})})},
                                  {"continuing_subword_prefix", "##"}}}};
  EXPECT_EQ(build(prefix).encode("ab").ids, (std::vector<int32_t>{2}));
}

TEST(Models, BpeIgnoreMergesAndUnknowns) {
  // "hello" is in the vocabulary but no merge makes it: only ignore_merges finds it whole.
  json model = {{"type", "BPE"}, {"vocab", {{"<unk>", 0}, {"h", 1}, {"e", 2}, {"l", 3}, {"o", 4}, {"hello", 5}}},
                {"merges", json::array()}, {"unk_token", "<unk>"}, {"fuse_unk", true}};
  EXPECT_EQ(build({{"model", model}}).encode("hello").ids, (std::vector<int32_t>{1, 2, 3, 3, 4}));
  model["ignore_merges"] = true;
  EXPECT_EQ(build({{"model", model}}).encode("hello").ids, (std::vector<int32_t>{5}));
  // Unknown characters fuse into one unknown token.
  EXPECT_EQ(build({{"model", model}}).encode("hxyzo").ids, (std::vector<int32_t>{1, 0, 4}));
  model["fuse_unk"] = false;
  EXPECT_EQ(build({{"model", model}}).encode("hxyzo").ids, (std::vector<int32_t>{1, 0, 0, 0, 4}));
}

TEST(Models, WordPieceLongWordIsUnknown) {
  const json j = {{"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                  {"model", {{"type", "WordPiece"}, {"vocab", {{"[UNK]", 0}, {"ab", 1}, {"##cd", 2}}}, {"unk_token", "[UNK]"},
                             {"continuing_subword_prefix", "##"}, {"max_input_chars_per_word", 4}}},
                  {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}}};
  const auto tok = build(j);
  EXPECT_EQ(tok.encode("abcd abcde abx").ids, (std::vector<int32_t>{1, 2, 0, 0}));
  EXPECT_EQ(tok.decode(std::vector<int32_t>{1, 2, 1}), "abcd ab");
}

TEST(Models, UnigramBestPathAndByteFallback) {
  const json vocab = json::array({json::array({"<unk>", 0.0}), json::array({"a", -1.0}), json::array({"b", -1.0}),
                                  json::array({"ab", -1.5}), json::array({"<0x63>", -3.0})});
  const json j = {{"model", {{"type", "Unigram"}, {"vocab", vocab}, {"unk_id", 0}, {"byte_fallback", true}}}};
  const auto tok = build(j);
  // "ab" (-1.5) beats "a" + "b" (-2); "c" is missing and falls back to its byte.
  EXPECT_EQ(tok.encode("abc").tokens, (Tokens{"ab", "<0x63>"}));
  // "d" has no byte token either: the unknown token keeps the text it stands for.
  EXPECT_EQ(tok.encode("ad").tokens, (Tokens{"a", "d"}));
  EXPECT_EQ(tok.encode("ad").ids, (std::vector<int32_t>{1, 0}));
}

TEST(PostProcessors, RobertaPairAndByteLevelTrim) {
  json j = {{"added_tokens", {{{"id", 0}, {"content", "<s>"}, {"special", true}, {"normalized", false}},
                              {{"id", 1}, {"content", "</s>"}, {"special", true}, {"normalized", false}}}},
            {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
            {"model", {{"type", "BPE"},
                       {"vocab", {{"<s>", 0}, {"</s>", 1}, {"H", 2}, {"i", 3}, {"Ġ", 4}, {"t", 5}, {"Hi", 6}, {"Ġt", 7}}},
                       {"merges", json::array({"H i", "Ġ t"})}}},
            {"post_processor", {{"type", "RobertaProcessing"}, {"sep", {"</s>", 1}}, {"cls", {"<s>", 0}},
                                {"trim_offsets", true}, {"add_prefix_space", false}}},
            {"decoder", {{"type", "ByteLevel"}}}};
  const auto tok = build(j);
  const auto e = tok.encode_pair("Hi t", "t");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 6, 7, 1, 1, 5, 1}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0}));
  // "Ġt" covers " t" but its offsets leave the space out.
  EXPECT_EQ(e.offsets[2], (std::pair<size_t, size_t>{3, 4}));
  EXPECT_EQ(tok.decode(e.ids, true), "Hi tt");
}

TEST(PostProcessors, BertProcessingAndSequence) {
  const json j = {{"model", word_level({"[CLS]", "[SEP]", "x"})},
                  {"post_processor", {{"type", "Sequence"},
                                      {"processors", {{{"type", "ByteLevel"}, {"trim_offsets", false}},
                                                      {{"type", "BertProcessing"}, {"sep", {"[SEP]", 2}}, {"cls", {"[CLS]", 1}}}}}}}};
  const auto e = build(j).encode_pair("x", "x");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 3, 2, 3, 2}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 1, 1}));
}

TEST(AddedTokens, StripAndSingleWord) {
  json j = {{"added_tokens", {{{"id", 10}, {"content", "<mask>"}, {"special", true}, {"lstrip", true}, {"rstrip", false},
                               {"single_word", false}, {"normalized", false}},
                              {{"id", 11}, {"content", "go"}, {"special", false}, {"lstrip", false}, {"rstrip", false},
                               {"single_word", true}, {"normalized", true}}}},
            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
            {"model", word_level({"a", "x", "gone"})}};
  j["model"]["vocab"]["<mask>"] = 10;
  j["model"]["vocab"]["go"] = 11;
  const auto tok = build(j);
  const auto e = tok.encode("a   <mask> go gone");
  // single_word: "go" inside "gone" is not the added token.
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 10, 11, 3}));
  // lstrip: the token takes the spaces before it.
  EXPECT_EQ(e.tokens[1], "   <mask>");
  EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{1, 10}));
  EXPECT_EQ(tok.decode(e.ids, true), "a go gone");
}

TEST(Decoders, StripFuseReplaceByteFallback) {
  const json j = {{"model", {{"type", "BPE"}, {"vocab", {{"▁a", 0}, {"<0xE2>", 1}, {"<0x82>", 2}, {"<0xAC>", 3}, {"<0xFF>", 4}}},
                             {"merges", json::array()}, {"byte_fallback", true}}},
                  {"decoder", {{"type", "Sequence"},
                               {"decoders", {{{"type", "Replace"}, {"pattern", {{"String", "▁"}}}, {"content", " "}},
                                             {{"type", "ByteFallback"}},
                                             {{"type", "Fuse"}},
                                             {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}}};
  const auto tok = build(j);
  EXPECT_EQ(tok.decode(std::vector<int32_t>{0, 1, 2, 3, 0}), "a€ a");
  // An invalid byte run gives one U+FFFD per byte.
  EXPECT_EQ(tok.decode(std::vector<int32_t>{0, 4, 1}), "a\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(tok.token_text(0), " a");
  EXPECT_EQ(tok.token_text(1), "\xEF\xBF\xBD");
}

}  // namespace
