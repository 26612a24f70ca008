// Downloads from a local stand-in of the Hugging Face hub (fake_hub.hpp, 127.0.0.1 only) into a
// temporary Hugging Face cache: the cache layout Python's huggingface_hub shares, reuse without
// downloads, offline use, resume, corruption, missing repos/files/revisions, gated models, no network.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "fixtures.hpp"
#include "io/fake_hub.hpp"
#include "io/hub.hpp"
#include "io/safetensors.hpp"
#include "io/scoped_env.hpp"
#include "io/sha256.hpp"
#include "tokprob/error.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;

const char* const kRepo = "test/gpt2-tiny";

class HubDownload : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = fixtures_dir() / "gpt2-tiny";
    tmp_ = fs::temp_directory_path() / ("tokprob_hub_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
    settings_.cache_dir = tmp_ / "hub";
    settings_.endpoint = hub_.endpoint();
    if (fs::exists(fixture_)) commit_ = hub_.add_repo(kRepo, fixture_);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  fs::path repo_dir() const { return settings_.cache_dir / "models--test--gpt2-tiny"; }
  fs::path snapshot() const { return repo_dir() / "snapshots" / commit_; }

  fs::path download(const std::string& id = kRepo, HubFiles files = HubFiles::model) {
    return hub_snapshot(*parse_hub_model_id(id), files, settings_);
  }

  // The one-line message of the tokprob::Error that `f` throws ("" when it throws none).
  template <typename F>
  static std::string error_of(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return e.what();
    }
    return "";
  }

  size_t count(const std::string& method) const {
    size_t n = 0;
    for (const auto& r : hub_.requests()) n += r.method == method;
    return n;
  }

  // A repo folder of symlinks to gpt2-tiny's files, with some left out.
  fs::path repo_folder(const std::string& name, const std::vector<std::string>& leave_out) {
    const fs::path dir = tmp_ / "repos" / name;
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(fixture_)) {
      const std::string f = e.path().filename();
      if (std::find(leave_out.begin(), leave_out.end(), f) == leave_out.end()) fs::create_symlink(e.path(), dir / f);
    }
    return dir;
  }

  FakeHub hub_;
  HubSettings settings_;
  fs::path fixture_, tmp_;
  std::string commit_;
};

TEST_F(HubDownload, WritesTheHuggingFaceCacheLayout) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const fs::path snap = download();
  EXPECT_EQ(snap, snapshot());
  // refs/main holds the commit, without a newline (huggingface_hub reads it unstripped).
  EXPECT_EQ(FakeHub::read_bytes(repo_dir() / "refs" / "main"), commit_);
  for (const char* f : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                        "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt"}) {
    SCOPED_TRACE(f);
    ASSERT_TRUE(fs::is_symlink(snap / f));
    const fs::path target = fs::read_symlink(snap / f);
    EXPECT_EQ(target.parent_path(), fs::path("../../blobs"));
    EXPECT_EQ(FakeHub::read_bytes(snap / f), FakeHub::read_bytes(fixture_ / f));
  }
  // LFS blobs are named by their sha256.
  const std::string weights_sha = sha256_file_hex(fixture_ / "model.safetensors");
  EXPECT_EQ(fs::read_symlink(snap / "model.safetensors"), fs::path("../../blobs") / weights_sha);
  // Files the repo lacks are remembered as absent, as huggingface_hub does.
  for (const char* f : {"vocab.txt", "spiece.model", "tokenizer.model", "added_tokens.json"})
    EXPECT_TRUE(fs::exists(repo_dir() / ".no_exist" / commit_ / f)) << f;
  EXPECT_FALSE(fs::exists(snap / "golden.json"));  // only the files tokprob reads
  for (const auto& e : fs::directory_iterator(repo_dir() / "blobs"))
    EXPECT_EQ(e.path().extension(), "") << "left over: " << e.path();
  // What landed is a model folder like any other.
  const Weights w = Weights::open_folder(snap);
  EXPECT_TRUE(w.has("transformer.wte.weight"));
  const Tokenizer tok = Tokenizer::from_folder(snap);
  const auto golden = load_json(fixture_ / "golden.json");
  const auto& t0 = golden["tokenization"][0];
  EXPECT_EQ(tok.encode(t0["text"].get<std::string>(), true).ids, t0["ids"].get<std::vector<int32_t>>());
}

