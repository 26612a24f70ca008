// Models loaded with reduced-precision weights (LoadOptions / --dtype). Every architecture is
// checked where the answer is exact: a checkpoint whose weights are already bf16 (or f16) values
// loses nothing when packed to that format, so its numbers must equal the fp32 path's up to
// summation order. Accuracy on real weights is checked on TinyStories, the one trained model.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <map>
#include <set>

#include "cli_runner.hpp"
#include "fixtures.hpp"
#include "generate/distribution_agreement.hpp"
#include "models/model_folder_copy.hpp"
#include "io/safetensors.hpp"
#include "kernels/linear.hpp"
#include "models/registry.hpp"
#include "tokprob/tokenizer.hpp"

namespace tokprob::testing {
namespace {

namespace fs = std::filesystem;

// A copy of `fixture` with every tensor stored as `dtype` (BF16 or F16).
std::unique_ptr<ModelFolderCopy> stored_as(const std::string& fixture, const std::string& dtype) {
  auto copy = std::make_unique<ModelFolderCopy>(fixture, "stored_" + dtype);
  copy->rewrite_tensors([&](std::string&, nlohmann::json& info, std::string& bytes) {
    std::vector<float> f(bytes.size() / 4);
    std::memcpy(f.data(), bytes.data(), bytes.size());
    std::string out(f.size() * 2, '\0');
    for (size_t i = 0; i < f.size(); ++i) {
      const uint16_t h = dtype == "BF16" ? f32_to_bf16(f[i]) : f32_to_f16(f[i]);
      std::memcpy(&out[i * 2], &h, 2);
    }
    info["dtype"] = dtype;
    bytes = std::move(out);
    return true;
  });
  return copy;
}

// A copy of `fixture` whose matrices are rounded to the int8 grid the packer uses: per output row,
// blocks of kInt8Block inputs share a scale (the block's largest magnitude / 127). GPT-2's Conv1D
// matrices are stored [in, out], so their input axis is the first; every other matrix is [out, in].
std::unique_ptr<ModelFolderCopy> on_int8_grid(const std::string& fixture) {
  auto copy = std::make_unique<ModelFolderCopy>(fixture, "int8_grid");
  copy->rewrite_tensors([&](std::string& name, nlohmann::json& info, std::string& bytes) {
    if (info["shape"].size() != 2) return true;
    const int64_t d0 = info["shape"][0], d1 = info["shape"][1];
    const bool in_first = name.find(".c_attn.") != std::string::npos || name.find(".c_proj.") != std::string::npos ||
                          name.find(".c_fc.") != std::string::npos;
    const int64_t out = in_first ? d1 : d0, in = in_first ? d0 : d1;
    std::vector<float> f(bytes.size() / 4);
    std::memcpy(f.data(), bytes.data(), bytes.size());
    auto at = [&](int64_t o, int64_t k) -> float& { return in_first ? f[k * out + o] : f[o * in + k]; };
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k0 = 0; k0 < in; k0 += kInt8Block) {
        const int64_t k1 = std::min(in, k0 + kInt8Block);
        float max_abs = 0;
        for (int64_t k = k0; k < k1; ++k) max_abs = std::max(max_abs, std::abs(at(o, k)));
        const float scale = max_abs / 127.0f;
        for (int64_t k = k0; k < k1; ++k) at(o, k) = scale > 0 ? std::nearbyint(at(o, k) / scale) * scale : 0.0f;
      }
    std::memcpy(bytes.data(), f.data(), bytes.size());
    return true;
  });
  return copy;
}

// Every logit a model of the folder's kind gives for a short input, in one vector.
std::vector<float> logits_of(const fs::path& dir, const ModelLoadOptions& options) {
  const Config config = read_model_config(dir);
  const auto tok = Tokenizer::from_folder(dir);
  const std::string arch = config.first_architecture();
  const std::string text = "The little dog ran to the park with the red ball.";
  if (arch.ends_with("ForMaskedLM") || arch.ends_with("ForSequenceClassification")) {
    const bool mlm = arch.ends_with("ForMaskedLM");
    const auto model = mlm ? load_masked_lm(dir, config, options) : load_sequence_classifier(dir, config, options);
    const auto ids = tok.encode(text).ids;
    EncoderSequence seq;
    seq.ids = ids;
    if (mlm)
      for (size_t i = 0; i < ids.size(); ++i) seq.mlm_logits_for.push_back(static_cast<int64_t>(i));
    auto out = model->forward(std::span(&seq, 1));
    return mlm ? out.mlm_logits : out.class_logits;
  }
  if (arch.ends_with("ForConditionalGeneration")) {
    const auto model = load_seq2seq_lm(dir, config, options);
    const std::vector<std::vector<int32_t>> source = {tok.encode(text).ids};
    auto states = model->encode(source);
    // More than kSkinnyMaxRows decoder tokens: with int8 weights the few-row kernels also round
    // the activations (to int16), which would make the int8 comparison inexact.
    const std::vector<int32_t> decoder = {model->info().decoder_start_token_id, 37, 1782, 10, 8, 21, 5, 9, 7, 15};
    DecodeChunk chunk{states[0].get(), decoder, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}};
    return model->decode(std::span(&chunk, 1));
  }
  const auto model = load_causal_lm(dir, config, options);
  const auto ids = tok.encode(text).ids;
  auto state = model->new_state();
  DecodeChunk chunk{state.get(), ids, {}};
  for (size_t i = 0; i < ids.size(); ++i) chunk.logits_for.push_back(static_cast<int64_t>(i));
  return model->forward(std::span(&chunk, 1));
}

