// The parsed tokenizer kept beside converted weights: a tokenizer loaded from its cache file gives
// exactly what the one parsed from tokenizer.json gives (ids, tokens, offsets, decoding) for every
// fixture tokenizer; a damaged, truncated, stale or foreign file is a miss and is rewritten; two
// processes writing at once never leave a file a reader takes for a valid one when it is not.
#include "tokenizer/tokenizer_cache.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

std::vector<std::string> corpus_texts() {
  const json expected = json::parse(read_bytes(testing::fixtures_dir() / "tokenizers" / "tokenizer_expected.json"));
  std::vector<std::string> texts;
  for (const auto& c : expected["corpus"]) texts.push_back(c["text"].get<std::string>());
  return texts;
}

// Everything a tokenizer answers about each text, as one JSON value to compare.
json answers(const Tokenizer& t, const std::vector<std::string>& texts) {
  json out = json::array();
  for (size_t i = 0; i < texts.size(); ++i) {
    const Encoding e = t.encode(texts[i]);
    const Encoding pair = t.encode_pair(texts[i], texts[(i + 1) % texts.size()]);
    json offsets = json::array();
    for (const auto& [b, end] : e.offsets) offsets.push_back({b, end});
    out.push_back({{"ids", e.ids},
                   {"tokens", e.tokens},
                   {"offsets", offsets},
                   {"special", e.special_mask},
                   {"type_ids", e.type_ids},
                   {"pair", pair.ids},
                   {"pair_types", pair.type_ids},
                   {"plain", t.encode(texts[i], false).ids},
                   {"decode", json::binary_t(std::vector<uint8_t>(0))}});
    const std::string d = t.decode(e.ids), ds = t.decode(e.ids, true);
    out.back()["decode"] = json::binary_t(std::vector<uint8_t>(d.begin(), d.end()));
    out.back()["decode_skip"] = json::binary_t(std::vector<uint8_t>(ds.begin(), ds.end()));
  }
  out.push_back({{"vocab_size", t.vocab_size()}});
  return out;
}

class TokenizerCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("tokprob_tokenizer_cache_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "cache");
  }
  void TearDown() override { fs::remove_all(root_); }

  // A copy of gpt2-tiny's tokenizer files, which the damage tests may change.
  fs::path gpt2_copy() {
    const fs::path dir = root_ / "gpt2";
    fs::create_directories(dir);
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
      if (fs::exists(testing::fixtures_dir() / "gpt2-tiny" / f)) fs::copy_file(testing::fixtures_dir() / "gpt2-tiny" / f, dir / f);
    return dir;
  }
  TokenizerOptions cached() const {
    TokenizerOptions o;
    o.cache_dir = root_ / "cache";
    return o;
  }
  size_t files_in_cache() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(root_ / "cache")) n += e.is_regular_file();
    return n;
  }

  fs::path root_;
};