TEST_F(HubDownload, CachedModelNeedsOneRequestAndAPinnedCommitNone) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  download();
  EXPECT_EQ(count("GET"), 2u + 7u);  // model.safetensors through the redirect + 7 small files
  hub_.clear_requests();
  EXPECT_EQ(download(), snapshot());
  ASSERT_EQ(hub_.requests().size(), 1u);
  EXPECT_EQ(hub_.requests()[0].method, "HEAD");
  hub_.clear_requests();
  EXPECT_EQ(download(std::string(kRepo) + "@" + commit_), snapshot());
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubDownload, ReusesASnapshotPythonDownloaded) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  // What huggingface_hub leaves: blobs, relative symlinks, refs/main, .no_exist markers, and no
  // sign of which tokenizer files a Python tokenizer class never asked for.
  const fs::path snap = snapshot();
  fs::create_directories(snap);
  fs::create_directories(repo_dir() / "blobs");
  fs::create_directories(repo_dir() / "refs");
  std::ofstream(repo_dir() / "refs" / "main") << commit_;
  int n = 0;
  for (const char* f : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                        "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt"}) {
    const std::string etag = "python-etag-" + std::to_string(n++);
    fs::copy_file(fixture_ / f, repo_dir() / "blobs" / etag);
    fs::create_symlink(fs::path("../../blobs") / etag, snap / f);
  }
  fs::create_directories(repo_dir() / ".no_exist" / commit_);
  std::ofstream(repo_dir() / ".no_exist" / commit_ / "added_tokens.json");

  EXPECT_EQ(download(), snap);
  EXPECT_EQ(count("GET"), 0u);  // only HEADs for the files Python never looked for
  hub_.clear_requests();
  settings_.offline = true;
  EXPECT_EQ(download(), snap);
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubDownload, OfflineUsesTheCacheOnly) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  settings_.offline = true;
  const std::string err = error_of([&] { download(); });
  EXPECT_NE(err.find("model 'test/gpt2-tiny' is not in the Hugging Face cache"), std::string::npos) << err;
  EXPECT_NE(err.find("HF_HUB_OFFLINE=1"), std::string::npos) << err;
  settings_.offline = false;
  download();
  fs::remove(snapshot() / "model.safetensors");
  settings_.offline = true;
  const std::string lacks = error_of([&] { download(); });
  EXPECT_NE(lacks.find("lacks model.safetensors"), std::string::npos) << lacks;
  settings_.offline = false;
  download();
  hub_.clear_requests();
  settings_.offline = true;
  EXPECT_EQ(download(), snapshot());
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubDownload, NoNetworkFallsBackToTheCache) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  FakeHub closed;
  closed.stop();  // its port now refuses connections
  settings_.endpoint = closed.endpoint();
  const std::string err = error_of([&] { download(); });
  EXPECT_EQ(
      err.rfind("no network: cannot reach " + closed.endpoint() + " for 'config.json' of model 'test/gpt2-tiny'", 0),
      0u)
      << err;
  EXPECT_NE(err.find("not in the cache"), std::string::npos) << err;

  settings_.endpoint = hub_.endpoint();
  download();
  settings_.endpoint = closed.endpoint();
  EXPECT_EQ(download(), snapshot());
}

TEST_F(HubDownload, ServerErrorsFallBackToTheCache) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  hub_.fail_with(503);
  const std::string err = error_of([&] { download(); });
  EXPECT_EQ(err,
            "'config.json' of model 'test/gpt2-tiny' on " + hub_.endpoint() + " (503): server error, try again later");
  hub_.fail_with(0);
  download();
  hub_.fail_with(503);
  EXPECT_EQ(download(), snapshot());
}