// The fixtures' tolerance for fp32 logits: 1e-4, relative to the largest |logit| when that is > 1.
void expect_same_logits(const std::vector<float>& want, const std::vector<float>& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  float scale = 1;
  for (float v : want) scale = std::max(scale, std::abs(v));
  float worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(want[i] - got[i]));
  EXPECT_LE(worst, 1e-4f * scale) << what;
}

const char* const kAllKinds[] = {"gpt2-tiny", "llama-tiny", "tinystories-656k", "bert-tiny-mlm", "distilbert-tiny-sst2",
                                 "t5-tiny"};

TEST(WeightFormats, Bf16PackingOfBf16WeightsIsExactForEveryArchitecture) {
  for (const char* fixture : kAllKinds) {
    TOKPROB_REQUIRE_FIXTURE(fixture);
    const auto copy = stored_as(fixture, "BF16");
    expect_same_logits(logits_of(copy->dir(), {}), logits_of(copy->dir(), {WeightFormat::bf16}),
                       std::string(fixture) + " bf16");
  }
}

TEST(WeightFormats, F16PackingOfF16WeightsIsExactForEveryArchitecture) {
  for (const char* fixture : kAllKinds) {
    TOKPROB_REQUIRE_FIXTURE(fixture);
    const auto copy = stored_as(fixture, "F16");
    expect_same_logits(logits_of(copy->dir(), {}), logits_of(copy->dir(), {WeightFormat::f16}),
                       std::string(fixture) + " f16");
  }
}

TEST(WeightFormats, Int8PackingOfInt8GridWeightsIsExactForEveryArchitecture) {
  // Weights already on the int8 grid (each block of a row a multiple of its own scale) are held
  // exactly by int8: the int8 path must then give the fp32 path's numbers. Every input here has
  // more rows than the few-row kernels take, whose int16 activations are checked in
  // tests/kernels/packed_gemm_test.cpp and, on real weights, below. Many rows are multiplied with
  // the weights widened (fp32 activations, the default): the integer products quantise the
  // activations to int8, checked in tests/kernels/int8_gemm_test.cpp and on TinyStories below.
  struct WidenedInt8 {
    Int8Products before = int8_products();
    WidenedInt8() { set_int8_products(Int8Products::widened); }
    ~WidenedInt8() { set_int8_products(before); }
  } widened_int8;
  for (const char* fixture : kAllKinds) {
    TOKPROB_REQUIRE_FIXTURE(fixture);
    const auto copy = on_int8_grid(fixture);
    expect_same_logits(logits_of(copy->dir(), {}), logits_of(copy->dir(), {WeightFormat::int8}),
                       std::string(fixture) + " int8");
  }
}

