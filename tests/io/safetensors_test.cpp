// Safetensors parsing: valid files load, hostile or broken ones give one clear error each.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "fixtures.hpp"
#include "io/safetensors.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

namespace fs = std::filesystem;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tokprob_st_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& header, const std::string& data, const std::string& name = "model.safetensors",
                 int64_t claimed_len = -1) {
    const fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary);
    uint64_t n = claimed_len >= 0 ? static_cast<uint64_t>(claimed_len) : header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << header << data;
    return p;
  }
  std::string error_of(const fs::path& p) {
    try {
      Weights::open_files({p});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(SafetensorsTest, ReadsF32F16Bf16) {
  float f[2] = {1.5f, -2.25f};
  uint16_t h[2] = {f32_to_f16(1.5f), f32_to_f16(-2.25f)};
  uint16_t b[2] = {f32_to_bf16(1.5f), f32_to_bf16(-2.25f)};
  std::string data(reinterpret_cast<char*>(f), 8);
  data.append(reinterpret_cast<char*>(h), 4);
  data.append(reinterpret_cast<char*>(b), 4);
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},)"
      R"("b":{"dtype":"BF16","shape":[1,2],"data_offsets":[12,16]},"__metadata__":{"format":"pt"}})";
  auto w = Weights::open_files({write(header, data)});
  for (const char* name : {"a", "h"}) {
    const float* v = w.f32(name, {2});
    EXPECT_EQ(v[0], 1.5f);
    EXPECT_EQ(v[1], -2.25f);
  }
  const float* v = w.f32("b", {1, 2});
  EXPECT_EQ(v[1], -2.25f);
  EXPECT_THROW(w.f32("a", {3}), Error);
  EXPECT_THROW(w.f32("missing", {2}), Error);
}

TEST_F(SafetensorsTest, RejectsBrokenFiles) {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_NE(error_of(write(ok, "1234")).find("outside"), std::string::npos);                   // truncated data
  EXPECT_NE(error_of(write(ok, std::string(8, 0), "m1", 1 << 20)).find("larger than"), std::string::npos);
  EXPECT_NE(error_of(write(ok, std::string(8, 0), "m2", int64_t{1} << 40)).find("limit"), std::string::npos);
  EXPECT_NE(error_of(write("{not json", "")).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(write(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", std::string(8, 0)))
                .find("unsupported dtype"),
            std::string::npos);
  EXPECT_NE(error_of(write(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, 0)))
                .find("does not match"),
            std::string::npos);
  EXPECT_NE(error_of(write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                           std::string(12, 0)))
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(error_of(write(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, 0)))
                .find("shape"),
            std::string::npos);
  EXPECT_NE(error_of(write(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                           std::string(8, 0)))
                .find("absurdly"),
            std::string::npos);
  {
    std::ofstream(dir_ / "short.safetensors") << "abc";
    EXPECT_NE(error_of(dir_ / "short.safetensors").find("not a safetensors"), std::string::npos);
  }
  EXPECT_NE(error_of(dir_ / "nope.safetensors").find("cannot open"), std::string::npos);
}

// The count is checked before any entry is read: a header of a million tiny entries is refused
// without building a million tensor views.
TEST_F(SafetensorsTest, RefusesMoreTensorsThanTheLimit) {
  std::string header = "{";
  for (size_t i = 0; i <= kMaxTensorCount; ++i) {
    if (i) header += ',';
    header += '"' + std::to_string(i) + "\":0";
  }
  header += '}';
  ASSERT_LE(header.size(), kMaxSafetensorsHeaderBytes);
  const std::string error = error_of(write(header, ""));
  EXPECT_NE(error.find(std::to_string(kMaxTensorCount + 1) + " entries, more than the limit of " +
                       std::to_string(kMaxTensorCount) + " tensors"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST_F(SafetensorsTest, ShardedIndexStaysInsideTheFolder) {
  float f[2] = {1, 2};
  write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(reinterpret_cast<char*>(f), 8),
        "model-00001-of-00002.safetensors");
  write(R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(reinterpret_cast<char*>(f), 8),
        "model-00002-of-00002.safetensors");
  std::ofstream(dir_ / "model.safetensors.index.json")
      << R"({"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})";
  auto w = Weights::open_folder(dir_);
  EXPECT_EQ(w.f32("b", {2})[1], 2.0f);
  std::ofstream(dir_ / "model.safetensors.index.json") << R"({"weight_map":{"a":"../etc/passwd"}})";
  try {
    Weights::open_folder(dir_);
    FAIL() << "escaping shard name accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plain file name"), std::string::npos);
  }
}

