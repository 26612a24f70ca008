#include "io/generation_defaults.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tokprob/error.hpp"

namespace tokprob {

namespace {

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(file.string() + ": not valid JSON");
  return j;
}

// Reads the keys of one JSON object, naming the file in every error.
class Keys {
 public:
  Keys(const nlohmann::json& j, std::filesystem::path file) : j_(j), file_(std::move(file)) {}

  const nlohmann::json* get(const char* key) const {
    const auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  std::optional<int64_t> integer(const char* key) const {
    const auto* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) bad(key, "an integer");
    return v->get<int64_t>();
  }
  std::optional<int32_t> id(const char* key) const {
    const auto v = integer(key);
    if (!v) return std::nullopt;
    return static_cast<int32_t>(*v);
  }
  std::optional<double> number(const char* key) const {
    const auto* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) bad(key, "a number");
    return v->get<double>();
  }
  // One id or a list of ids.
  std::optional<std::vector<int32_t>> ids(const char* key) const {
    const auto* v = get(key);
    if (!v) return std::nullopt;
    if (v->is_number_integer()) return std::vector<int32_t>{v->get<int32_t>()};
    if (!v->is_array()) bad(key, "an integer or a list of integers");
    std::vector<int32_t> out;
    for (const auto& e : *v) {
      if (!e.is_number_integer()) bad(key, "an integer or a list of integers");
      out.push_back(e.get<int32_t>());
    }
    return out;
  }
  std::optional<std::vector<std::vector<int32_t>>> words(const char* key) const {
    const auto* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_array()) bad(key, "a list of lists of integers");
    std::vector<std::vector<int32_t>> out;
    for (const auto& w : *v) {
      if (!w.is_array()) bad(key, "a list of lists of integers");
      std::vector<int32_t> word;
      for (const auto& e : w) {
        if (!e.is_number_integer()) bad(key, "a list of lists of integers");
        word.push_back(e.get<int32_t>());
      }
      out.push_back(std::move(word));
    }
    return out;
  }
  std::optional<EarlyStopping> early_stopping() const {
    const auto* v = get("early_stopping");
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>() ? EarlyStopping::enough : EarlyStopping::heuristic;
    if (v->is_string() && v->get<std::string>() == "never") return EarlyStopping::never;
    bad("early_stopping", "true, false or \"never\"");
  }

 private:
  [[noreturn]] void bad(const char* key, const char* what) const {
    fail(file_.string() + ": " + key + " must be " + what + ", got " + j_.at(key).dump());
  }
  const nlohmann::json& j_;
  std::filesystem::path file_;
};

// nullopt: the file or key is absent (or null), so the next file decides.
std::optional<std::vector<int32_t>> eos_in(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  const nlohmann::json j = read_json(file);
  if (!j.is_object()) return std::nullopt;
  return Keys(j, file).ids("eos_token_id");
}

// Settings of the reference's generate() that change a greedy or beam result, with the values that
// leave it unchanged: any other value is recorded as unsupported.
void note_unsupported(const nlohmann::json& j, std::vector<std::string>& out) {
  const auto note = [&](const char* key, bool changes) {
    if (changes) out.push_back(std::string(key) + " " + j.at(key).dump());
  };
  const auto has = [&](const char* key) { return j.contains(key) && !j.at(key).is_null(); };
  const auto number_is = [&](const char* key, double neutral) {
    return j.at(key).is_number() && j.at(key).get<double>() == neutral;
  };
  const auto empty_list = [&](const char* key) { return j.at(key).is_array() && j.at(key).empty(); };
  if (has("do_sample")) note("do_sample", j.at("do_sample") != false);
  if (has("num_beam_groups")) note("num_beam_groups", !number_is("num_beam_groups", 1));
  if (has("diversity_penalty")) note("diversity_penalty", !number_is("diversity_penalty", 0));
  if (has("penalty_alpha")) note("penalty_alpha", !number_is("penalty_alpha", 0));
  if (has("encoder_no_repeat_ngram_size")) note("encoder_no_repeat_ngram_size", !number_is("encoder_no_repeat_ngram_size", 0));
  if (has("encoder_repetition_penalty")) note("encoder_repetition_penalty", !number_is("encoder_repetition_penalty", 1));
  if (has("guidance_scale")) note("guidance_scale", !number_is("guidance_scale", 1));
  if (has("renormalize_logits")) note("renormalize_logits", j.at("renormalize_logits") != false);
  if (has("remove_invalid_values")) note("remove_invalid_values", j.at("remove_invalid_values") != false);
  if (has("token_healing")) note("token_healing", j.at("token_healing") != false);
  for (const char* key : {"constraints", "force_words_ids", "sequence_bias", "suppress_tokens", "begin_suppress_tokens",
                          "forced_decoder_ids"})
    if (has(key)) note(key, !empty_list(key));
  for (const char* key : {"exponential_decay_length_penalty", "stop_strings", "max_time", "watermarking_config",
                          "prompt_lookup_num_tokens", "assistant_early_exit"})
    if (has(key)) note(key, true);
}

}  // namespace

std::vector<int32_t> read_eos_token_ids(const std::filesystem::path& model_dir) {
  if (auto ids = eos_in(model_dir / "generation_config.json")) return *ids;
  if (auto ids = eos_in(model_dir / "config.json")) return *ids;
  return {};
}

GenerationDefaults read_generation_defaults(const std::filesystem::path& model_dir) {
  GenerationDefaults d;
  d.file = model_dir / "generation_config.json";
  d.from_generation_config = std::filesystem::exists(d.file);
  if (!d.from_generation_config) d.file = model_dir / "config.json";
  if (!std::filesystem::exists(d.file)) {
    d.file.clear();
    return d;
  }
  const nlohmann::json j = read_json(d.file);
  if (!j.is_object()) fail(d.file.string() + ": not a JSON object");
  const Keys k(j, d.file);
  d.num_beams = k.integer("num_beams");
  d.max_length = k.integer("max_length");
  d.max_new_tokens = k.integer("max_new_tokens");
  d.min_length = k.integer("min_length");
  d.min_new_tokens = k.integer("min_new_tokens");
  d.no_repeat_ngram_size = k.integer("no_repeat_ngram_size");
  d.length_penalty = k.number("length_penalty");
  d.repetition_penalty = k.number("repetition_penalty");
  d.early_stopping = k.early_stopping();
  d.bad_words_ids = k.words("bad_words_ids");
  d.forced_bos_token_id = k.id("forced_bos_token_id");
  d.forced_eos_token_ids = k.ids("forced_eos_token_id");
  d.decoder_start_token_id = k.id("decoder_start_token_id");
  d.bos_token_id = k.id("bos_token_id");
  d.eos_token_ids = k.ids("eos_token_id");
  note_unsupported(j, d.unsupported);
  return d;
}

}  // namespace tokprob