TEST_F(TokenizerCacheTest, EveryFixtureTokenizerAnswersTheSameFromItsCacheFile) {
  TOKPROB_REQUIRE_FIXTURE("tokenizers/tokenizer_expected.json");
  const std::vector<std::string> texts = corpus_texts();
  int checked = 0;
  for (const char* name : {"gpt2-tiny", "llama-tiny", "t5-tiny", "bert-tiny-mlm", "tinystories-656k",
                           "modern-tokenizers/qwen3", "modern-tokenizers/phi3", "modern-tokenizers/olmo2"}) {
    const fs::path dir = testing::fixtures_dir() / name;
    if (!fs::exists(dir / "tokenizer.json")) continue;
    SCOPED_TRACE(name);
    const json parsed = answers(Tokenizer::from_folder(dir), texts);
    ASSERT_FALSE(tok::read_cached_tokenizer(cached().cache_dir, dir / "tokenizer.json")) << "a cache file before any load";
    const json first = answers(Tokenizer::from_folder(dir, cached()), texts);  // a miss: parses and writes
    ASSERT_TRUE(tok::read_cached_tokenizer(cached().cache_dir, dir / "tokenizer.json")) << "no cache file written";
    const json hit = answers(Tokenizer::from_folder(dir, cached()), texts);
    EXPECT_EQ(first, parsed);
    EXPECT_EQ(hit, parsed);
    // The loading options apply to a cached tokenizer as to a parsed one.
    TokenizerOptions options = cached();
    options.add_prefix_space = true;
    options.add_special_tokens = false;
    TokenizerOptions plain;
    plain.add_prefix_space = true;
    plain.add_special_tokens = false;
    EXPECT_EQ(answers(Tokenizer::from_folder(dir, options), texts), answers(Tokenizer::from_folder(dir, plain), texts));
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

// Loads the copy with the cache and checks that the answers are the parsed tokenizer's.
void expect_same_as_parsed(const fs::path& dir, const TokenizerOptions& cached) {
  const std::vector<std::string> texts = {"Hello world", " tokprob's cache: 123 ünïcödé", "<|endoftext|> again"};
  EXPECT_EQ(answers(Tokenizer::from_folder(dir, cached), texts), answers(Tokenizer::from_folder(dir), texts));
}

TEST_F(TokenizerCacheTest, DamagedFilesAreMissesAndRewritten) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny/tokenizer.json");
  const fs::path dir = gpt2_copy(), file = dir / "tokenizer.json";
  Tokenizer::from_folder(dir, cached());
  const fs::path cache_file = tok::cached_tokenizer_path(cached().cache_dir, file);
  const std::string good = read_bytes(cache_file);
  ASSERT_GT(good.size(), 64u);
  ASSERT_TRUE(tok::read_cached_tokenizer(cached().cache_dir, file));

  std::vector<std::pair<std::string, std::string>> damaged = {
      {"empty", ""},
      {"header only", good.substr(0, 64)},
      {"truncated by one byte", good.substr(0, good.size() - 1)},
      {"truncated in half", good.substr(0, good.size() / 2)},
      {"one byte more", good + " "},
  };
  std::string version = good;
  version[8] ^= 2;
  damaged.emplace_back("another version", version);
  // A flipped bit anywhere: in the header, the document, the tables and the index.
  for (const size_t at : {size_t{20}, size_t{70}, good.size() / 3, good.size() / 2, good.size() - 10}) {
    std::string flipped = good;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    damaged.emplace_back("flipped byte at " + std::to_string(at), flipped);
  }
  for (const auto& [what, bytes] : damaged) {
    SCOPED_TRACE(what);
    write_bytes(cache_file, bytes);
    EXPECT_FALSE(tok::read_cached_tokenizer(cached().cache_dir, file));
    expect_same_as_parsed(dir, cached());
    // The load that missed wrote the file again.
    EXPECT_EQ(read_bytes(cache_file), good);
  }
}

TEST_F(TokenizerCacheTest, AChangedSourceFileIsAMiss) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny/tokenizer.json");
  const fs::path dir = gpt2_copy(), file = dir / "tokenizer.json";
  Tokenizer::from_folder(dir, cached());
  ASSERT_TRUE(tok::read_cached_tokenizer(cached().cache_dir, file));

  // Modification time alone.
  fs::last_write_time(file, fs::last_write_time(file) - std::chrono::hours(1));
  EXPECT_FALSE(tok::read_cached_tokenizer(cached().cache_dir, file));
  expect_same_as_parsed(dir, cached());
  EXPECT_TRUE(tok::read_cached_tokenizer(cached().cache_dir, file));

  // Replaced by rename (as editors and downloads do) with other content, the modification time
  // put back: a miss.
  const auto mtime = fs::last_write_time(file);
  json j = json::parse(read_bytes(file));
  const std::string hello = "Hello";
  ASSERT_TRUE(j["model"]["vocab"].contains(hello));
  // Swap the ids of two tokens: same bytes, other answers.
  auto& vocab = j["model"]["vocab"];
  const json a = vocab[hello], b = vocab["world"];
  vocab[hello] = b;
  vocab["world"] = a;
  const std::string text = j.dump();
  write_bytes(dir / "tokenizer.json.new", text);
  fs::rename(dir / "tokenizer.json.new", file);
  fs::last_write_time(file, mtime);
  EXPECT_FALSE(tok::read_cached_tokenizer(cached().cache_dir, file));
  const Tokenizer swapped = Tokenizer::from_folder(dir, cached());
  EXPECT_EQ(swapped.token_to_id(hello), b.get<int32_t>());
  EXPECT_EQ(Tokenizer::from_folder(dir, cached()).token_to_id(hello), b.get<int32_t>());  // from the new file

  // Rewritten in place with other content and size.
  write_bytes(file, read_bytes(testing::fixtures_dir() / "gpt2-tiny" / "tokenizer.json"));
  EXPECT_FALSE(tok::read_cached_tokenizer(cached().cache_dir, file));
  EXPECT_EQ(Tokenizer::from_folder(dir, cached()).token_to_id(hello), a.get<int32_t>());
}

TEST_F(TokenizerCacheTest, NoDirectoryOrAnUnwritableOneOnlyCostsTime) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny/tokenizer.json");
  const fs::path dir = gpt2_copy();
  TokenizerOptions o;
  o.cache_dir = root_ / "cache" / "file-not-dir";
  write_bytes(o.cache_dir, "x");
  expect_same_as_parsed(dir, o);
  EXPECT_EQ(files_in_cache(), 1u);
}

// Two processes write the same cache file over and over while reading it back: every read finds
// either no file or a whole valid one (written under a temporary name, then renamed).
TEST_F(TokenizerCacheTest, ConcurrentWritersNeverLeaveAPartialFile) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny/tokenizer.json");
  const fs::path dir = gpt2_copy(), file = dir / "tokenizer.json";
  const Tokenizer reference = Tokenizer::from_folder(dir);
  const std::vector<int32_t> expected = reference.encode("Hello world, again and again").ids;
  std::vector<pid_t> children;
  for (int c = 0; c < 2; ++c) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int bad = 0;
      for (int round = 0; round < 15; ++round) {
        const Tokenizer t = Tokenizer::from_folder(dir, cached());  // a miss writes, a hit reads
        if (t.encode("Hello world, again and again").ids != expected) ++bad;
        if (round % 5 == 4) fs::remove(tok::cached_tokenizer_path(cached().cache_dir, file));
      }
      ::_exit(bad == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  Tokenizer::from_folder(dir, cached());
  EXPECT_TRUE(tok::read_cached_tokenizer(cached().cache_dir, file));
  EXPECT_EQ(files_in_cache(), 1u) << "a temporary file left behind";
}

}  // namespace
}  // namespace tokprob