// Found by the safetensors_index fuzz target (fuzz/regressions/safetensors_index/shard-name-too-long.json):
// a shard name the OS refuses made std::filesystem::exists throw filesystem_error past the loader.
TEST_F(SafetensorsTest, ShardNamesTheOsRefusesAreErrors) {
  const auto error_for = [&](const std::string& shard) -> std::string {
    std::ofstream(dir_ / "model.safetensors.index.json") << R"({"weight_map":{"a":")" + shard + R"("}})";
    try {
      Weights::open_folder(dir_);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string long_name(300, 'n');  // longer than NAME_MAX
  std::string e = error_for(long_name);
  EXPECT_NE(e.find("shard '" + long_name + "' is missing"), std::string::npos) << e;
  EXPECT_NE(e.find("too long"), std::string::npos) << e;
  fs::create_symlink("loop.safetensors", dir_ / "loop.safetensors");
  e = error_for("loop.safetensors");
  EXPECT_NE(e.find("shard 'loop.safetensors' is missing"), std::string::npos) << e;
}

TEST_F(SafetensorsTest, ShardSymlinksMustResolveInsideTheFolder) {
  float f[2] = {1, 2};
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data(reinterpret_cast<char*>(f), 8);
  const fs::path model = dir_ / "model";
  fs::create_directories(model);
  write(header, data, "outside.safetensors");
  write(header, data, "model/inside.safetensors");
  auto index = [&](const std::string& shard) {
    std::ofstream(model / "model.safetensors.index.json") << R"({"weight_map":{"a":")" + shard + R"("}})";
  };
  auto error_of_folder = [&](const fs::path& d) -> std::string {
    try {
      Weights::open_folder(d);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  fs::create_symlink(dir_ / "outside.safetensors", model / "abs.safetensors");
  fs::create_symlink("../outside.safetensors", model / "rel.safetensors");
  fs::create_symlink("inside.safetensors", model / "ok.safetensors");
  for (const char* shard : {"abs.safetensors", "rel.safetensors"}) {
    index(shard);
    EXPECT_NE(error_of_folder(model).find("outside the model folder"), std::string::npos) << shard;
  }
  index("ok.safetensors");
  EXPECT_EQ(error_of_folder(model), "");
  // Hugging Face cache layout: snapshot files link to the repository's blobs folder.
  const fs::path repo = dir_ / "models--x--y";
  fs::create_directories(repo / "snapshots" / "abc");
  fs::create_directories(repo / "blobs");
  write(header, data, "models--x--y/blobs/0123");
  fs::create_symlink("../../blobs/0123", repo / "snapshots" / "abc" / "shard.safetensors");
  std::ofstream(repo / "snapshots" / "abc" / "model.safetensors.index.json") << R"({"weight_map":{"a":"shard.safetensors"}})";
  EXPECT_EQ(error_of_folder(repo / "snapshots" / "abc"), "");
  fs::create_symlink("../../../outside.safetensors", repo / "snapshots" / "abc" / "out.safetensors");
  std::ofstream(repo / "snapshots" / "abc" / "model.safetensors.index.json") << R"({"weight_map":{"a":"out.safetensors"}})";
  EXPECT_NE(error_of_folder(repo / "snapshots" / "abc").find("outside the model folder"), std::string::npos);
}

TEST_F(SafetensorsTest, HalfConversionsRoundTrip) {
  for (float v : {0.0f, 1.0f, -1.0f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f}) {
    EXPECT_EQ(f16_to_f32(f32_to_f16(v)), v) << v;
  }
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(3.140625f)), 3.140625f);
  EXPECT_EQ(f32_to_bf16(1.00390625f), f32_to_bf16(1.0f));  // ties to even
}

}  // namespace
}  // namespace tokprob