// Weights converted once are read back from the cache by the next load of every architecture, with
// the same numbers bit for bit; the second load writes nothing.
TEST(WeightFormats, SecondLoadReadsTheConvertedWeightsCache) {
  const fs::path cache = fs::temp_directory_path() / ("tokprob_weight_cache_models_" + std::to_string(::getpid()));
  fs::remove_all(cache);
  for (const char* fixture : kAllKinds) {
    TOKPROB_REQUIRE_FIXTURE(fixture);
    for (WeightFormat f : {WeightFormat::bf16, WeightFormat::int8}) {
      const std::string what = std::string(fixture) + " " + weight_format_name(f);
      const fs::path dir = fixtures_dir() / fixture;
      LoadOptions options(f);
      options.weight_cache_dir = cache;
      const auto converted = logits_of(dir, {f});
      const auto first = logits_of(dir, options);
      const auto files = std::distance(fs::directory_iterator(cache), fs::directory_iterator());
      // A rewrite is a new file renamed into place: another inode (the modification time is
      // touched by every use, for the cache's least-recently-used pruning).
      auto inode = [&] {
        struct stat st {};
        ::stat(fs::directory_iterator(cache)->path().c_str(), &st);
        return st.st_ino;
      };
      const auto written = inode();
      const auto second = logits_of(dir, options);
      EXPECT_EQ(first, converted) << what;
      EXPECT_EQ(second, converted) << what;
      EXPECT_EQ(std::distance(fs::directory_iterator(cache), fs::directory_iterator()), files) << what;
      EXPECT_EQ(inode(), written) << what << ": not written again";
      fs::remove_all(cache);
    }
  }
}

// fp32 of a BF16 checkpoint: the widened matrices are kept in the cache. A hit widens no matrix and
// gives the logits of a load without the cache bit for bit; a damaged file is a miss (the same
// logits again) that is replaced by a good one. An F32 checkpoint's matrices are used where they
// are mapped: nothing is written.
TEST(WeightFormats, Fp32CacheHitIsExactAndADamagedFileIsAMiss) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const fs::path cache = fs::temp_directory_path() / ("tokprob_weight_cache_fp32_" + std::to_string(::getpid()));
  fs::remove_all(cache);
  LoadOptions in_cache(WeightFormat::f32);
  in_cache.weight_cache_dir = cache;
  const fs::path f32_dir = fixtures_dir() / "gpt2-tiny";
  EXPECT_EQ(logits_of(f32_dir, in_cache), logits_of(f32_dir, {WeightFormat::f32}));
  EXPECT_FALSE(fs::exists(cache)) << "F32 matrices are not copied";

  const auto copy = stored_as("gpt2-tiny", "BF16");
  const fs::path dir = copy->dir();
  const auto uncached = logits_of(dir, {WeightFormat::f32});
  // The matrices widened by a load (2-D tensors but the embeddings, read a row at a time).
  auto widened = [&] {
    ModelLoadOptions options(in_cache);
    options.converted_tensors = std::make_shared<std::map<std::string, int64_t>>();
    EXPECT_EQ(logits_of(dir, options), uncached);
    const Weights stored = Weights::open_folder(dir);
    int matrices = 0;
    for (const auto& [name, bytes] : *options.converted_tensors) matrices += stored.get(name).shape.size() >= 2;
    return matrices;
  };
  EXPECT_GT(widened(), 0) << "miss";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(cache)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  const fs::path file = files[0];
  EXPECT_EQ(file.extension(), ".tpw");
  EXPECT_EQ(widened(), 0) << "hit";
  auto inode = [&] {
    struct stat st {};
    ::stat(file.c_str(), &st);
    return st.st_ino;
  };
  const auto written = inode();
  // Damaged where the weights lie: their bytes are not checked, but the file's length is.
  fs::resize_file(file, fs::file_size(file) - 1);
  EXPECT_GT(widened(), 0) << "damaged";
  EXPECT_NE(inode(), written) << "replaced";
  EXPECT_EQ(widened(), 0) << "hit on the replacement";
  fs::remove_all(cache);
}

