// The open-addressing token table against a plain map, with ids and spellings reused.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tokenizer/vocab.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {
namespace {

// "t<n>" (built without `"t" + std::string`, which trips GCC 12's -Wrestrict false positive).
std::string name(unsigned n) {
  std::string s = "t";
  s += std::to_string(n);
  return s;
}

TEST(Vocab, ReusedIdsAndSpellingsMatchAMap) {
  std::mt19937 rng(7);
  Vocab v;
  std::map<std::string, int32_t> by_token;
  std::map<int32_t, std::string> by_id;
  for (int step = 0; step < 20000; ++step) {
    const std::string token = name(rng() % 500);
    const auto id = static_cast<int32_t>(rng() % 400);
    v.add(token, id);
    // The last entry wins for both the spelling and the id.
    if (auto it = by_id.find(id); it != by_id.end()) by_token.erase(it->second);
    if (auto it = by_token.find(token); it != by_token.end()) by_id.erase(it->second);
    by_token[token] = id;
    by_id[id] = token;
  }
  EXPECT_EQ(v.size(), by_token.size());
  for (int t = 0; t < 500; ++t) {
    const std::string token = name(static_cast<unsigned>(t));
    const auto it = by_token.find(token);
    EXPECT_EQ(v.find(token), it == by_token.end() ? std::nullopt : std::optional<int32_t>(it->second)) << token;
  }
  for (int32_t id = 0; id < 400; ++id) {
    const auto it = by_id.find(id);
    const std::string* t = v.token(id);
    ASSERT_EQ(t != nullptr, it != by_id.end()) << id;
    if (t) {
      EXPECT_EQ(*t, it->second);
    }
  }
}

// Found by fuzzing vocab.json: reusing one id rebuilt the whole table each time (quadratic).
TEST(Vocab, OneIdReusedManyTimesStaysLinear) {
  Vocab v;
  for (unsigned i = 0; i < 200000; ++i) v.add(name(i), 0);
  EXPECT_EQ(v.size(), 1u);
  EXPECT_EQ(v.find("t199999"), 0);
  EXPECT_EQ(v.find("t0"), std::nullopt);
}

TEST(Vocab, IdsOutsideTheLimitAreRejected) {
  Vocab v;
  EXPECT_THROW(v.add("a", -1), Error);
  EXPECT_THROW(v.add("a", static_cast<int32_t>(kMaxVocabId)), Error);
  EXPECT_NO_THROW(v.add("a", static_cast<int32_t>(kMaxVocabId - 1)));
}

}  // namespace
}  // namespace tokprob::tok