TEST_F(HubDownload, ResumesAnInterruptedDownload) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const auto size = fs::file_size(fixture_ / "model.safetensors");
  const size_t cut = size / 3;
  hub_.cut_once("model.safetensors", cut);
  const std::string err = error_of([&] { download(); });
  EXPECT_NE(err.find("'model.safetensors' of model 'test/gpt2-tiny'"), std::string::npos) << err;
  EXPECT_NE(err.find("run the command again to resume"), std::string::npos) << err;
  const std::string sha = sha256_file_hex(fixture_ / "model.safetensors");
  const fs::path part = repo_dir() / "blobs" / (sha + ".incomplete");
  ASSERT_TRUE(fs::exists(part));
  EXPECT_EQ(fs::file_size(part), cut);
  EXPECT_FALSE(fs::exists(snapshot() / "model.safetensors"));

  hub_.clear_requests();
  EXPECT_EQ(download(), snapshot());
  bool resumed = false;
  for (const auto& r : hub_.requests())
    if (r.method == "GET" && r.range == "bytes=" + std::to_string(cut) + "-") resumed = true;
  EXPECT_TRUE(resumed);
  EXPECT_FALSE(fs::exists(part));
  EXPECT_EQ(sha256_file_hex(snapshot() / "model.safetensors"), sha);
}

TEST_F(HubDownload, RefusesACorruptDownloadAndLeavesNothing) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  hub_.corrupt("model.safetensors");
  const std::string err = error_of([&] { download(); });
  const std::string sha = sha256_file_hex(fixture_ / "model.safetensors");
  EXPECT_NE(err.find("'model.safetensors' of model 'test/gpt2-tiny' is corrupt"), std::string::npos) << err;
  EXPECT_NE(err.find("expected " + sha), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / sha));
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / (sha + ".incomplete")));
  EXPECT_FALSE(fs::exists(snapshot() / "model.safetensors"));
  hub_.corrupt("");
  download();
  EXPECT_EQ(sha256_file_hex(snapshot() / "model.safetensors"), sha);
}

TEST_F(HubDownload, MissingRepoRevisionAndFiles) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string repo = error_of([&] { download("test/nope"); });
  EXPECT_EQ(repo, "model 'test/nope' not found on " + hub_.endpoint() + " (404 RepoNotFound)");
  const std::string rev = error_of([&] { download(std::string(kRepo) + "@v9"); });
  EXPECT_EQ(rev, "revision 'v9' of model 'test/gpt2-tiny' not found on " + hub_.endpoint() + " (404 RevisionNotFound)");

  hub_.add_repo("test/no-config", repo_folder("no-config", {"config.json"}));
  const std::string config = error_of([&] { download("test/no-config"); });
  EXPECT_EQ(config, "'config.json' of model 'test/no-config' not found on " + hub_.endpoint() + " (404 EntryNotFound)");

  hub_.add_repo("test/no-weights", repo_folder("no-weights", {"model.safetensors"}));
  const std::string weights = error_of([&] { download("test/no-weights"); });
  EXPECT_NE(weights.find("model 'test/no-weights' on " + hub_.endpoint() +
                         " has no model.safetensors or model.safetensors.index.json"),
            std::string::npos)
      << weights;
  // The tokenizer alone needs no weights.
  const fs::path tok = download("test/no-weights", HubFiles::tokenizer);
  EXPECT_TRUE(fs::exists(tok / "tokenizer.json"));
  EXPECT_FALSE(fs::exists(tok / "model.safetensors"));
}

TEST_F(HubDownload, ShardedWeightsAndIndexesThatTryToEscape) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const fs::path dir = repo_folder("sharded", {"model.safetensors"});
  nlohmann::json index = {{"metadata", {{"total_size", 1}}},
                          {"weight_map",
                           {{"a", "model-00001-of-00002.safetensors"},
                            {"b", "model-00002-of-00002.safetensors"},
                            {"c", "model-00001-of-00002.safetensors"}}}};
  std::ofstream(dir / "model.safetensors.index.json") << index.dump();
  std::ofstream(dir / "model-00001-of-00002.safetensors") << "first shard";
  std::ofstream(dir / "model-00002-of-00002.safetensors") << "second shard";
  hub_.add_repo("test/sharded", dir);
  const fs::path snap = download("test/sharded");
  EXPECT_EQ(FakeHub::read_bytes(snap / "model-00002-of-00002.safetensors"), "second shard");
  EXPECT_TRUE(fs::is_symlink(snap / "model-00001-of-00002.safetensors"));

  for (const char* evil : {"../../../../escaped.safetensors", "/tmp/escaped.safetensors"}) {
    const fs::path bad = repo_folder(std::string("evil") + (evil[0] == '/' ? "abs" : "rel"), {"model.safetensors"});
    index["weight_map"] = {{"a", evil}};
    std::ofstream(bad / "model.safetensors.index.json") << index.dump();
    const std::string repo = "test/" + bad.filename().string();
    hub_.add_repo(repo, bad);
    const std::string err = error_of([&] { download(repo); });
    EXPECT_NE(err.find("shard name '" + std::string(evil) + "' leads outside the model folder"), std::string::npos)
        << err;
  }
  EXPECT_FALSE(fs::exists(tmp_ / "escaped.safetensors"));
  EXPECT_FALSE(fs::exists(settings_.cache_dir / "escaped.safetensors"));
}