// A BF16 checkpoint loaded as bf16 is packed from its stored bytes: the only fp32 copies made are
// of vectors (norms, biases) and of the encoders' embeddings (a decoder's are read a row at a time
// where they are stored; a tied head packs the embedding's stored bytes), on the first load that
// converts and on the second that maps the cache. Loaded as fp32 (the format asked), every matrix
// is copied, as the check of the recording.
TEST(WeightFormats, Bf16CheckpointPackedAsBf16KeepsNoFp32CopyOfAMatrix) {
  const std::map<std::string, std::set<std::string>> embeddings = {
      {"gpt2-tiny", {}},
      {"llama-tiny", {}},
      {"tinystories-656k", {}},
      {"bert-tiny-mlm",
       {"bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
        "bert.embeddings.token_type_embeddings.weight"}},
      {"distilbert-tiny-sst2",
       {"distilbert.embeddings.word_embeddings.weight", "distilbert.embeddings.position_embeddings.weight"}},
      {"t5-tiny",
       {"shared.weight", "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"}},
  };
  const fs::path cache = fs::temp_directory_path() / ("tokprob_weight_cache_stored_" + std::to_string(::getpid()));
  for (const char* fixture : kAllKinds) {
    TOKPROB_REQUIRE_FIXTURE(fixture);
    const auto copy = stored_as(fixture, "BF16");
    const Weights stored = Weights::open_folder(copy->dir());
    auto matrices_copied = [&](const std::map<std::string, int64_t>& converted) {
      std::set<std::string> out;
      for (const auto& [name, bytes] : converted) {
        EXPECT_EQ(bytes, stored.get(name).numel() * 4) << fixture << " " << name;
        if (stored.get(name).shape.size() >= 2 && !embeddings.at(fixture).count(name)) out.insert(name);
      }
      return out;
    };
    fs::remove_all(cache);
    for (const char* pass : {"converting", "cache hit"}) {
      ModelLoadOptions options(WeightFormat::bf16);
      options.weight_cache_dir = cache;
      options.converted_tensors = std::make_shared<std::map<std::string, int64_t>>();
      logits_of(copy->dir(), options);
      EXPECT_FALSE(options.converted_tensors->empty()) << fixture << " " << pass;
      EXPECT_EQ(matrices_copied(*options.converted_tensors), std::set<std::string>{}) << fixture << " " << pass;
    }
    ModelLoadOptions fp32;
    fp32.converted_tensors = std::make_shared<std::map<std::string, int64_t>>();
    logits_of(copy->dir(), fp32);
    EXPECT_FALSE(matrices_copied(*fp32.converted_tensors).empty()) << fixture;
  }
  fs::remove_all(cache);
}

