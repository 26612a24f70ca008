// The on-disk cache of converted weights: what a packer converted comes back byte for byte from the
// next cache of the same sources and format; a changed source, another format or a damaged file is
// a miss (never a wrong weight); a cache that cannot be written costs nothing but the time.
#include "kernels/packed_weight_cache.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "kernels/linear_packer.hpp"

namespace tokprob {
namespace {

namespace fs = std::filesystem;

class PackedWeightCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("tokprob_weight_cache_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "model");
    source_ = root_ / "model" / "model.safetensors";
    std::ofstream(source_) << "weights";
    cache_dir_ = root_ / "cache";
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0, 0.5f);
    for (auto* m : {&a_, &b_}) {
      m->resize(static_cast<size_t>(kOut * kIn));
      for (float& v : *m) v = normal(rng);
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  std::shared_ptr<PackedWeightCache> cache(WeightFormat format) {
    return std::make_shared<PackedWeightCache>(cache_dir_, std::vector<fs::path>{source_}, format);
  }
  // Packs both matrices (`a_` stored [out, in], `b_` [in, out], as GPT-2's Conv1D) as a model would.
  std::vector<LinearWeights> pack(LinearPacker& packer) {
    return {packer.pack({a_.data(), nullptr, kIn, kOut, false}, "a.weight"),
            packer.pack({b_.data(), nullptr, kIn, kOut, true}, "b.weight")};
  }
  static void expect_same(const LinearWeights& x, const LinearWeights& y, WeightFormat format) {
    ASSERT_EQ(x.out, y.out);
    ASSERT_EQ(x.in, y.in);
    EXPECT_EQ(y.format, format);
    const size_t elem = format == WeightFormat::int8 ? 1 : 2;
    EXPECT_EQ(std::memcmp(x.packed, y.packed, static_cast<size_t>(x.out * x.in) * elem), 0);
    if (format == WeightFormat::int8) {
      ASSERT_NE(y.scales, nullptr);
      EXPECT_EQ(std::memcmp(x.scales, y.scales, static_cast<size_t>(x.out * ((x.in + 63) / 64)) * 4), 0);
    }
  }

  static constexpr int64_t kOut = 96, kIn = 200;  // not multiples of the int8 block
  fs::path root_, source_, cache_dir_;
  std::vector<float> a_, b_;
};

TEST_F(PackedWeightCacheTest, ConvertedWeightsComeBackUnchanged) {
  for (WeightFormat format : {WeightFormat::bf16, WeightFormat::f16, WeightFormat::int8}) {
    SCOPED_TRACE(weight_format_name(format));
    LinearPacker converting(format);  // no cache: the reference
    const auto expected = pack(converting);

    auto first = cache(format);
    LinearPacker packer(format, first);
    const auto converted = pack(packer);
    EXPECT_TRUE(first->save());
    EXPECT_TRUE(fs::exists(first->file()));

    auto second = cache(format);
    EXPECT_EQ(second->file(), first->file());
    LinearPacker reading(format, second);
    const auto found = pack(reading);
    for (size_t i = 0; i < expected.size(); ++i) {
      expect_same(expected[i], converted[i], format);
      expect_same(expected[i], found[i], format);
      EXPECT_NE(found[i].packed, converted[i].packed) << "read from the file, not the first packer's memory";
    }
    EXPECT_FALSE(second->save()) << "nothing new: the file is not written again";
  }
}

// fp32 matrices are kept byte for byte in the layout they are stored in ([in, out] stays [in, out]:
// the products then sum in the same order as with the checkpoint's own bytes).
TEST_F(PackedWeightCacheTest, Fp32MatricesComeBackByteForByteInTheirLayout) {
  auto first = cache(WeightFormat::f32);
  LinearPacker packer(WeightFormat::f32, first);
  const auto added = pack(packer);
  EXPECT_EQ(added[0].w, a_.data()) << "a miss uses the matrix where it is";
  EXPECT_EQ(added[1].w, b_.data());
  EXPECT_TRUE(first->save());

  auto second = cache(WeightFormat::f32);
  EXPECT_EQ(second->file(), first->file());
  EXPECT_FALSE(second->find("b.weight", kOut, kIn, false).has_value()) << "another layout is a miss";
  LinearPacker reading(WeightFormat::f32, second);
  const auto found = pack(reading);
  const std::vector<float>* stored[] = {&a_, &b_};
  for (size_t i = 0; i < found.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(found[i].format, WeightFormat::f32);
    EXPECT_EQ(found[i].stored_in_out, i == 1);
    EXPECT_EQ(found[i].out, kOut);
    EXPECT_EQ(found[i].in, kIn);
    EXPECT_EQ(found[i].packed, nullptr);
    ASSERT_NE(found[i].w, nullptr);
    EXPECT_NE(found[i].w, stored[i]->data()) << "read from the file";
    EXPECT_EQ(std::memcmp(found[i].w, stored[i]->data(), stored[i]->size() * sizeof(float)), 0);
  }
  EXPECT_FALSE(second->save()) << "nothing new: the file is not written again";
}

TEST_F(PackedWeightCacheTest, FoundOnlyUnderTheSameNameAndShape) {
  auto c = cache(WeightFormat::bf16);
  LinearPacker packer(WeightFormat::bf16, c);
  pack(packer);
  ASSERT_TRUE(c->save());
  auto again = cache(WeightFormat::bf16);
  EXPECT_TRUE(again->find("a.weight", kOut, kIn).has_value());
  EXPECT_FALSE(again->find("a.weight", kIn, kOut).has_value());
  EXPECT_FALSE(again->find("c.weight", kOut, kIn).has_value());
}

TEST_F(PackedWeightCacheTest, AnotherFormatConfigurationOrSourceIsAnotherFile) {
  auto c = cache(WeightFormat::bf16);
  LinearPacker packer(WeightFormat::bf16, c);
  pack(packer);
  ASSERT_TRUE(c->save());
  EXPECT_NE(cache(WeightFormat::f16)->file(), c->file());
  const PackedWeightCache configured(cache_dir_, {source_}, WeightFormat::bf16, R"({"tie_word_embeddings": false})");
  EXPECT_NE(configured.file(), c->file()) << "another configuration";
  EXPECT_FALSE(cache(WeightFormat::int8)->find("a.weight", kOut, kIn).has_value());

  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(source_) << "new weights";
  auto changed = cache(WeightFormat::bf16);
  EXPECT_NE(changed->file(), c->file());
  EXPECT_FALSE(changed->find("a.weight", kOut, kIn).has_value());
}

TEST_F(PackedWeightCacheTest, ADamagedFileIsAMissAndIsReplaced) {
  auto c = cache(WeightFormat::int8);
  LinearPacker packer(WeightFormat::int8, c);
  const auto expected = pack(packer);
  ASSERT_TRUE(c->save());
  const fs::path file = c->file();
  std::string good;
  {
    std::ifstream in(file, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(good.size(), 64u);
  auto damaged = [&](const std::string& what, std::string bytes) {
    SCOPED_TRACE(what);
    fs::remove(file);
    std::ofstream(file, std::ios::binary) << bytes;
    auto d = cache(WeightFormat::int8);
    EXPECT_FALSE(d->find("a.weight", kOut, kIn).has_value());
    EXPECT_FALSE(d->find("b.weight", kOut, kIn).has_value());
    LinearPacker again(WeightFormat::int8, d);
    const auto repacked = pack(again);
    EXPECT_TRUE(d->save());
    for (size_t i = 0; i < expected.size(); ++i) expect_same(expected[i], repacked[i], WeightFormat::int8);
    EXPECT_TRUE(cache(WeightFormat::int8)->find("a.weight", kOut, kIn).has_value()) << "replaced by a good file";
  };
  damaged("empty", "");
  damaged("truncated", good.substr(0, good.size() - 1));
  damaged("header only", good.substr(0, 64));
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  damaged("magic", bad_magic);
  // The index is the JSON at the end; corrupt it in turn in several ways.
  const size_t index = good.rfind("{\"identity\"");
  ASSERT_NE(index, std::string::npos);
  std::string bad_json = good;
  bad_json[good.size() - 1] = ' ';
  damaged("index not JSON", bad_json);
  auto with_index = [&](std::string json) {
    std::string bytes = good.substr(0, index) + json;
    const uint64_t size = bytes.size(), index_bytes = json.size();
    std::memcpy(&bytes[24], &index_bytes, 8);
    std::memcpy(&bytes[32], &size, 8);
    return bytes;
  };
  auto index_json = nlohmann::json::parse(good.substr(index));
  auto edit = [&](const std::function<void(nlohmann::json&)>& f) {
    auto j = index_json;
    f(j);
    return with_index(j.dump());
  };
  ASSERT_EQ(cache(WeightFormat::int8)->file(), file);
  damaged("identity", edit([](nlohmann::json& j) { j["identity"] = "another model"; }));
  damaged("offset beyond the data", edit([&](nlohmann::json& j) { j["weights"][0]["data"] = index; }));
  damaged("unaligned offset", edit([](nlohmann::json& j) { j["weights"][0]["data"] = 65; }));
  damaged("huge shape", edit([](nlohmann::json& j) { j["weights"][0]["out"] = int64_t{1} << 62; }));
  damaged("negative shape", edit([](nlohmann::json& j) { j["weights"][1]["in"] = -4; }));
  damaged("scales outside", edit([&](nlohmann::json& j) { j["weights"][1]["scales"] = 0; }));
  damaged("a name twice", edit([](nlohmann::json& j) { j["weights"][1]["name"] = j["weights"][0]["name"]; }));
  damaged("missing field", edit([](nlohmann::json& j) { j["weights"][0].erase("in"); }));
  damaged("wrong type", edit([](nlohmann::json& j) { j["weights"][0]["name"] = 3; }));
  damaged("layout not a boolean", edit([](nlohmann::json& j) { j["weights"][0]["in_out"] = 1; }));
  damaged("[in, out] layout in int8", edit([](nlohmann::json& j) { j["weights"][0]["in_out"] = true; }));
}

TEST_F(PackedWeightCacheTest, AnUnwritableCacheOnlyCostsTime) {
  std::ofstream(cache_dir_) << "a file where the cache folder should be";
  auto c = cache(WeightFormat::bf16);
  LinearPacker packer(WeightFormat::bf16, c);
  LinearPacker reference(WeightFormat::bf16);
  const auto expected = pack(reference), got = pack(packer);
  for (size_t i = 0; i < expected.size(); ++i) expect_same(expected[i], got[i], WeightFormat::bf16);
  EXPECT_FALSE(c->save());
}

TEST_F(PackedWeightCacheTest, LeastRecentlyUsedFilesBeyondTheCapAreRemoved) {
  fs::create_directories(cache_dir_);
  // An old cache file and an old partial write, both much larger than the cap allows in total.
  const fs::path old_file = cache_dir_ / "0000000000000000-bf16.tpw";
  const fs::path partial = cache_dir_ / "0000000000000001-bf16.tpw.Ab12Cd";
  const fs::path unrelated = cache_dir_ / "notes.txt";
  for (const auto& p : {old_file, partial, unrelated}) {
    std::ofstream(p) << "x";
    fs::resize_file(p, kMaxCacheBytes);
    fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::hours(48));
  }
  auto c = cache(WeightFormat::bf16);
  LinearPacker packer(WeightFormat::bf16, c);
  pack(packer);
  ASSERT_TRUE(c->save());
  EXPECT_TRUE(fs::exists(c->file()));
  EXPECT_FALSE(fs::exists(old_file));
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_TRUE(fs::exists(unrelated)) << "only the cache's own files are removed";
}

}  // namespace
}  // namespace tokprob
