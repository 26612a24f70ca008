// Finding the character maps in a SentencePiece ModelProto, and the loader refusing a model whose
// map libsentencepiece would follow outside the file (found by the sentencepiece fuzz target in
// CI: an out-of-bounds read in the library's normalizer).
#include "tokenizer/sentencepiece_proto.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fixtures.hpp"
#include "tokenizer/precompiled_charsmap.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::tok {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}

// A length-delimited protobuf field.
std::string field(int number, const std::string& bytes) {
  return varint(static_cast<uint64_t>(number) << 3 | 2) + varint(bytes.size()) + bytes;
}

TEST(SentencePieceProto, FindsTheT5NormalizerMap) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const std::string model = read_bytes(testing::fixtures_dir() / "t5-tiny" / "spiece.model");
  const auto maps = sentencepiece_charsmaps(model, "spiece.model");
  ASSERT_FALSE(maps.empty());
  ASSERT_FALSE(maps.front().empty());
  const PrecompiledCharsmap map(maps.front(), "spiece.model");
  EXPECT_EQ(map.lookup("\xEF\xBC\xA1"), std::optional<std::string_view>("A"));  // full-width A (NFKC)
}

TEST(SentencePieceProto, ReadsMergedSpecsAndSkipsOtherFields) {
  const std::string model = field(1, "piece") + field(3, field(1, "name") + field(2, "first")) +
                            varint(4 << 3 | 0) + varint(300) + field(5, field(2, "second")) +
                            field(3, field(2, "third"));
  const auto maps = sentencepiece_charsmaps(model, "m");
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[0], "first");
  EXPECT_EQ(maps[1], "second");
  EXPECT_EQ(maps[2], "third");
}

TEST(SentencePieceProto, RefusesMalformedWireFormat) {
  for (const std::string& bad : {std::string("\x1A\x05\x12", 3), std::string("\x08\xFF", 2), std::string("\x0B", 1),
                                 field(3, std::string("\x12\x09x", 3))}) {
    try {
      sentencepiece_charsmaps(bad, "spiece.model");
      ADD_FAILURE() << "accepted malformed bytes of size " << bad.size();
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "spiece.model: not a SentencePiece model (malformed protobuf)");
    }
  }
}

TEST(SentencePieceProto, LoaderRefusesAMapThatPointsOutsideItsStrings) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  const fs::path dir = fs::temp_directory_path() / ("tokprob-spm-charsmap-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string model = read_bytes(testing::fixtures_dir() / "t5-tiny" / "spiece.model");
  std::string map(sentencepiece_charsmaps(model, "spiece.model").front());
  // The first value unit of the real map (the unit under the root's first leaf child) made to
  // point far past the strings; the proto merges a later normalizer_spec over the first.
  auto unit_at = [&](size_t i) {
    uint32_t u = 0;
    for (int k = 3; k >= 0; --k) u = (u << 8) | static_cast<unsigned char>(map[4 + i * 4 + static_cast<size_t>(k)]);
    return u;
  };
  const size_t root_base = (unit_at(0) >> 10) << ((unit_at(0) & (1u << 9)) >> 6);
  bool patched = false;
  for (uint32_t c = 1; c < 256 && !patched; ++c) {
    const size_t child = root_base ^ c;
    const uint32_t u = unit_at(child);
    if ((u & 0x800000FFu) != c || ((u >> 8) & 1u) == 0) continue;
    const size_t value_at = child ^ ((u >> 10) << ((u & (1u << 9)) >> 6));
    const uint32_t bad = (1u << 31) | 0x7FFFFFF0u;
    for (int k = 0; k < 4; ++k) map[4 + value_at * 4 + static_cast<size_t>(k)] = static_cast<char>(bad >> (8 * k));
    patched = true;
  }
  ASSERT_TRUE(patched) << "the T5 map has no one-byte key";
  std::ofstream(dir / "spiece.model", std::ios::binary) << model << field(3, field(2, map));
  try {
    Tokenizer::from_folder(dir);
    ADD_FAILURE() << "loaded a model whose character map points outside its strings";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("precompiled_charsmap is malformed (a replacement lies outside the strings)"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tokprob::tok