// A decoder's embeddings are read where a BF16 (or F16) checkpoint stores them, widened at each
// lookup: the logits equal those of an F32 checkpoint holding the same values, bit for bit, with
// the matrices asked as fp32 (the path whose numbers are the reference's) and as bf16.
TEST(WeightFormats, DecoderEmbeddingsReadWhereStoredGiveTheWidenedValues) {
  for (const char* fixture : {"gpt2-tiny", "llama-tiny", "tinystories-656k"}) {
    TOKPROB_REQUIRE_FIXTURE(fixture);
    for (const std::string dtype : {"BF16", "F16"}) {
      const auto stored = stored_as(fixture, dtype);
      auto widened = std::make_unique<ModelFolderCopy>(fixture, "widened_" + dtype);
      widened->rewrite_tensors([&](std::string&, nlohmann::json&, std::string& bytes) {
        std::vector<float> f(bytes.size() / 4);
        std::memcpy(f.data(), bytes.data(), bytes.size());
        for (float& v : f) v = dtype == "BF16" ? bf16_to_f32(f32_to_bf16(v)) : f16_to_f32(f32_to_f16(v));
        std::memcpy(bytes.data(), f.data(), bytes.size());
        return true;
      });
      const std::string what = std::string(fixture) + " " + dtype;
      ModelLoadOptions fp32;
      fp32.converted_tensors = std::make_shared<std::map<std::string, int64_t>>();
      EXPECT_EQ(logits_of(stored->dir(), fp32), logits_of(widened->dir(), {})) << what;
      // GPT-2's position table is read a row at a time; its word embeddings are copied to fp32 for
      // the tied head alone (an fp32 product).
      EXPECT_EQ(fp32.converted_tensors->count("transformer.wpe.weight"), 0u) << what;
      if (dtype == "BF16") {
        EXPECT_EQ(logits_of(stored->dir(), {WeightFormat::bf16}), logits_of(widened->dir(), {WeightFormat::bf16}))
            << what;
      }
    }
  }
}

// The accuracy targets on the trained model, over the story the accuracy benchmark scores.
TEST(WeightFormats, TinyStoriesAgreementOnAStory) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const fs::path dir = fixtures_dir() / "tinystories-656k";
  const auto ids = Tokenizer::from_folder(dir).encode(read_file_text(fs::path(TOKPROB_SOURCE_DIR) /
                                                                     "bench/accuracy/story.txt")).ids;
  ASSERT_GT(ids.size(), 300u);
  // Token by token with the KV cache, as generation runs: one row per product, the few-row kernels.
  auto rows = [&](WeightFormat f) {
    const auto model = load_causal_lm(dir, read_model_config(dir), {f});
    auto state = model->new_state();
    std::vector<float> logits;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      DecodeChunk chunk{state.get(), std::span(ids).subspan(i, 1), {0}};
      const auto row = model->forward(std::span(&chunk, 1));
      logits.insert(logits.end(), row.begin(), row.end());
    }
    return logits;
  };
  const std::vector<int32_t> next(ids.begin() + 1, ids.end());
  const auto ref = rows(WeightFormat::f32);
  const int64_t vocab = static_cast<int64_t>(ref.size() / next.size());
  const auto bf16 = compare_distributions(ref, rows(WeightFormat::bf16), vocab, next);
  EXPECT_GE(bf16.top1_agreement, 0.99);
  EXPECT_LT(bf16.mean_kl, 1e-4);
  const auto int8 = compare_distributions(ref, rows(WeightFormat::int8), vocab, next);
  EXPECT_GE(int8.top1_agreement, 0.97);
  EXPECT_LT(int8.mean_kl, 1e-3);
  EXPECT_LT(std::abs(std::exp(int8.nll) / std::exp(int8.reference_nll) - 1), 0.01) << "perplexity change";
}

