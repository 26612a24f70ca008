#include "server/task_options_json.hpp"

#include <algorithm>

#include "tokprob/error.hpp"

namespace tokprob {

std::vector<std::string> texts_from_json(RequestFields& fields, const ServerLimits& limits) {
  auto texts = fields.strings("text");
  if (static_cast<int64_t>(texts.size()) > limits.max_texts)
    usage_error("field 'text' has " + std::to_string(texts.size()) + " texts, more than the server's limit of " +
                std::to_string(limits.max_texts));
  return texts;
}

namespace {

// Absent (or null): `fallback`.
std::vector<std::string> targets_from_json(RequestFields& fields, std::vector<std::string> fallback) {
  if (!fields.has("targets")) {
    fields.ignore("targets");
    return fallback;
  }
  auto targets = fields.optional_strings("targets");
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].empty()) usage_error("field 'targets[" + std::to_string(i) + "]' is empty");
  return targets;
}

}  // namespace

namespace {

// true / false as JSON booleans, or the string "never", as transformers accepts them; absent: unset.
std::optional<EarlyStopping> early_stopping_from_json(RequestFields& fields) {
  const auto v = fields.value("early_stopping");
  if (!v || v->is_null()) return std::nullopt;
  if (*v == true) return EarlyStopping::enough;
  if (*v == false) return EarlyStopping::heuristic;
  if (*v == "never") return EarlyStopping::never;
  usage_error("field 'early_stopping' must be true, false or \"never\"");
}

}  // namespace

NextOptions next_options_from_json(RequestFields& fields, const ServerLimits& limits, NextOptions base) {
  NextOptions o = std::move(base);
  o.top_k = fields.integer("top_k", o.top_k, 1, limits.max_top_k);
  o.position = fields.integer("position", o.position);
  o.all_positions = fields.boolean("all_positions", o.all_positions);
  o.targets = targets_from_json(fields, std::move(o.targets));
  return o;
}

FillMaskOptions fill_mask_options_from_json(RequestFields& fields, const ServerLimits& limits,
                                            FillMaskOptions base) {
  FillMaskOptions o = std::move(base);
  o.top_k = fields.integer("top_k", o.top_k, 1, limits.max_top_k);
  o.targets = targets_from_json(fields, std::move(o.targets));
  return o;
}

namespace {

// candidate_labels: a list of labels, or one comma-separated string as the pipeline also takes.
void zero_shot_options_from_json(RequestFields& fields, ClassifyOptions& o) {
  if (const auto value = fields.value("candidate_labels"); value && !value->is_null()) {
    const nlohmann::json& v = *value;
    try {
      if (v.is_string()) {
        o.candidate_labels = parse_candidate_labels(v.get<std::string>());
      } else if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](auto& x) { return x.is_string(); })) {
        o.candidate_labels = v.get<std::vector<std::string>>();
      } else {
        usage_error("field 'candidate_labels' must be a non-empty list of strings or a comma-separated string");
      }
    } catch (const OptionError& e) {
      usage_error("field '" + e.field() + "' " + e.requirement());
    }
  }
  if (auto t = fields.optional_string("hypothesis_template")) o.hypothesis_template = std::move(*t);
  o.multi_label = fields.boolean("multi_label", o.multi_label);
}

}  // namespace

ClassifyOptions classify_options_from_json(RequestFields& fields, ClassifyOptions base) {
  ClassifyOptions o = std::move(base);
  if (auto f = fields.optional_string("function")) {
    // The task's own message names the command-line flag.
    try {
      o.function = parse_score_function(*f);
    } catch (const Error&) {
      usage_error("field 'function' must be auto, softmax, sigmoid or none, got '" + *f + "'");
    }
  }
  if (auto pair = fields.optional_string("pair")) o.pair = std::move(pair);
  zero_shot_options_from_json(fields, o);
  return o;
}

}  // namespace tokprob

