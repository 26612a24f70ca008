// config.json: the typed getters on every key, then a GPT-2 model built from it over the
// gpt2-tiny fixture's weights (every size in the config is checked against the tensors) and one
// short forward pass.
#include "fuzz_target.hpp"
#include "io/config.hpp"
#include "models/registry.hpp"

using namespace tokprob;
namespace fs = std::filesystem;

namespace {

template <typename F>
void getter(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

const fs::path& model_folder() {
  static const fs::path dir = [] {
    const fs::path d = fuzz::fresh_folder("config");
    const fs::path weights = fuzz::fixtures_dir() / "gpt2-tiny" / "model.safetensors";
    if (fs::exists(weights)) fs::create_symlink(fs::absolute(weights), d / "model.safetensors");
    return d;
  }();
  return dir;
}

}  // namespace

TOKPROB_FUZZ_TARGET(config) {
  const fs::path& dir = model_folder();
  fuzz::write_file(dir / "config.json", fuzz::as_text(data, size));
  const Config config = read_model_config(dir);
  std::vector<std::string> keys = {"vocab_size", "n_embd", "n_layer", "n_head", "n_positions", "n_inner",
                                   "layer_norm_epsilon", "activation_function", "tie_word_embeddings", "model_type"};
  for (const auto& [k, v] : config.json().items())
    if (keys.size() < 64) keys.push_back(k);
  for (const auto& k : keys) {
    getter([&] { (void)config.has(k); });
    getter([&] { (void)config.get_int(k); });
    getter([&] { (void)config.get_int(k, 7); });
    getter([&] { (void)config.get_size(k); });
    getter([&] { (void)config.get_size(k, 7); });
    getter([&] { (void)config.get_float(k); });
    getter([&] { (void)config.get_float(k, 0.5); });
    getter([&] { (void)config.get_bool(k, true); });
    getter([&] { (void)config.get_string(k); });
    getter([&] { (void)config.get_string(k, "x"); });
  }
  (void)config.first_present({"n_embd", "hidden_size", "d_model"});
  (void)config.model_type();
  (void)config.first_architecture();

  const auto model = load_causal_lm(dir, config);
  const int32_t ids[3] = {0, 1, static_cast<int32_t>(model->info().vocab_size - 1)};
  auto state = model->new_state();
  DecodeChunk chunk{state.get(), ids, {0, 2}};
  const auto logits = model->forward(std::span<DecodeChunk>(&chunk, 1));
  if (logits.size() != 2 * static_cast<size_t>(model->info().vocab_size)) __builtin_trap();
}
