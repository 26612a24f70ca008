// BART / mBART config reading on a tiny folder written here (every tensor 0.01 * its index, so any
// tensor read wrongly shows): the registry serves both as seq2seq, the decoder start and forced
// tokens of config.json, their limits and the tensors each variant needs. The numbers themselves are
// checked against transformers in tests/python/test_differential.py (bart, mbart, *-greedy).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

constexpr int64_t D = 4, V = 8, F = 4, P = 6;

class TinyBart {
 public:
  explicit TinyBart(const std::string& type)
      : dir_(std::filesystem::temp_directory_path() / ("tokprob_bart_" + type + "_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    config_ = {{"model_type", type},      {"architectures", {"BartForConditionalGeneration"}},
               {"d_model", D},            {"vocab_size", V},
               {"encoder_layers", 1},     {"decoder_layers", 1},
               {"encoder_attention_heads", 2}, {"decoder_attention_heads", 1},
               {"encoder_ffn_dim", F},    {"decoder_ffn_dim", F},
               {"max_position_embeddings", P}, {"bos_token_id", 0},
               {"pad_token_id", 1},       {"eos_token_id", 2},
               {"decoder_start_token_id", 2}, {"forced_eos_token_id", 2}};
    add("model.shared.weight", {V, D});
    add("final_logits_bias", {1, V});
    for (const std::string stack : {"encoder", "decoder"}) {
      const std::string p = "model." + stack + ".";
      if (type != "marian") {  // Marian's positions are a fixed table, and it has no embedding norm
        add(p + "embed_positions.weight", {P + 2, D});
        norm(p + "layernorm_embedding");
      }
      if (type == "mbart") norm(p + "layer_norm");
      const std::string l = p + "layers.0.";
      std::vector<std::string> blocks = {"self_attn"};
      if (stack == "decoder") blocks.push_back("encoder_attn");
      for (const auto& b : blocks) {
        for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) linear(l + b + "." + proj, D, D);
        norm(l + b + "_layer_norm");
      }
      linear(l + "fc1", D, F);
      linear(l + "fc2", F, D);
      norm(l + "final_layer_norm");
    }
  }
  ~TinyBart() { std::filesystem::remove_all(dir_); }

  nlohmann::json& config() { return config_; }
  void drop(const std::string& name) { tensors_.erase(name); }
  void add(const std::string& name, std::vector<int64_t> shape) { tensors_[name] = std::move(shape); }

  std::unique_ptr<Seq2SeqLM> load() const {
    std::ofstream(dir_ / "config.json") << config_.dump();
    nlohmann::json header = nlohmann::json::object();
    std::string data;
    for (const auto& [name, shape] : tensors_) {
      int64_t n = 1;
      for (int64_t s : shape) n *= s;
      const size_t begin = data.size();
      for (int64_t i = 0; i < n; ++i) {
        const float v = 0.01f * static_cast<float>(i % 13) - 0.05f;
        data.append(reinterpret_cast<const char*>(&v), sizeof v);
      }
      header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, data.size()}}};
    }
    const std::string h = header.dump();
    const uint64_t len = h.size();
    std::ofstream out(dir_ / "model.safetensors", std::ios::binary);
    out.write(reinterpret_cast<const char*>(&len), 8);
    out << h << data;
    out.close();
    return load_seq2seq_lm(dir_, read_model_config(dir_));
  }

 private:
  void norm(const std::string& p) {
    add(p + ".weight", {D});
    add(p + ".bias", {D});
  }
  void linear(const std::string& p, int64_t in, int64_t out) {
    add(p + ".weight", {out, in});
    add(p + ".bias", {out});
  }

  std::filesystem::path dir_;
  nlohmann::json config_;
  std::map<std::string, std::vector<int64_t>> tensors_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Bart, RegistryServesBothAsSeq2SeqWithTheConfigsGenerationIds) {
  for (const std::string type : {"bart", "mbart"}) {
    TinyBart folder(type);
    const auto model = folder.load();
    const auto& info = model->info();
    EXPECT_EQ(info.model_type, type);
    EXPECT_EQ(info.vocab_size, V);
    EXPECT_EQ(info.hidden_size, D);
    EXPECT_EQ(info.decoder_start_token_id, 2);
    EXPECT_EQ(info.forced_eos_token_id, 2);
    EXPECT_FALSE(info.forced_bos_token_id.has_value());
    const std::vector<std::vector<int32_t>> src = {{0, 5, 2}};
    auto state = std::move(model->encode(src).at(0));
    const std::vector<int32_t> dec = {2, 4};
    DecodeChunk ch{state.get(), dec, {0, 1}};
    const auto logits = model->decode(std::span(&ch, 1));
    ASSERT_EQ(logits.size(), 2u * V);
    for (float z : logits) EXPECT_TRUE(std::isfinite(z));
  }
}

