#include "model_writer.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/half_float.hpp"
#include "tokprob/error.hpp"

namespace tokprob::bench {

namespace fs = std::filesystem;

namespace {

enum class Init { random, ones, zeros };

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  Init init;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// The tensors GPT2LMHeadModel.save_pretrained writes for distilgpt2 (the tied lm_head is not
// stored; the attention-mask buffers of old checkpoints are left out, the engine never reads them).
std::vector<TensorSpec> distilgpt2_tensors(const Gpt2Shape& s) {
  const int64_t C = s.n_embd, F = s.n_inner();
  std::vector<TensorSpec> t = {
      {"transformer.wte.weight", {s.vocab, C}, Init::random},
      {"transformer.wpe.weight", {s.n_positions, C}, Init::random},
  };
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    t.push_back({p + "ln_1.weight", {C}, Init::ones});
    t.push_back({p + "ln_1.bias", {C}, Init::zeros});
    t.push_back({p + "attn.c_attn.weight", {C, 3 * C}, Init::random});
    t.push_back({p + "attn.c_attn.bias", {3 * C}, Init::random});
    t.push_back({p + "attn.c_proj.weight", {C, C}, Init::random});
    t.push_back({p + "attn.c_proj.bias", {C}, Init::random});
    t.push_back({p + "ln_2.weight", {C}, Init::ones});
    t.push_back({p + "ln_2.bias", {C}, Init::zeros});
    t.push_back({p + "mlp.c_fc.weight", {C, F}, Init::random});
    t.push_back({p + "mlp.c_fc.bias", {F}, Init::random});
    t.push_back({p + "mlp.c_proj.weight", {F, C}, Init::random});
    t.push_back({p + "mlp.c_proj.bias", {C}, Init::random});
  }
  t.push_back({"transformer.ln_f.weight", {C}, Init::ones});
  t.push_back({"transformer.ln_f.bias", {C}, Init::zeros});
  return t;
}

std::string config_text(const Gpt2Shape& s, bool bf16) {
  nlohmann::ordered_json c;
  c["activation_function"] = "gelu_new";
  c["architectures"] = {"GPT2LMHeadModel"};
  c["bos_token_id"] = 50256;
  c["eos_token_id"] = 50256;
  c["initializer_range"] = 0.02;
  c["layer_norm_epsilon"] = 1e-05;
  c["model_type"] = "gpt2";
  c["n_ctx"] = s.n_positions;
  c["n_embd"] = s.n_embd;
  c["n_head"] = s.n_head;
  c["n_inner"] = nullptr;
  c["n_layer"] = s.n_layer;
  c["n_positions"] = s.n_positions;
  c["scale_attn_weights"] = true;
  c["torch_dtype"] = bf16 ? "bfloat16" : "float32";
  c["vocab_size"] = s.vocab;
  c["_comment"] = "distilgpt2 shapes with random weights, written by tokprob_bench";
  return c.dump(2) + "\n";
}

// xorshift64*: fast, and the same sequence on every platform (std distributions are not).
struct Rng {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  float uniform_pm1() {  // in [-1, 1)
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const uint64_t r = state * 0x2545F4914F6CDD1Dull;
    return static_cast<float>(r >> 40) * (2.0f / 16777216.0f) - 1.0f;
  }
};

// Header JSON padded with spaces to a multiple of 8 so the data that follows is aligned.
std::string safetensors_header(const std::vector<TensorSpec>& tensors, bool bf16, uint64_t& data_bytes) {
  nlohmann::ordered_json h;
  h["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const uint64_t n = static_cast<uint64_t>(t.numel()) * (bf16 ? 2 : sizeof(float));
    h[t.name] = {{"dtype", bf16 ? "BF16" : "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  data_bytes = offset;
  std::string text = h.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void write_safetensors(const fs::path& file, const std::vector<TensorSpec>& tensors, bool bf16) {
  uint64_t data_bytes = 0;
  const std::string header = safetensors_header(tensors, bf16, data_bytes);
  std::ofstream out(file, std::ios::binary);
  if (!out) fail("cannot write " + file.string());
  const uint64_t n = header.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));  // little-endian
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));

  // Uniform in [-a, a] has standard deviation a/sqrt(3): a = 0.02*sqrt(3) gives GPT-2's init scale.
  const float a = 0.02f * std::sqrt(3.0f);
  Rng rng;
  std::vector<float> buf(1 << 20);
  std::vector<uint16_t> halves(bf16 ? buf.size() : 0);
  for (const auto& t : tensors) {
    for (int64_t left = t.numel(); left > 0;) {
      const int64_t m = std::min<int64_t>(left, static_cast<int64_t>(buf.size()));
      for (int64_t i = 0; i < m; ++i)
        buf[i] = t.init == Init::random ? a * rng.uniform_pm1() : (t.init == Init::ones ? 1.0f : 0.0f);
      // x86-64 is little-endian, as safetensors requires.
      if (bf16) {
        for (int64_t i = 0; i < m; ++i) halves[i] = f32_to_bf16(buf[i]);
        out.write(reinterpret_cast<const char*>(halves.data()), static_cast<std::streamsize>(m * 2));
      } else {
        out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(m * sizeof(float)));
      }
      left -= m;
    }
  }
  if (!out.flush()) fail("cannot write " + file.string() + " (disk full?)");
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* const kTokenizerFiles[] = {"tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json",
                                       "special_tokens_map.json"};

bool folder_matches(const fs::path& dir, const std::string& config, uint64_t file_bytes) {
  std::error_code ec;
  if (!fs::exists(dir / "config.json") || read_text(dir / "config.json") != config) return false;
  if (fs::file_size(dir / "model.safetensors", ec) != file_bytes || ec) return false;
  for (const char* f : kTokenizerFiles)
    if (!fs::exists(dir / f)) return false;
  return true;
}

}  // namespace