TEST_F(HubDownload, GatedModelNeedsTheToken) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  hub_.require_token("hf_test_token");
  const std::string err = error_of([&] { download(); });
  EXPECT_NE(err.find("model 'test/gpt2-tiny' on " + hub_.endpoint() + " (401 GatedRepo)"), std::string::npos) << err;
  EXPECT_NE(err.find("HF_TOKEN"), std::string::npos) << err;
  settings_.token = "hf_test_token";
  hub_.clear_requests();
  EXPECT_EQ(download(), snapshot());
  for (const auto& r : hub_.requests())
    if (r.path.find("/resolve/") != std::string::npos) {
      EXPECT_EQ(r.authorization, "Bearer hf_test_token");
    }
}

TEST_F(HubDownload, FollowsTheRedirectOfARenamedRepo) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  hub_.rename_repo("old-org/gpt2-tiny", kRepo);
  const fs::path snap = download("old-org/gpt2-tiny");
  EXPECT_EQ(snap, settings_.cache_dir / "models--old-org--gpt2-tiny" / "snapshots" / commit_);
  EXPECT_TRUE(fs::exists(snap / "model.safetensors"));
}

// The command line: `-m org/name` with the cache and endpoint from HF_* variables.
TEST_F(HubDownload, CommandsTakeAHubId) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  ScopedEnv env;
  env.set("HF_HOME", (tmp_ / "home").c_str());
  env.set("HF_HUB_CACHE", nullptr);
  env.set("HUGGINGFACE_HUB_CACHE", nullptr);
  env.set("HF_ENDPOINT", hub_.endpoint().c_str());
  env.set("HF_TOKEN", nullptr);
  env.set("HF_HUB_OFFLINE", nullptr);
  env.set("TRANSFORMERS_OFFLINE", nullptr);
  const auto tok = run_tokprob({"tokenize", "-m", kRepo, "--format", "json", "Hello world"});
  EXPECT_EQ(tok.exit_code, 0) << tok.err;
  EXPECT_NE(tok.out.find("\"ids\""), std::string::npos) << tok.out;
  const fs::path repo = tmp_ / "home" / "hub" / "models--test--gpt2-tiny";
  EXPECT_FALSE(fs::exists(repo / "snapshots" / commit_ / "model.safetensors"));  // tokenizer files only

  const auto next = run_tokprob({"next", "-m", kRepo, "--format", "json", "This weekend I plan to"});
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_FALSE(next.out.empty());
  EXPECT_TRUE(fs::exists(repo / "snapshots" / commit_ / "model.safetensors"));

  env.set("HF_HUB_OFFLINE", "1");
  const auto offline = run_tokprob({"next", "-m", kRepo, "This weekend I plan to"});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  const auto missing = run_tokprob({"next", "-m", "test/absent", "hi"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("model 'test/absent' is not in the Hugging Face cache"), std::string::npos) << missing.err;
  env.set("HF_HUB_OFFLINE", nullptr);
  const auto absent = run_tokprob({"next", "-m", "test/absent", "hi"});
  EXPECT_EQ(absent.exit_code, 1);
  EXPECT_EQ(absent.err, "tokprob: model 'test/absent' not found on " + hub_.endpoint() + " (404 RepoNotFound)\n");
}

}  // namespace
}  // namespace tokprob::testing