TEST(Bart, DecoderStartFallsBackToBosAndForcedIdsMustBeInTheVocabulary) {
  TinyBart folder("mbart");
  folder.config()["decoder_start_token_id"] = nullptr;  // as MBartConfig saves it
  folder.config()["forced_bos_token_id"] = 5;
  const auto model = folder.load();
  EXPECT_EQ(model->info().decoder_start_token_id, 0);
  EXPECT_EQ(model->info().forced_bos_token_id, 5);
  folder.config()["forced_bos_token_id"] = V;
  const std::string e = error_of([&] { folder.load(); });
  EXPECT_NE(e.find("forced_bos_token_id"), std::string::npos) << e;
}

TEST(Bart, PositionsLimitNamesItsKeyAndMissingTensorsAreNamed) {
  TinyBart folder("bart");
  const auto model = folder.load();
  const std::vector<std::vector<int32_t>> too_long = {std::vector<int32_t>(P + 1, 3)};
  const std::string e = error_of([&] { model->encode(too_long); });
  EXPECT_NE(e.find("max_position_embeddings"), std::string::npos) << e;

  // final_logits_bias may be absent (the reference loads zeros); the tensors of mBART's final
  // norm are not optional for mBART.
  folder.drop("final_logits_bias");
  EXPECT_NO_THROW(folder.load());
  TinyBart mbart("mbart");
  mbart.drop("model.decoder.layer_norm.weight");
  const std::string missing = error_of([&] { mbart.load(); });
  EXPECT_NE(missing.find("model.decoder.layer_norm.weight"), std::string::npos) << missing;
}

// Marian: pad as the decoder start, MarianConfig's defaults for absent ids, and positions 0..P-1
// of its own table (BART's learned table has P + 2 rows; Marian's needs none stored).
TEST(Marian, ServedAsSeq2SeqWithPadStartAndItsOwnPositions) {
  TinyBart folder("marian");
  folder.config()["architectures"] = {"MarianMTModel"};
  folder.config()["decoder_start_token_id"] = 7;
  folder.config()["pad_token_id"] = 7;
  folder.config().erase("forced_eos_token_id");
  folder.config().erase("eos_token_id");
  const auto model = folder.load();
  EXPECT_EQ(model->info().decoder_start_token_id, 7);
  EXPECT_EQ(model->info().eos_token_id, 0);         // MarianConfig's default
  EXPECT_EQ(model->info().forced_eos_token_id, 0);  // likewise
  const std::vector<std::vector<int32_t>> longest = {std::vector<int32_t>(P, 3)};
  auto state = std::move(model->encode(longest).at(0));
  const std::vector<int32_t> dec(P, 7);
  std::vector<int64_t> rows(P);
  for (int64_t i = 0; i < P; ++i) rows[i] = i;
  DecodeChunk ch{state.get(), dec, rows};
  for (float z : model->decode(std::span(&ch, 1))) EXPECT_TRUE(std::isfinite(z));
  const std::vector<std::vector<int32_t>> too_long = {std::vector<int32_t>(P + 1, 3)};
  const std::string e = error_of([&] { model->encode(too_long); });
  EXPECT_NE(e.find("max_position_embeddings"), std::string::npos) << e;

  folder.config().erase("decoder_start_token_id");  // MarianConfig's default, 58100, is not in this vocabulary
  const std::string start = error_of([&] { folder.load(); });
  EXPECT_NE(start.find("decoder_start_token_id 58100"), std::string::npos) << start;
}

// Without share_encoder_decoder_embeddings the decoder and its (tied) head have
// decoder_vocab_size rows; source ids are checked against vocab_size, decoder ids against it.
TEST(Marian, SeparateDecoderVocabulary) {
  TinyBart folder("marian");
  folder.config()["share_encoder_decoder_embeddings"] = false;
  folder.config()["decoder_vocab_size"] = V + 3;
  folder.drop("model.shared.weight");
  folder.drop("final_logits_bias");
  folder.add("final_logits_bias", {1, V + 3});
  folder.add("model.encoder.embed_tokens.weight", {V, D});
  folder.add("model.decoder.embed_tokens.weight", {V + 3, D});
  const auto model = folder.load();
  EXPECT_EQ(model->info().vocab_size, V + 3);
  const std::vector<std::vector<int32_t>> outside = {{0, V + 1}};
  const std::string e = error_of([&] { model->encode(outside); });
  EXPECT_NE(e.find("vocab_size " + std::to_string(V)), std::string::npos) << e;
  const std::vector<std::vector<int32_t>> src = {{0, 5, 2}};
  auto state = std::move(model->encode(src).at(0));
  const std::vector<int32_t> dec = {2, V + 2};
  DecodeChunk ch{state.get(), dec, {0, 1}};
  EXPECT_EQ(model->decode(std::span(&ch, 1)).size(), 2u * (V + 3));
}

TEST(Marian, SharedUntiedEmbeddingsOfAnotherDecoderVocabularyAreRefused) {
  TinyBart folder("marian");
  folder.config()["tie_word_embeddings"] = false;
  folder.config()["decoder_vocab_size"] = V + 1;
  folder.add("lm_head.weight", {V, D});
  folder.add("model.encoder.embed_tokens.weight", {V, D});
  folder.add("model.decoder.embed_tokens.weight", {V + 1, D});
  const std::string e = error_of([&] { folder.load(); });
  EXPECT_NE(e.find("decoder_vocab_size"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

}  // namespace
}  // namespace tokprob
