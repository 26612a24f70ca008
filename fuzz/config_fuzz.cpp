// config.json: the typed getters on every key, then the model its model_type names built over a
// fixture's weights (gpt2-tiny for a causal LM, bert-tiny-mlm for a masked LM,
// distilbert-tiny-sst2 for a classifier; every size in the config is checked against the tensors)
// and one short forward pass.
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

// A folder holding a link to the fixture's weights, for the config to be written beside.
fs::path model_folder(const char* fixture) {
  const fs::path d = fuzz::fresh_folder(std::string("config-") + fixture);
  const fs::path weights = fuzz::fixtures_dir() / fixture / "model.safetensors";
  if (fs::exists(weights)) fs::create_symlink(fs::absolute(weights), d / "model.safetensors");
  return d;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

TOKPROB_FUZZ_TARGET(config) {
  static const fs::path gpt2 = model_folder("gpt2-tiny");
  static const fs::path bert = model_folder("bert-tiny-mlm");
  static const fs::path distilbert = model_folder("distilbert-tiny-sst2");
  fuzz::write_file(gpt2 / "config.json", fuzz::as_text(data, size));
  const Config config = read_model_config(gpt2);
  std::vector<std::string> keys = {"vocab_size", "n_embd", "n_layer", "n_head", "n_positions", "hidden_size",
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
  (void)config.first_architecture();

  const std::string type = config.model_type();
  if (type == "bert" || type == "distilbert") {
    const bool classifier = type == "distilbert";
    const fs::path& dir = classifier ? distilbert : bert;
    fuzz::write_file(dir / "config.json", fuzz::as_text(data, size));
    const Config c = read_model_config(dir);
    const auto model = classifier ? load_sequence_classifier(dir, c) : load_masked_lm(dir, c);
    const int32_t ids[3] = {0, 1, static_cast<int32_t>(model->info().vocab_size - 1)};
    EncoderSequence seq{ids, {}, {}};
    if (!classifier) seq.mlm_logits_for = {0, 2};
    const auto out = model->forward(std::span<const EncoderSequence>(&seq, 1));
    check(out.mlm_logits.size() == (classifier ? 0 : 2 * static_cast<size_t>(model->info().vocab_size)));
    check(out.class_logits.size() == (classifier ? model->info().labels.size() : 0));
    return;
  }
  const auto model = load_causal_lm(gpt2, config);
  const int32_t ids[3] = {0, 1, static_cast<int32_t>(model->info().vocab_size - 1)};
  auto state = model->new_state();
  DecodeChunk chunk{state.get(), ids, {0, 2}};
  const auto logits = model->forward(std::span<DecodeChunk>(&chunk, 1));
  check(logits.size() == 2 * static_cast<size_t>(model->info().vocab_size));
}
