// The precompiled character map's trie check, on small hand-made darts-clone arrays: maps that a
// search could follow outside the array (which libsentencepiece would do, unchecked) are refused.
#include "tokenizer/precompiled_charsmap.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokprob/error.hpp"

namespace tokprob::tok {
namespace {

// darts-clone units (see precompiled_charsmap.cpp): offsets below 2^22 need no shift bit.
uint32_t node_unit(uint8_t label, uint32_t offset, bool has_leaf) {
  return (offset << 10) | (has_leaf ? 1u << 8 : 0u) | label;
}
uint32_t value_unit(uint32_t value) { return (1u << 31) | value; }

std::string blob(const std::vector<uint32_t>& units, const std::string& strings) {
  std::string out;
  auto put = [&](uint32_t v) {
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  };
  put(static_cast<uint32_t>(units.size() * 4));
  for (uint32_t u : units) put(u);
  return out + strings;
}

// A chain of `keys` keys "a", "aa", "aaa", ... each mapped to string 0 ("x"): node i has its
// children in block i + 1 (base 256 * (i + 1)). Unused units get a label no byte matches, as
// darts-clone's builder gives them.
std::vector<uint32_t> chain(int keys) {
  std::vector<uint32_t> units(static_cast<size_t>(256 * (keys + 2)), 1u << 31);
  units[0] = node_unit(0, 256, false);
  for (int i = 0; i < keys; ++i) {
    const uint32_t base = 256u * static_cast<uint32_t>(i + 1);
    const uint32_t child = base ^ 'a';
    const uint32_t next = base + 256;
    units[child] = node_unit('a', child ^ next, true);
    units[next] = value_unit(0);
  }
  return units;
}

void expect_refused(const std::string& bytes, const std::string& why) {
  try {
    PrecompiledCharsmap map(bytes, "spiece.model");
    FAIL() << "accepted a map that should be refused for: " << why;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("spiece.model: precompiled_charsmap is malformed (" + why + ")"),
              std::string::npos)
        << e.what();
  }
}

TEST(PrecompiledCharsmap, WellFormedChainLooksUpTheShortestKey) {
  const PrecompiledCharsmap map(blob(chain(3), std::string("x\0", 2)), "spiece.model");
  EXPECT_EQ(map.lookup("a"), std::optional<std::string_view>("x"));
  EXPECT_EQ(map.lookup("aab"), std::optional<std::string_view>("x"));
  EXPECT_EQ(map.lookup("b"), std::nullopt);
}

TEST(PrecompiledCharsmap, RefusesChildrenOutsideTheTrie) {
  auto units = chain(2);
  units.resize(units.size() - 1);  // the last block is cut short
  expect_refused(blob(units, std::string("x\0", 2)), "a node's children lie outside the trie");
  units = chain(1);
  units[0] = node_unit(0, 1u << 20, false);  // the root's children far past the end
  expect_refused(blob(units, std::string("x\0", 2)), "a node's children lie outside the trie");
}

TEST(PrecompiledCharsmap, RefusesAReplacementOutsideTheStrings) {
  auto units = chain(2);
  units[512] = value_unit(1000);
  expect_refused(blob(units, std::string("x\0", 2)), "a replacement lies outside the strings");
}

TEST(PrecompiledCharsmap, RefusesACycle) {
  auto units = chain(2);
  const uint32_t child = 512 ^ 'a';
  units[child] = node_unit('a', child ^ 256, false);  // the second node leads back to the first
  expect_refused(blob(units, std::string("x\0", 2)), "the trie has a cycle");
}

TEST(PrecompiledCharsmap, CapsKeysThatArePrefixesOfOneAnother) {
  // libsentencepiece keeps 32 matches of one input in a fixed array and reads as many as it finds.
  EXPECT_NO_THROW(PrecompiledCharsmap(blob(chain(32), std::string("x\0", 2)), "spiece.model"));
  expect_refused(blob(chain(33), std::string("x\0", 2)), "too many keys are prefixes of one another");
}

TEST(PrecompiledCharsmap, RefusesAnEmptyTrie) {
  expect_refused(blob({}, std::string("x\0", 2)), "an empty trie");
}

}  // namespace
}  // namespace tokprob::tok
