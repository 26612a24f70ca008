// Model ids and folder arguments for -m, cache-relative paths, and settings from the environment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/cache_home.hpp"
#include "io/hf_cache.hpp"
#include "io/hub.hpp"
#include "io/scoped_env.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

namespace fs = std::filesystem;

TEST(HubModelId, AcceptsNamesOrgNamesAndRevisions) {
  auto id = parse_hub_model_id("distilgpt2");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->repo, "distilgpt2");
  EXPECT_EQ(id->revision, "main");
  id = parse_hub_model_id("openai-community/gpt2");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->repo, "openai-community/gpt2");
  id = parse_hub_model_id("org/name_1.5@v1.0");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->repo, "org/name_1.5");
  EXPECT_EQ(id->revision, "v1.0");
  id = parse_hub_model_id("org/name@refs/pr/1");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->revision, "refs/pr/1");
}

TEST(HubModelId, RejectsWhatCouldEscapeOrIsNotAnId) {
  for (const char* bad :
       {"", "a b", "../x", "org/../x", "a/b/c", "org/", "/name", "name..x", "a--b", "-name", "name.", "org/name@",
        "org/name@../main", "org/name@a//b", "org/name@/main", "name@main/", "na\\me", "name@ma in"}) {
    std::string why;
    EXPECT_FALSE(parse_hub_model_id(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_FALSE(parse_hub_model_id(std::string(97, 'a')));
}

TEST(HubCachePaths, ContainedRelativePaths) {
  for (const char* ok : {"model.safetensors", "sub/model-00001-of-00002.safetensors", "a.b/c"})
    EXPECT_TRUE(is_contained_relative_path(ok)) << ok;
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", ".", "..", "a\\b", "a\nb"})
    EXPECT_FALSE(is_contained_relative_path(bad)) << bad;
}

TEST(HubCachePaths, FolderNamesLikeHuggingfaceHub) {
  const HfCacheRepo repo("/cache", "org/name");
  EXPECT_EQ(repo.dir(), fs::path("/cache/models--org--name"));
  EXPECT_EQ(repo.blob("abc"), fs::path("/cache/models--org--name/blobs/abc"));
  EXPECT_EQ(repo.snapshot("c0ffee"), fs::path("/cache/models--org--name/snapshots/c0ffee"));
  EXPECT_EQ(repo.lock_file("abc"), fs::path("/cache/.locks/models--org--name/abc.lock"));
  EXPECT_EQ(HfCacheRepo("/cache", "gpt2").dir(), fs::path("/cache/models--gpt2"));
}

TEST(ResolveModel, AnExistingFolderWinsOverAnId) {
  const fs::path dir = fs::temp_directory_path() / ("tokprob_hub_folder_" + std::to_string(::getpid()));
  fs::create_directories(dir / "distilgpt2");
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  HubSettings offline;
  offline.cache_dir = dir / "cache";
  offline.offline = true;
  EXPECT_EQ(resolve_model("distilgpt2", HubFiles::model, offline), fs::path("distilgpt2"));
  fs::current_path(cwd);
  fs::remove_all(dir);
}

TEST(ResolveModel, MissingPathsAreFoldersNotFound) {
  HubSettings offline;
  offline.cache_dir = "/nonexistent-tokprob-cache";
  offline.offline = true;
  for (const char* arg : {"/no/such/folder", "./nope", "../nope", "a/b/c", "bad name"}) {
    try {
      resolve_model(arg, HubFiles::model, offline);
      ADD_FAILURE() << arg;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("model folder not found: " + std::string(arg)), std::string::npos)
          << e.what();
    }
  }
}

TEST(HubSettings, FromEnvironmentLikeHuggingfaceHub) {
  const fs::path home = fs::temp_directory_path() / ("tokprob_hub_env_" + std::to_string(::getpid()));
  fs::create_directories(home);
  std::ofstream(home / "token") << "hf_secret\n";
  tokprob::testing::ScopedEnv env;
  env.set("HF_HOME", home.c_str());
  for (const char* name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN",
                           "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"})
    env.set(name, nullptr);
  HubSettings s = HubSettings::from_environment();
  EXPECT_EQ(s.cache_dir, home / "hub");
  EXPECT_EQ(s.endpoint, "https://huggingface.co");
  EXPECT_EQ(s.token, "hf_secret");
  EXPECT_FALSE(s.offline);

  env.set("HF_HUB_CACHE", "/elsewhere/hub");
  env.set("HF_ENDPOINT", "http://127.0.0.1:1");
  env.set("HF_TOKEN", "hf_env");
  env.set("HF_HUB_OFFLINE", "1");
  s = HubSettings::from_environment();
  EXPECT_EQ(s.cache_dir, fs::path("/elsewhere/hub"));
  EXPECT_EQ(s.endpoint, "http://127.0.0.1:1");
  EXPECT_EQ(s.token, "hf_env");
  EXPECT_TRUE(s.offline);

  env.set("HF_HOME", nullptr);
  env.set("HF_HUB_CACHE", nullptr);
  env.set("XDG_CACHE_HOME", nullptr);
  env.set("HOME", "/home/someone");
  EXPECT_EQ(HubSettings::from_environment().cache_dir, fs::path("/home/someone/.cache/huggingface/hub"));
  fs::remove_all(home);
}

TEST(WeightCacheDir, FromTheEnvironment) {
  tokprob::testing::ScopedEnv env;
  env.set("TOKPROB_WEIGHT_CACHE", "/some/where");
  EXPECT_EQ(weight_cache_dir_from_environment(), fs::path("/some/where"));
  env.set("TOKPROB_WEIGHT_CACHE", "off");
  EXPECT_TRUE(weight_cache_dir_from_environment().empty());
  env.set("TOKPROB_WEIGHT_CACHE", nullptr);
  env.set("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(weight_cache_dir_from_environment(), fs::path("/xdg/tokprob/weights"));
}

}  // namespace
}  // namespace tokprob
