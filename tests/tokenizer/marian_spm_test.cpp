// Marian's tokenizer files (source.spm, target.spm, vocab.json, no tokenizer.json) in
// tests/data/marian and tests/data/marian-separate (separate_vocabs, target_vocab.json) against
// what transformers' MarianTokenizer made of the same texts
// (tests/tokenizer/make_marian_reference.py): source ids with and without </s>, targets through
// target.spm, language codes, pieces missing from vocab.json as <unk>, and decoding.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixtures.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {
namespace {

std::filesystem::path folder(const std::string& name) {
  return std::filesystem::path(TOKPROB_SOURCE_DIR) / "tests" / "data" / name;
}

void check(const std::string& name) {
  const auto expected = testing::load_json(folder(name) / "expected.json");
  const Tokenizer tok = Tokenizer::from_folder(folder(name));
  ASSERT_FALSE(expected["cases"].empty());
  for (const auto& c : expected["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(tok.encode(text).ids, c["ids"].get<std::vector<int32_t>>()) << name << ": " << text;
    EXPECT_EQ(tok.encode(text, false).ids, c["ids_no_special"].get<std::vector<int32_t>>()) << name << ": " << text;
    const auto target = c["target_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok.encode_target(text).ids, target) << name << ": " << text;
    EXPECT_EQ(tok.decode(target), c["decode_target"].get<std::string>()) << name << ": " << text;
    EXPECT_EQ(tok.decode(target, true), c["decode_target_skip_special"].get<std::string>()) << name << ": " << text;
    EXPECT_EQ(tok.decode(c["ids"].get<std::vector<int32_t>>()), c["decode"].get<std::string>()) << name << ": " << text;
  }
}

TEST(MarianSpm, SharedVocabularyMatchesTransformers) { check("marian"); }

TEST(MarianSpm, SeparateVocabulariesMatchTransformers) { check("marian-separate"); }

TEST(MarianSpm, FolderCountsAsHavingATokenizerWithItsRoles) {
  EXPECT_TRUE(Tokenizer::folder_has_tokenizer(folder("marian")));
  const Tokenizer tok = Tokenizer::from_folder(folder("marian"));
  EXPECT_EQ(tok.special_tokens().eos, 0);
  EXPECT_EQ(tok.special_tokens().unk, 1);
  EXPECT_EQ(tok.special_tokens().pad, tok.token_to_id("<pad>"));
}

}  // namespace
}  // namespace tokprob
