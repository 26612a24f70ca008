// Departures from the reference found by the differential campaigns against `tokenizers`
// (tests/python/test_tokenizers_differential.py), each pinned here. Expected values are the
// reference's own output (tokenizers 0.23.3, transformers 5.25) on the fixture tokenizers.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "tokprob/tokenizer.hpp"

namespace {

using Ids = std::vector<int32_t>;
using Offsets = std::vector<std::pair<size_t, size_t>>;

tokprob::Tokenizer load(const std::string& name) {
  return tokprob::Tokenizer::from_folder(tokprob::testing::fixtures_dir() / name);
}

// BERT's clean-up and split use Unicode 8.0 categories in `tokenizers`, and never drop an
// unassigned code point.
TEST(BertUnicode8, UnassignedCodePointIsUnknownNotDropped) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto e = load("bert-tiny-mlm").encode("\U00018CD6", false);
  EXPECT_EQ(e.ids, (Ids{100}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}}));
}

TEST(BertUnicode8, PunctuationNewerThanUnicode8DoesNotSplit) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  EXPECT_EQ(load("bert-tiny-mlm").encode("a\u2E43b", false).ids, (Ids{100}));
  // U+166D was punctuation in Unicode 8.0 (So today): it still splits.
  EXPECT_EQ(load("bert-tiny-mlm").encode("a\u166Db", false).ids, (Ids{1037, 100, 1038}));
}

TEST(BertUnicode8, FormatCharacterNewerThanUnicode8IsKept) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  EXPECT_EQ(load("bert-tiny-mlm").encode("a\u0890b", false).ids, (Ids{100}));
}

TEST(BertUnicode8, NonspacingMarksAreUnicode8s) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto tok = load("bert-tiny-mlm");
  EXPECT_EQ(tok.encode("e\u0898", false).ids, (Ids{100}));        // Mn since Unicode 14: kept
  EXPECT_EQ(tok.encode("a\u1734b", false).ids, (Ids{11113}));     // Mn in Unicode 8.0: stripped
  EXPECT_EQ(tok.encode("ab\u0301", false).ids, (Ids{11113}));
}

// U+2B820..U+2B91F are outside the reference's CJK ranges (it starts Extension E at U+2B920).
TEST(BertUnicode8, ChineseCharacterRangesAreTheReferences) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto tok = load("bert-tiny-mlm");
  EXPECT_EQ(tok.encode("a\U0002B820b", false).ids, (Ids{100}));
  EXPECT_EQ(tok.encode("a\U0002B91Fb", false).ids, (Ids{100}));
  EXPECT_EQ(tok.encode("a\U0002B920b", false).ids, (Ids{1037, 100, 1038}));
}

// NFC gives a composed character the span of its first input code point only.
TEST(NfcOffsets, ComposedCharacterKeepsItsFirstInputsSpan) {
  TOKPROB_REQUIRE_FIXTURE("modern-tokenizers/qwen3");
  const auto tok = load("modern-tokenizers/qwen3");
  auto e = tok.encode("ae\u0301b", false);
  EXPECT_EQ(e.ids, (Ids{64, 963, 65}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {1, 2}, {3, 4}}));
  e = tok.encode("A\u030A\u0301x", false);
  EXPECT_EQ(e.ids, (Ids{148947, 87}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {3, 4}}));
  e = tok.encode("\u1100\u1161\u11A8!", false);
  EXPECT_EQ(e.ids, (Ids{126317, 0}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {3, 4}}));
}

TEST(NfcOffsets, MarkLeftOverAfterReorderingTakesItsPositionsSpan) {
  TOKPROB_REQUIRE_FIXTURE("modern-tokenizers/qwen3");
  const auto tok = load("modern-tokenizers/qwen3");
  auto e = tok.encode("e\u0323\u0301", false);
  EXPECT_EQ(e.ids, (Ids{124635, 53839}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {2, 3}}));
  e = tok.encode("\u00E9\u0323", false);
  EXPECT_EQ(e.ids, (Ids{124635, 53839}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {1, 2}}));
}

