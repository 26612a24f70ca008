// Limits on tokenizer files, which are outside input: each excess ends in one clear error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fixtures.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;

class TokenizerLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tokprob-limits-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& content) { std::ofstream(dir_ / name) << content; }
  std::string error_of_folder() {
    try {
      tokprob::Tokenizer::from_folder(dir_);
    } catch (const tokprob::Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

const char* const kWordLevel = R"("model": {"type": "WordLevel", "vocab": {"a": 0, "<unk>": 1}, "unk_token": "<unk>"})";

TEST_F(TokenizerLimits, NestedSequencesStopAtTheDepthLimit) {
  std::string nested = R"({"type": "Lowercase"})";
  for (int i = 0; i < 40; ++i) nested = R"({"type": "Sequence", "normalizers": [)" + nested + "]}";
  write("tokenizer.json", "{\"normalizer\": " + nested + ", " + kWordLevel + "}");
  EXPECT_NE(error_of_folder().find("nested deeper than"), std::string::npos);
  // A few levels, as real files have, load.
  nested = R"({"type": "Sequence", "pretokenizers": [{"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}]}]})";
  write("tokenizer.json", "{\"pre_tokenizer\": " + nested + ", " + kWordLevel + "}");
  EXPECT_EQ(tokprob::Tokenizer::from_folder(dir_).encode("a a b").ids, (std::vector<int32_t>{0, 0, 1}));
  // Brackets inside strings are not nesting.
  write("tokenizer.json", "{" + std::string(kWordLevel) + R"(, "x": ")" + std::string(500, '[') + "\"}");
  EXPECT_NO_THROW(tokprob::Tokenizer::from_folder(dir_));
}

TEST_F(TokenizerLimits, OversizedFile) {
  {
    std::ofstream(dir_ / "tokenizer.json") << "{}";
  }
  fs::resize_file(dir_ / "tokenizer.json", (uintmax_t{600} << 20));  // sparse: no disk used
  EXPECT_NE(error_of_folder().find("MiB a tokenizer file may have"), std::string::npos);
}

TEST_F(TokenizerLimits, VocabularyIdsOutOfRange) {
  write("tokenizer.json", R"({"model": {"type": "WordLevel", "vocab": {"a": 0, "b": 2000000000}, "unk_token": "a"}})");
  EXPECT_NE(error_of_folder().find("vocabulary id of \"b\" is 2000000000, outside"), std::string::npos);
  write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})");
  EXPECT_NE(error_of_folder().find("vocabulary id of \"a\" is -1"), std::string::npos);
  write("tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"a": 99999999999999}}})");
  EXPECT_NE(error_of_folder().find("outside"), std::string::npos);
  fs::remove(dir_ / "tokenizer.json");
  write("vocab.json", R"({"a": 0, "b": 1e3})");
  write("merges.txt", "#version: 0.2\n");
  EXPECT_NE(error_of_folder().find("vocabulary id of \"b\" is not an integer"), std::string::npos);
  write("vocab.json", R"({"a": 0, "b": 4194304})");
  EXPECT_NE(error_of_folder().find("vocabulary id of \"b\" is 4194304, outside"), std::string::npos);
}

// An added token's id that is a float beyond int32 reached nlohmann's get<int32_t>() (undefined
// behaviour, the same class as the weight_cache fuzz target's finding); now it is checked first.
TEST_F(TokenizerLimits, AddedTokenIdsOutOfRange) {
  for (const char* id : {"1e30", "-1", "4194304", "\"7\"", "2.5"}) {
    write("tokenizer.json", "{" + std::string(kWordLevel) + R"(, "added_tokens": [{"id": )" + id +
                                R"(, "content": "<x>", "special": true}]})");
    EXPECT_NE(error_of_folder().find("added_tokens id"), std::string::npos) << id << ": " << error_of_folder();
  }
  write("tokenizer.json", "{" + std::string(kWordLevel) + R"(, "added_tokens": [{"id": 5, "content": "<x>"}]})");
  EXPECT_EQ(tokprob::Tokenizer::from_folder(dir_).encode("<x>").ids, std::vector<int32_t>{5});
}

TEST_F(TokenizerLimits, RegexThatPcre2Rejects) {
  write("tokenizer.json", R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}, )" +
                              std::string(kWordLevel) + "}");
  EXPECT_NE(error_of_folder().find("does not compile"), std::string::npos);
}

TEST_F(TokenizerLimits, CatastrophicBacktrackingEndsWithAnError) {
  write("tokenizer.json",
        R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a|aa)+(a|aa)+(a|aa)+$"}, "behavior": "Isolated"}, )" +
            std::string(kWordLevel) + "}");
  const auto tok = tokprob::Tokenizer::from_folder(dir_);
  EXPECT_EQ(tok.encode("aaaa").ids.size(), 1u);
  try {
    tok.encode(std::string(200, 'a') + "b");
    ADD_FAILURE() << "no error";
  } catch (const tokprob::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gave up"), std::string::npos) << e.what();
  }
}

TEST_F(TokenizerLimits, MergeOfUnknownTokens) {
  write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})");
  EXPECT_NE(error_of_folder().find("merge \"a b\" makes a token missing"), std::string::npos);
  fs::remove(dir_ / "tokenizer.json");
  write("vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  write("merges.txt", "#version: 0.2\na c\n");
  EXPECT_NE(error_of_folder().find("merges.txt: merge \"a c\" uses a token missing"), std::string::npos);
}

// Found by the tokenizer_json fuzz target (fuzz/regressions/tokenizer_json/template-*): std::stoi
// threw std::out_of_range on a long number in a template.
TEST_F(TokenizerLimits, TemplateNumbersOutOfRange) {
  for (const char* single : {R"("$A:99999999999")", R"(["$99999999999"])"}) {
    write("tokenizer.json", "{" + std::string(kWordLevel) +
                                R"(, "post_processor": {"type": "TemplateProcessing", "special_tokens": {}, "single": )" +
                                single + "}}");
    EXPECT_NE(error_of_folder().find("TemplateProcessing number \"99999999999\" is out of range"), std::string::npos)
        << single;
  }
}

TEST_F(TokenizerLimits, T5ExtraIdsOutOfRange) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  fs::copy_file(tokprob::testing::fixtures_dir() / "t5-tiny" / "spiece.model", dir_ / "spiece.model");
  write("tokenizer_config.json", R"({"extra_ids": 2147483647})");
  EXPECT_NE(error_of_folder().find("tokenizer_config.json: \"extra_ids\" 2147483647 is out of range"), std::string::npos);
  write("tokenizer_config.json", R"({"extra_ids": -5})");
  EXPECT_NE(error_of_folder().find("is out of range"), std::string::npos);
  write("tokenizer_config.json", R"({"extra_ids": 3})");
  EXPECT_EQ(tokprob::Tokenizer::from_folder(dir_).token_to_id("<extra_id_0>"), 32002);
}

}  // namespace
