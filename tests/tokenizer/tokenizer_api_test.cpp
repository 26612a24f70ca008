// Offsets, special-token roles, token_text, pairs, invalid UTF-8 and bad input files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fixtures.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
using Offsets = std::vector<std::pair<size_t, size_t>>;

tokprob::Tokenizer load(const std::string& name) {
  return tokprob::Tokenizer::from_folder(tokprob::testing::fixtures_dir() / name);
}

TEST(TokenizerOffsets, Gpt2HelloWorld) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto e = load("gpt2-tiny").encode("Hello world");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{15496, 995}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}, {5, 11}}));
  EXPECT_EQ(e.special_mask, (std::vector<uint8_t>{0, 0}));
}

TEST(TokenizerOffsets, Gpt2MultiByteCharacters) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  // "é" is two bytes, so two byte-level characters; offsets stay in code points of the input.
  const auto e = load("gpt2-tiny").encode("café au lait");
  // Each token's span of the input reads exactly as the token does.
  const std::u32string text = U"café au lait";
  const auto tok = load("gpt2-tiny");
  ASSERT_EQ(e.offsets.back().second, text.size());
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const auto [b, en] = e.offsets[i];
    std::string slice;
    for (char32_t c : text.substr(b, en - b)) {
      if (c < 0x80) {
        slice += static_cast<char>(c);
      } else {
        slice += static_cast<char>(0xC0 | (c >> 6));
        slice += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    EXPECT_EQ(slice, tok.token_text(e.ids[i])) << "token " << i << " " << e.tokens[i];
  }
}

TEST(TokenizerOffsets, BertAccentsAndCjk) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto e = load("bert-tiny-mlm").encode("Héllo 日本!");
  // [CLS] hello 日 本 ! [SEP]: accents stripped and lowercased, ideographs split apart.
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "hello", "日", "本", "!", "[SEP]"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 0}, {0, 5}, {6, 7}, {7, 8}, {8, 9}, {0, 0}}));
  EXPECT_EQ(e.special_mask, (std::vector<uint8_t>{1, 0, 0, 0, 0, 1}));
}

TEST(TokenizerOffsets, LlamaPrependedSpaceAlignsWithFirstCharacter) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto e = load("llama-tiny").encode("Hello world", false);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"▁Hello", "▁world"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 5}, {5, 11}}));
}

TEST(TokenizerOffsets, LlamaByteFallbackCoversTheWholeCharacter) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  // "Ğ" is not in the Llama vocabulary: two byte tokens, both over that one code point.
  const auto e = load("llama-tiny").encode("IĞ", false);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"▁I", "<0xC4>", "<0x9E>"}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {1, 2}, {1, 2}}));
}

TEST(TokenizerPairs, BertTypeIds) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto e = load("bert-tiny-mlm").encode_pair("hello", "world");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{101, 7592, 102, 2088, 102}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 1, 1}));
}

TEST(TokenizerRoles, SpecialTokensFromConfig) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto bert = load("bert-tiny-mlm").special_tokens();
  EXPECT_EQ(bert.cls, 101);
  EXPECT_EQ(bert.sep, 102);
  EXPECT_EQ(bert.mask, 103);
  EXPECT_EQ(bert.pad, 0);
  EXPECT_EQ(bert.unk, 100);
  EXPECT_FALSE(bert.bos.has_value());
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto gpt2 = load("gpt2-tiny").special_tokens();
  EXPECT_EQ(gpt2.bos, 50256);
  EXPECT_EQ(gpt2.eos, 50256);
  EXPECT_FALSE(gpt2.pad.has_value());
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto t5 = load("t5-tiny").special_tokens();
  EXPECT_EQ(t5.eos, 1);
  EXPECT_EQ(t5.pad, 0);
  EXPECT_EQ(t5.unk, 2);
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto llama = load("llama-tiny").special_tokens();
  EXPECT_EQ(llama.bos, 1);
  EXPECT_EQ(llama.eos, 2);
  EXPECT_EQ(llama.unk, 0);
}

TEST(TokenizerVocabulary, SizesAndLookups) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto gpt2 = load("gpt2-tiny");
  EXPECT_EQ(gpt2.vocab_size(), 50257u);
  EXPECT_EQ(gpt2.token_to_id("Ġgo"), 467);
  EXPECT_EQ(gpt2.id_to_token(467), "Ġgo");
  EXPECT_TRUE(gpt2.is_special(50256));
  EXPECT_THROW(gpt2.id_to_token(50257), tokprob::Error);
  EXPECT_FALSE(gpt2.token_to_id("no such token").has_value());
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  EXPECT_EQ(load("t5-tiny").vocab_size(), 32100u);
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  EXPECT_EQ(load("llama-tiny").vocab_size(), 32000u);
}

