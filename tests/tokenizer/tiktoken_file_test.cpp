// tiktoken rank files, converted as transformers' TikTokenConverter does.
#include "tokenizer/tiktoken_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fixtures.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
using tokprob::Tokenizer;

class TiktokenFolder : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("tokprob-tiktoken-" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir / name, std::ios::binary) << text; }
  std::string load_error() {
    try {
      Tokenizer::from_folder(dir);
    } catch (const tokprob::Error& e) {
      return e.what();
    }
    return "";
  }
};

// Llama 3 ships the same vocabulary twice: tiktoken ranks (original/tokenizer.model) and a
// tokenizer.json with the merges written out. Converted, the ranks must tokenize as the JSON does.
TEST_F(TiktokenFolder, LlamaThreeRanksTokenizeAsItsTokenizerJson) {
  const fs::path llama3 = tokprob::testing::fixtures_dir() / "modern-tokenizers" / "llama3";
  fs::copy_file(llama3 / "original" / "tokenizer.model", dir / "tokenizer.model");
  fs::copy_file(llama3 / "tokenizer_config.json", dir / "tokenizer_config.json");
  const Tokenizer ranks = Tokenizer::from_folder(dir);
  const Tokenizer json = Tokenizer::from_tokenizer_json(llama3 / "tokenizer.json");
  for (const char* text : {"Hello world, how are you?", "  leading spaces\n\n\ttabs", "héllo wörld 123456789",
                           "中文日本語の 한국어 👍🏽", "don't I'll WE'RE", "<|begin_of_text|>x<|eot_id|>", ""}) {
    EXPECT_EQ(ranks.encode(text, false).ids, json.encode(text, false).ids) << text;
    EXPECT_EQ(ranks.decode(json.encode(text, false).ids, false), json.decode(json.encode(text, false).ids, false)) << text;
  }
}

// Special tokens as transformers places them: added_tokens_decoder's ids from the ranks' count up,
// a placeholder <|reserved_token_N|> where it skips one, then extra_special_tokens not listed yet.
TEST_F(TiktokenFolder, SpecialTokensFollowTheRanks) {
  write("tiktoken.model", "YQ== 0\nYg== 1\nYWI= 2\nIA== 3\n");  // a, b, ab, space
  write("tokenizer_config.json",
        R"({"added_tokens_decoder": {"6": {"content": "<x>", "special": true}}, "extra_special_tokens": ["<y>", "<x>"]})");
  const Tokenizer t = Tokenizer::from_folder(dir);
  EXPECT_EQ(t.encode("ab<y> ba<x>").ids, (std::vector<int32_t>{2, 7, 3, 1, 0, 6}));
  const std::vector<int32_t> placeholders{4, 5};
  EXPECT_EQ(t.decode(placeholders, false), "<|reserved_token_4|><|reserved_token_5|>");
}

TEST_F(TiktokenFolder, AMalformedFileIsNamedWithItsLine) {
  write("tiktoken.model", "YQ== 0\nnot base64!! 1\n");
  EXPECT_NE(load_error().find("tiktoken.model: line 2 is not a base64 token and a rank"), std::string::npos) << load_error();
  write("tiktoken.model", "YQ== 0\nYg== x\n");
  EXPECT_NE(load_error().find("line 2 is not a base64 token and a rank"), std::string::npos) << load_error();
  write("tiktoken.model", "\n\n");
  EXPECT_NE(load_error().find("tiktoken.model: no tokens"), std::string::npos) << load_error();
}

// A tokenizer.model holding a SentencePiece model is still read as one.
TEST_F(TiktokenFolder, ASentencePieceModelIsNotTiktoken) {
  fs::copy_file(tokprob::testing::fixtures_dir() / "llama-tiny" / "tokenizer.model", dir / "tokenizer.model");
  EXPECT_FALSE(tokprob::tok::tiktoken_file_of(dir).has_value());
}

}  // namespace