BenchModel prepare_distilgpt2_folder(const fs::path& dir, const fs::path& tokenizer_dir, bool bf16) {
  BenchModel m;
  m.dir = dir;
  const auto tensors = distilgpt2_tensors(m.shape);
  uint64_t data_bytes = 0;
  const uint64_t header_bytes = safetensors_header(tensors, bf16, data_bytes).size();
  m.weight_bytes = data_bytes;
  m.file_bytes = 8 + header_bytes + data_bytes;
  m.bytes_per_token =
      data_bytes - static_cast<uint64_t>(m.shape.n_positions * m.shape.n_embd) * (bf16 ? 2 : sizeof(float));
  const std::string config = config_text(m.shape, bf16);
  auto tokenizer_bytes = [&] {
    for (const char* f : kTokenizerFiles) m.tokenizer_bytes += fs::file_size(dir / f);
  };

  if (folder_matches(dir, config, m.file_bytes)) {
    m.reused = true;
    tokenizer_bytes();
    return m;
  }
  for (const char* f : kTokenizerFiles)
    if (!fs::exists(tokenizer_dir / f))
      fail("tokenizer file " + (tokenizer_dir / f).string() + " not found (set TOKPROB_FIXTURES or --fixtures)");

  // Written aside and renamed, so an interrupted run never leaves a folder that looks reusable.
  fs::path partial = dir;
  partial += ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  {
    std::ofstream out(partial / "config.json");
    out << config;
    if (!out.flush()) fail("cannot write " + (partial / "config.json").string());
  }
  write_safetensors(partial / "model.safetensors", tensors, bf16);
  for (const char* f : kTokenizerFiles) {
    fs::copy_file(tokenizer_dir / f, partial / f, fs::copy_options::overwrite_existing);
    // The fixtures are read-only; the copies must not be, or a later rewrite could not replace them.
    fs::permissions(partial / f, fs::perms::owner_write, fs::perm_options::add);
  }
  fs::remove_all(dir);
  fs::rename(partial, dir);
  tokenizer_bytes();
  return m;
}

}  // namespace tokprob::bench