TEST(TokenizerTokenText, ReadsAsOnItsOwn) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto gpt2 = load("gpt2-tiny");
  EXPECT_EQ(gpt2.token_text(467), " go");
  EXPECT_EQ(gpt2.token_text(50256), "<|endoftext|>");
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  const auto llama = load("llama-tiny");
  EXPECT_EQ(llama.token_text(*llama.token_to_id("▁the")), " the");
  EXPECT_EQ(llama.token_text(*llama.token_to_id("<0x0A>")), "\n");
  EXPECT_EQ(llama.token_text(1), "<s>");
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto t5 = load("t5-tiny");
  EXPECT_EQ(t5.token_text(*t5.token_to_id("▁the")), " the");
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto bert = load("bert-tiny-mlm");
  EXPECT_EQ(bert.token_text(*bert.token_to_id("##ing")), "ing");
  EXPECT_EQ(bert.token_text(*bert.token_to_id("go")), "go");
}

TEST(TokenizerInput, InvalidUtf8BecomesReplacementCharacter) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto gpt2 = load("gpt2-tiny");
  EXPECT_EQ(gpt2.encode("a\xff" "b").ids, gpt2.encode("a\xEF\xBF\xBD" "b").ids);
  // A truncated 3-byte sequence is one maximal subpart: one U+FFFD.
  EXPECT_EQ(gpt2.encode("x\xE2\x82").ids, gpt2.encode("x\xEF\xBF\xBD").ids);
  EXPECT_EQ(gpt2.decode(gpt2.encode("a\xff" "b").ids), "a\xEF\xBF\xBD" "b");
}

TEST(TokenizerInput, T5NextLineIsWhitespaceAsInRust) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  // See kRustDepartures in expected_corpus_test.cpp: U+0085 separates words in WhitespaceSplit.
  EXPECT_EQ(load("t5-tiny").encode("a\xC2\x85" "b NEL", false).ids, (std::vector<int32_t>{3, 9, 3, 115, 445, 3577}));
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tokprob-bad-input-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& content) { std::ofstream(dir_ / name) << content; }
  // The call throws tokprob::Error whose message names `needle`.
  template <typename F>
  void expect_error_naming(F&& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "no error thrown";
    } catch (const tokprob::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "message is not one line: " << e.what();
    }
  }
  fs::path dir_;
};

TEST_F(BadInput, MissingFolder) {
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_ / "nope"); }, "nope");
  expect_error_naming([&] { tokprob::Tokenizer::from_tokenizer_json(dir_ / "nope.json"); }, "nope.json");
}

TEST_F(BadInput, FolderWithoutTokenizerFiles) {
  write("config.json", "{}");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, dir_.string());
}

TEST_F(BadInput, TruncatedTokenizerJson) {
  write("tokenizer.json", R"({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0)");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, "tokenizer.json");
}

TEST_F(BadInput, GarbageTokenizerJson) {
  write("tokenizer.json", "\x01\x02 not json at all");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, "tokenizer.json");
}

TEST_F(BadInput, UnknownModelType) {
  write("tokenizer.json", R"({"model": {"type": "Magic", "vocab": {}}})");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, "Magic");
}

TEST_F(BadInput, UnknownNormalizerType) {
  write("tokenizer.json", R"({"normalizer": {"type": "Sparkle"}, "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, "tokenizer.json");
}

TEST_F(BadInput, MergeWithUnknownToken) {
  write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}})");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, "tokenizer.json");
}

TEST_F(BadInput, CorruptSentencePieceModel) {
  write("tokenizer.model", "definitely not a protobuf");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, "tokenizer.model");
}

TEST_F(BadInput, BrokenTokenizerConfig) {
  write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
  write("tokenizer_config.json", "{broken");
  expect_error_naming([&] { tokprob::Tokenizer::from_folder(dir_); }, "tokenizer_config.json");
}

}  // namespace

namespace {

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

// Arbitrary bytes (invalid UTF-8, controls, pieces of special tokens) through every fixture
// tokenizer: no exception, offsets inside the text, decodes that are valid UTF-8.
TEST(TokenizerInput, ArbitraryBytesAreSafe) {
  TOKPROB_REQUIRE_FIXTURE("tokenizers");
  const char* pieces[] = {"<s>", "</s>", "<unk>", "[CLS]", "<|endoftext|>", "<extra_id_0>", " ", "\t", "\n", "é",
                          "\xE2\x96\x81", "\xF0\x9F\x98\x80", "\xFF", "\xC3", "\xE2\x82", "\x80", "##", "a", "Z", "9"};
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  std::vector<std::string> inputs;
  for (int n = 0; n < 150; ++n) {
    std::string s;
    const int parts = static_cast<int>(next() % 12);
    for (int p = 0; p < parts; ++p) {
      if (next() % 3 == 0)
        s += static_cast<char>(next() % 256);
      else
        s += pieces[next() % (sizeof pieces / sizeof pieces[0])];
    }
    inputs.push_back(s);
  }
  for (const char* name : {"gpt2-tiny", "bert-tiny-mlm", "t5-tiny", "llama-tiny", "tinystories-656k"}) {
    const auto tok = load(name);
    for (const auto& s : inputs) {
      const auto e = tok.encode(s);
      for (auto [b, en] : e.offsets) {
        EXPECT_LE(b, en) << name;
        EXPECT_LE(en, s.size()) << name;  // code points never outnumber bytes
      }
      const std::string d = tok.decode(e.ids);
      EXPECT_TRUE(valid_utf8(d)) << name;
      EXPECT_TRUE(valid_utf8(tok.decode(e.ids, true))) << name;
    }
  }
}

}  // namespace