// U+07FD (a mark since Unicode 11) is a starter in the reference's normalization tables: NFC does
// not move U+0301 before it.
TEST(NfcOffsets, MarkNewerThanTheReferencesTablesIsAStarter) {
  TOKPROB_REQUIRE_FIXTURE("modern-tokenizers/qwen3");
  const auto e = load("modern-tokenizers/qwen3").encode("e\u07FD\u0301", false);
  EXPECT_EQ(e.ids, (Ids{68, 155, 121, 53839}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {1, 2}, {1, 2}, {2, 3}}));
}

// U+11938 (Unicode 13) has a canonical decomposition the reference's tables do not know: it is
// neither decomposed nor composed back from U+11935 U+11930.
TEST(NfcOffsets, DecompositionNewerThanTheReferencesTablesIsNotApplied) {
  TOKPROB_REQUIRE_FIXTURE("modern-tokenizers/qwen3");
  const auto tok = load("modern-tokenizers/qwen3");
  auto e = tok.encode("\U00011935\U00011930", false);
  EXPECT_EQ(e.ids, (Ids{128240, 97, 113, 128240, 97, 108}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {0, 1}, {0, 1}, {1, 2}, {1, 2}, {1, 2}}));
  EXPECT_EQ(tok.encode("\U00011938", false).ids, (Ids{128240, 97, 116}));
}

// A code point the precompiled charsmap removes: `tokenizers` charges the removal to the code
// point written before it, or, at the very start, to nothing (the spans after it shift).
TEST(PrecompiledOffsets, RemovedControlCharacterAsTheReferenceCountsIt) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto tok = load("t5-tiny");
  auto e = tok.encode("\x07" "b", true);
  EXPECT_EQ(e.ids, (Ids{3, 115, 1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 1}, {0, 1}, {0, 0}}));
  e = tok.encode("a\x07" "b c", true);
  EXPECT_EQ(e.ids, (Ids{703, 3, 75, 1}));
  EXPECT_EQ(e.offsets, (Offsets{{0, 3}, {4, 5}, {4, 5}, {0, 0}}));
}

// transformers 5 never applies clean_up_tokenization_spaces to a BPE model.
TEST(DecodeCleanUp, NotForBpeEvenWhenTheConfigAsks) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto tok = load("gpt2-tiny");
  const std::string text = "Hello , world . don 't";
  EXPECT_EQ(tok.decode(tok.encode(text, false).ids), text);
}

TEST(DecodeCleanUp, StillForWordPiece) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  const auto tok = load("bert-tiny-mlm");
  EXPECT_EQ(tok.decode(tok.encode("don't stop , now .", false).ids), "don't stop, now.");
}

TEST(DecodeCleanUp, UnigramSpecialTokenBeforeApostrophe) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const auto tok = load("t5-tiny");
  EXPECT_EQ(tok.decode(Ids{0, 3, 31, 7, 1}), "<pad>'s</s>");
  EXPECT_EQ(tok.decode(Ids{0, 3, 31, 7, 1}, true), "'s");
}

// tinystories' special tokens are normalized=true under a Prepend("▁") normalizer: the `tokenizers`
// library then knows them as "▁<unk>" and its decode neither skips them nor trims that space;
// transformers 5.25 (the reference) loads this folder without that normalizer and skips them, as
// tokprob does (and as tokenizer_expected.json has it). Expected strings: transformers 5.25.
TEST(DecodeSkipSpecial, NormalizedSpecialTokensAreSkippedAsTransformersDoes) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const auto tok = load("tinystories-656k");
  EXPECT_EQ(tok.decode(Ids{0}, true), "");
  EXPECT_EQ(tok.decode(Ids{1, 0, 2}, true), "");
  EXPECT_EQ(tok.decode(Ids{1, 80, 0}, true), "");
}

}  // namespace