namespace tokprob {

GenerateOptions generate_options_from_json(RequestFields& fields, const ServerLimits& limits,
                                           const std::vector<int32_t>& default_eos, GenerateOptions base) {
  GenerateOptions o = std::move(base);
  o.max_new_tokens = fields.integer("max_new_tokens", o.max_new_tokens, 1, limits.max_tokens);
  if (fields.has("do_sample")) o.do_sample = fields.boolean("do_sample", false);
  fields.ignore("do_sample");
  o.temperature = fields.number("temperature", o.temperature, 0.0, 100.0);
  o.top_k = fields.integer("top_k", o.top_k, 0, std::numeric_limits<int32_t>::max());
  o.top_p = fields.number("top_p", o.top_p, 0.0, 1.0);
  o.min_p = fields.number("min_p", o.min_p, 0.0, 1.0);
  o.repetition_penalty = fields.number("repetition_penalty", o.repetition_penalty, 1e-6, 1e6);
  if (auto seed = fields.optional_integer("seed", 0)) o.seed = static_cast<uint64_t>(*seed);
  o.num_beams = fields.integer("num_beams", o.num_beams, 1, limits.max_choices);
  o.num_return_sequences = fields.integer("num_return_sequences", o.num_return_sequences, 1, limits.max_choices);
  o.length_penalty = fields.number("length_penalty", o.length_penalty, -100.0, 100.0);
  if (const auto es = early_stopping_from_json(fields)) o.early_stopping = *es;
  o.logprobs = fields.integer("logprobs", o.logprobs, 0, limits.max_top_k);
  if (fields.has("stop")) o.stop = fields.optional_strings("stop");
  fields.ignore("stop");
  for (size_t i = 0; i < o.stop.size(); ++i)
    if (o.stop[i].empty()) usage_error("field 'stop[" + std::to_string(i) + "]' is empty");
  if (fields.has("eos_token_ids")) {
    std::vector<int32_t> ids;
    const auto list = fields.optional_integers("eos_token_ids", 0, std::numeric_limits<int32_t>::max());
    for (int64_t id : list) ids.push_back(static_cast<int32_t>(id));
    o.eos_token_ids = ids;
  } else if (!default_eos.empty()) {
    o.eos_token_ids = default_eos;
  }
  fields.ignore("eos_token_ids");
  return o;
}

namespace {

// [[begin, end], ...] for one text, or a list of those, one per text.
std::vector<std::vector<std::pair<size_t, size_t>>> word_spans_from_json(const nlohmann::json& v) {
  const auto bad = [] {
    usage_error("field 'word_spans' must be [[begin, end], ...] code point ranges (one text) or a list of those, "
                "one per text");
  };
  const auto span_list = [&](const nlohmann::json& list) {
    std::vector<std::pair<size_t, size_t>> out;
    if (!list.is_array()) bad();
    for (const auto& p : list) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number_unsigned() || !p[1].is_number_unsigned()) bad();
      out.emplace_back(p[0].get<size_t>(), p[1].get<size_t>());
    }
    return out;
  };
  if (!v.is_array()) bad();
  const bool per_text = !v.empty() && v[0].is_array() && !v[0].empty() && v[0][0].is_array();
  if (!per_text) return {span_list(v)};
  std::vector<std::vector<std::pair<size_t, size_t>>> out;
  for (const auto& list : v) out.push_back(span_list(list));
  return out;
}

}  // namespace

ScoreOptions score_options_from_json(RequestFields& fields, const ServerLimits& limits, ScoreOptions base) {
  ScoreOptions o = std::move(base);
  o.max_positions_run = limits.max_score_positions;
  o.window = fields.integer("window", o.window, 0, std::numeric_limits<int32_t>::max());
  o.stride = fields.integer("stride", o.stride, 0, std::numeric_limits<int32_t>::max());
  o.top_k = fields.integer("top_k", o.top_k, 0, limits.max_top_k);
  o.score_first_token = fields.boolean("score_first_token", o.score_first_token);
  o.token_stats = fields.boolean("token_stats", o.token_stats);
  o.words = fields.boolean("words", o.words);
  if (auto split = fields.optional_string("word_split")) {
    o.word_split = parse_word_split(*split);
    o.words = true;
  }
  if (auto spans = fields.value("word_spans")) {
    o.word_spans = word_spans_from_json(*spans);
    o.words = true;
  }
  return o;
}

Seq2SeqOptions seq2seq_options_from_json(RequestFields& fields, const ServerLimits& limits,
                                          Seq2SeqOptions base) {
  Seq2SeqOptions o = std::move(base);
  o.top_k = fields.integer("top_k", o.top_k, 1, limits.max_top_k);
  // Absent fields keep the model's generation defaults.
  if (auto v = fields.optional_integer("max_new_tokens", 1, limits.max_tokens)) o.max_new_tokens = v;
  if (auto v = fields.optional_integer("min_new_tokens", 0, limits.max_tokens)) o.min_new_tokens = v;
  if (auto v = fields.optional_integer("num_beams", 1, limits.max_choices)) o.num_beams = v;
  if (auto v = fields.optional_integer("no_repeat_ngram_size", 0)) o.no_repeat_ngram_size = v;
  if (fields.has("length_penalty")) o.length_penalty = fields.number("length_penalty", 1.0, -1e9, 1e9);
  if (fields.has("repetition_penalty")) o.repetition_penalty = fields.number("repetition_penalty", 1.0, 1e-9, 1e9);
  if (const auto es = early_stopping_from_json(fields)) o.early_stopping = es;
  if (auto target = fields.optional_string("target")) o.target = std::move(target);
  return o;
}

}  // namespace tokprob
