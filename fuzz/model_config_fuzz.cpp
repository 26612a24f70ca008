// config.json as the models read it: the model its model_type names, built over a fixture's
// weights (gpt2-tiny for a causal LM, bert-tiny-mlm for a masked LM, distilbert-tiny-sst2 for a
// classifier; every size in the config is checked against the tensors), and one short forward pass.
#include "fuzz_target.hpp"
#include "io/config.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

using namespace tokprob;
namespace fs = std::filesystem;

namespace {

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

TOKPROB_FUZZ_TARGET(model_config) {
  static const fs::path gpt2 = model_folder("gpt2-tiny");
  static const fs::path bert = model_folder("bert-tiny-mlm");
  static const fs::path distilbert = model_folder("distilbert-tiny-sst2");
  fuzz::write_file(gpt2 / "config.json", fuzz::as_text(data, size));
  const Config config = read_model_config(gpt2);
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
