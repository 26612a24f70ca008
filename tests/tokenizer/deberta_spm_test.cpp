// DeBERTa-v3's tokenizer files (spm.model, no tokenizer.json) in tests/data/deberta-spm against what
// transformers' DebertaV2Tokenizer made of the same texts (tests/tokenizer/make_deberta_spm_reference.py):
// ids with and without special tokens, offsets, decoding, and [MASK] added after the pieces as
// the mask token.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixtures.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {
namespace {

std::filesystem::path folder() { return std::filesystem::path(TOKPROB_SOURCE_DIR) / "tests" / "data" / "deberta-spm"; }

TEST(DebertaSpm, MatchesTransformers) {
  const auto expected = testing::load_json(folder() / "expected.json");
  const Tokenizer tok = Tokenizer::from_folder(folder());
  ASSERT_FALSE(expected["cases"].empty());
  for (const auto& c : expected["cases"]) {
    const std::string text = c["text"];
    const Encoding e = tok.encode(text);
    EXPECT_EQ(e.ids, c["ids"].get<std::vector<int32_t>>()) << text;
    std::vector<std::pair<size_t, size_t>> offsets;
    for (const auto& o : c["offsets"]) offsets.emplace_back(o[0].get<size_t>(), o[1].get<size_t>());
    EXPECT_EQ(e.offsets, offsets) << text;
    EXPECT_EQ(tok.encode(text, false).ids, c["ids_no_special"].get<std::vector<int32_t>>()) << text;
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok.decode(ids), c["decode"].get<std::string>()) << text;
    EXPECT_EQ(tok.decode(ids, true), c["decode_skip_special"].get<std::string>()) << text;
  }
  EXPECT_EQ(tok.special_tokens().mask, expected["mask_id"].get<int32_t>());
}

TEST(DebertaSpm, FolderCountsAsHavingATokenizer) { EXPECT_TRUE(Tokenizer::folder_has_tokenizer(folder())); }

}  // namespace
}  // namespace tokprob
