// config.json: parsed from memory, then every typed getter on the usual keys and on each key the
// file has (models_fuzz.cpp builds models from such files).
#include "fuzz_target.hpp"
#include "io/config.hpp"
#include "tokprob/error.hpp"

using namespace tokprob;

namespace {

template <typename F>
void getter(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

}  // namespace

TOKPROB_FUZZ_TARGET(config) {
  const Config config = Config::parse(fuzz::as_text(data, size), "config.json");
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
  (void)config.model_type();
}