// The same targets with the story scored in windows of 128 tokens, one forward each (prefill,
// scoring), with the many-row products of int8 weights widened (the default). With the integer
// products (int8 activations) top-1 agreement and perplexity still meet theirs; the mean KL does
// not (1.1e-3; bench/README.md), which is why they are not the default.
TEST(WeightFormats, TinyStoriesAgreementOfInt8PrefillOnAStory) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  const fs::path dir = fixtures_dir() / "tinystories-656k";
  const auto ids = Tokenizer::from_folder(dir).encode(read_file_text(fs::path(TOKPROB_SOURCE_DIR) /
                                                                     "bench/accuracy/story.txt")).ids;
  ASSERT_GT(ids.size(), 300u);
  std::vector<int32_t> next;
  auto rows = [&](WeightFormat f) {
    const auto model = load_causal_lm(dir, read_model_config(dir), {f});
    std::vector<float> logits;
    next.clear();
    for (size_t i = 0; i + 1 < ids.size(); i += 128) {
      const size_t n = std::min<size_t>(128, ids.size() - i);
      auto state = model->new_state();
      DecodeChunk chunk{state.get(), std::span(ids).subspan(i, n), {}};
      for (size_t k = 0; k + 1 < n; ++k) {
        chunk.logits_for.push_back(static_cast<int64_t>(k));
        next.push_back(ids[i + k + 1]);
      }
      const auto out = model->forward(std::span(&chunk, 1));
      logits.insert(logits.end(), out.begin(), out.end());
    }
    return logits;
  };
  ASSERT_EQ(int8_products(), Int8Products::widened);
  const auto ref = rows(WeightFormat::f32);
  const int64_t vocab = static_cast<int64_t>(ref.size() / next.size());
  const auto int8 = compare_distributions(ref, rows(WeightFormat::int8), vocab, next);
  EXPECT_GT(int8.positions, 300);
  EXPECT_GE(int8.top1_agreement, 0.97);
  EXPECT_LT(int8.mean_kl, 1e-3);
  EXPECT_LT(std::abs(std::exp(int8.nll) / std::exp(int8.reference_nll) - 1), 0.01) << "perplexity change";
  set_int8_products(Int8Products::integer);
  const auto integer = compare_distributions(ref, rows(WeightFormat::int8), vocab, next);
  set_int8_products(Int8Products::widened);
  EXPECT_GE(integer.top1_agreement, 0.97);
  EXPECT_LT(std::abs(std::exp(integer.nll) / std::exp(integer.reference_nll) - 1), 0.01) << "perplexity change";
  EXPECT_NE(integer.mean_kl, int8.mean_kl) << "the integer products were not used";
}

TEST(WeightFormats, DtypeFlagOnTheCommandLine) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  const std::string dir = (fixtures_dir() / "gpt2-tiny").string();
  // Converted weights go to $TOKPROB_WEIGHT_CACHE; the second run reads them, same answer.
  const fs::path cache = fs::temp_directory_path() / ("tokprob_weight_cache_cli_" + std::to_string(::getpid()));
  fs::remove_all(cache);
  ::setenv("TOKPROB_WEIGHT_CACHE", cache.c_str(), 1);
  const auto ok = run_tokprob({"next", "-m", dir, "--dtype", "int8", "--format", "json", "Hello world"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("\"top\""), std::string::npos) << ok.out;
  // One file of converted weights, and the parsed tokenizer beside it.
  std::map<std::string, int> by_suffix;
  for (const auto& e : fs::directory_iterator(cache)) ++by_suffix[e.path().extension().string()];
  EXPECT_EQ(by_suffix, (std::map<std::string, int>{{".tpt", 1}, {".tpw", 1}}));
  const auto cached = run_tokprob({"next", "-m", dir, "--dtype", "int8", "--format", "json", "Hello world"});
  EXPECT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_EQ(cached.out, ok.out);
  ::setenv("TOKPROB_WEIGHT_CACHE", "off", 1);
  fs::remove_all(cache);
  const auto uncached = run_tokprob({"next", "-m", dir, "--dtype", "int8", "--format", "json", "Hello world"});
  EXPECT_EQ(uncached.out, ok.out);
  EXPECT_FALSE(fs::exists(cache));
  ::unsetenv("TOKPROB_WEIGHT_CACHE");
  const auto bad = run_tokprob({"next", "-m", dir, "--dtype", "int4", "Hello"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("int4"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tokprob::testing
