#include "tasks/generate.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "format/quoted_text.hpp"
#include "tasks/option_value.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

// True when `s` ends inside a character: an incomplete UTF-8 sequence or the replacement
// character a byte-fallback decoder emits for a partial one. Streaming waits for the rest.
bool ends_mid_character(const std::string& s) {
  if (s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0) return true;
  for (size_t back = 1; back <= 4 && back <= s.size(); ++back) {
    const auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    size_t need = 1;
    if ((c & 0xE0) == 0xC0) need = 2;
    else if ((c & 0xF0) == 0xE0) need = 3;
    else if ((c & 0xF8) == 0xF0) need = 4;
    return back < need;
  }
  return false;
}

// What the new tokens add to the prompt's text: decoding prompt and continuation together keeps
// the decoder's word-boundary rules (a leading "▁" is a space only after other text).
class ContinuationText {
 public:
  ContinuationText(const Tokenizer& tok, std::span<const int32_t> prompt)
      : tok_(tok), prompt_(prompt.begin(), prompt.end()), prompt_text_(tok.decode(prompt, true)) {}

  std::string of(std::span<const int32_t> new_ids) const {
    std::vector<int32_t> all = prompt_;
    all.insert(all.end(), new_ids.begin(), new_ids.end());
    std::string full = tok_.decode(all, true);
    if (full.compare(0, prompt_text_.size(), prompt_text_) == 0) return full.substr(prompt_text_.size());
    return tok_.decode(new_ids, true);
  }

 private:
  const Tokenizer& tok_;
  std::vector<int32_t> prompt_;
  std::string prompt_text_;
};

// The length of `text` before the first of the stop strings, or all of it when none occurs.
size_t before_stop(const std::string& text, const std::vector<std::string>& stop) {
  size_t cut = text.size();
  for (const auto& s : stop) cut = std::min(cut, text.find(s));
  return cut;
}

// The length of `text` a stream may show while the sequence goes on: before the first stop string,
// and short of an ending that could be the start of one (it may still become a stop string).
size_t streamable(const std::string& text, const std::vector<std::string>& stop) {
  const size_t cut = before_stop(text, stop);
  if (cut < text.size()) return cut;
  size_t held = 0;
  for (const auto& s : stop)
    for (size_t n = std::min(s.size() - 1, text.size()); n > held; --n)
      if (text.compare(text.size() - n, n, s, 0, n) == 0) {
        held = n;
        break;
      }
  return text.size() - held;
}

std::string safe_token(const Tokenizer& tok, int32_t id) {
  return id >= 0 && static_cast<size_t>(id) < tok.vocab_size() ? tok.id_to_token(id) : "<id " + std::to_string(id) + ">";
}
std::string safe_text(const Tokenizer& tok, int32_t id) {
  return id >= 0 && static_cast<size_t>(id) < tok.vocab_size() ? tok.token_text(id) : "";
}

GeneratedToken describe(const Tokenizer& tok, const GeneratedStep& st) {
  GeneratedToken t;
  t.id = st.id;
  t.token = safe_token(tok, st.id);
  t.text = safe_text(tok, st.id);
  t.logprob = st.logprob;
  t.processed_logprob = st.processed_logprob;
  for (const auto& r : st.top) {
    TokenScore s;
    s.id = r.id;
    s.token = safe_token(tok, r.id);
    s.text = safe_text(tok, r.id);
    s.logprob = r.logprob;
    s.prob = std::exp(r.logprob);
    s.logit = r.logit;
    t.top.push_back(std::move(s));
  }
  return t;
}

const char* finish_name(FinishReason f) {
  switch (f) {
    case FinishReason::eos: return "eos";
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
  }
  return "length";
}

}  // namespace

EarlyStopping parse_early_stopping(const std::string& value) {
  if (value == "false") return EarlyStopping::heuristic;
  if (value == "true") return EarlyStopping::enough;
  if (value == "never") return EarlyStopping::never;
  option_error("early_stopping", "must be false, true or never, got '" + value + "'");
}

const char* early_stopping_name(EarlyStopping e) {
  switch (e) {
    case EarlyStopping::heuristic: return "false";
    case EarlyStopping::enough: return "true";
    case EarlyStopping::never: return "never";
  }
  return "?";
}

bool samples(const GenerateOptions& o) {
  if (o.do_sample) return *o.do_sample;
  if (o.temperature == 0.0) return false;
  return o.temperature != 1.0 || o.top_k > 0 || o.top_p < 1.0 || o.min_p > 0.0 || o.seed.has_value();
}

void validate(const GenerateOptions& o) {
  const auto got = [](auto v) { return ", got " + option_value(v); };
  if (o.max_new_tokens < 0) option_error("max_new_tokens", "must be 0 or more" + got(o.max_new_tokens));
  if (!(o.temperature >= 0)) option_error("temperature", "must be 0 (greedy) or more" + got(o.temperature));
  // The sampling settings are checked whatever the mode, so that a typo never passes silently as
  // greedy decoding.
  if (o.top_k < 0) option_error("top_k", "must be 0 (off) or more" + got(o.top_k));
  if (!(o.top_p > 0 && o.top_p <= 1)) option_error("top_p", "must be in (0, 1]" + got(o.top_p));
  if (!(o.min_p >= 0 && o.min_p <= 1)) option_error("min_p", "must be in [0, 1]" + got(o.min_p));
  if (!(o.repetition_penalty > 0)) option_error("repetition_penalty", "must be more than 0" + got(o.repetition_penalty));
  if (o.num_beams < 1) option_error("num_beams", "must be at least 1" + got(o.num_beams));
  if (o.num_return_sequences < 1) option_error("num_return_sequences", "must be at least 1" + got(o.num_return_sequences));
  if (!std::isfinite(o.length_penalty)) option_error("length_penalty", "must be a finite number" + got(o.length_penalty));
  if (o.logprobs < 0) option_error("logprobs", "must be 0 or more" + got(o.logprobs));
  const bool sampling = samples(o);
  if (sampling && o.num_beams > 1)
    option_error("num_beams", "must be 1 when sampling (beam sampling is not supported)" + got(o.num_beams));
  if (!sampling && o.num_beams == 1 && o.num_return_sequences > 1)
    option_error("num_return_sequences",
                 "must be 1 for greedy decoding (more need sampling or beams)" + got(o.num_return_sequences));
  if (o.num_beams > 1 && o.num_return_sequences > o.num_beams)
    option_error("num_return_sequences",
                 "must not exceed the beams (" + option_value(o.num_beams) + ")" + got(o.num_return_sequences));
  if (!o.stop.empty() && o.num_beams > 1) option_error("stop", "works with greedy decoding and sampling, not beams");
  for (const auto& s : o.stop)
    if (s.empty()) option_error("stop", "must not be an empty text");
}

GenerateResult generate_text(const CausalLM& model, const Tokenizer& tokenizer, const std::string& text,
                             const GenerateOptions& o, const GenerateStream& stream) {
  validate(o);
  if (text.empty()) usage_error("empty text: give the text to continue");
  std::vector<int32_t> ids = tokenizer.encode(text, o.add_special_tokens).ids;
  if (ids.empty()) fail("text " + quoted_excerpt(text) + " has no tokens");
  GenerateResult result = generate_ids(model, tokenizer, std::move(ids), o, stream);
  result.text = text;
  return result;
}

GenerateResult generate_ids(const CausalLM& model, const Tokenizer& tokenizer, std::vector<int32_t> input_ids,
                            const GenerateOptions& o, const GenerateStream& stream) {
  validate(o);
  if (input_ids.empty()) usage_error("no token ids: give the prompt to continue");
  for (int32_t id : input_ids)
    if (id < 0 || id >= model.info().vocab_size)
      usage_error("token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                  std::to_string(model.info().vocab_size));
  GenerateResult result;
  result.input_ids = std::move(input_ids);
  const int64_t max_pos = model.info().max_positions;
  if (max_pos > 0 && static_cast<int64_t>(result.input_ids.size()) > max_pos)
    fail("text of " + std::to_string(result.input_ids.size()) + " tokens is longer than the model's " +
         std::to_string(max_pos) + " positions");

  GenerationConfig c;
  c.max_new_tokens = o.max_new_tokens;
  c.do_sample = samples(o);
  c.sampling.temperature = o.temperature == 0.0 ? 1.0 : o.temperature;
  c.sampling.top_k = o.top_k;
  c.sampling.top_p = o.top_p;
  c.sampling.min_p = o.min_p;
  c.sampling.repetition_penalty = o.repetition_penalty;
  if (c.do_sample) {
    c.seed = o.seed ? *o.seed : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    result.seed = c.seed;
  }
  c.num_beams = o.num_beams;
  c.num_return_sequences = o.num_return_sequences;
  c.length_penalty = o.length_penalty;
  c.early_stopping = o.early_stopping;
  c.top_logprobs = o.logprobs;
  if (o.eos_token_ids) c.eos_token_ids = *o.eos_token_ids;
  else if (model.info().eos_token_id) c.eos_token_ids = {*model.info().eos_token_id};
  result.mode = c.num_beams > 1 ? "beam" : c.do_sample ? "sample" : "greedy";

  const ContinuationText continuation(tokenizer, result.input_ids);
  std::vector<std::string> emitted(static_cast<size_t>(std::max<int64_t>(o.num_return_sequences, 1)));
  TokenObserver observer;
  const int64_t prompt_length = static_cast<int64_t>(result.input_ids.size());
  if (stream || !o.stop.empty()) {
    observer = [&](size_t index, const GeneratedSequence& seq) {
      const std::string now = continuation.of(seq.new_ids);
      const bool stopped = before_stop(now, o.stop) < now.size();
      if (stream) {
        // The last token of a sequence shows what was held back; no stream shows a stop string.
        const auto length = static_cast<int64_t>(seq.new_ids.size());
        const bool last = stopped || length >= o.max_new_tokens || (max_pos > 0 && prompt_length + length - 1 >= max_pos);
        const std::string shown = now.substr(0, last ? before_stop(now, o.stop) : streamable(now, o.stop));
        std::string delta;
        if (!ends_mid_character(shown) && shown.compare(0, emitted[index].size(), emitted[index]) == 0) {
          delta = shown.substr(emitted[index].size());
          emitted[index] = shown;
        }
        stream(index, describe(tokenizer, seq.steps.back()), delta);
      }
      return stopped;
    };
  }
  const auto seqs = generate_sequences(model, result.input_ids, c, observer);
  for (const auto& s : seqs) {
    GeneratedText g;
    g.new_ids = s.new_ids;
    g.ids = result.input_ids;
    g.ids.insert(g.ids.end(), s.new_ids.begin(), s.new_ids.end());
    g.text = continuation.of(s.new_ids);
    g.text.resize(before_stop(g.text, o.stop));
    g.score = s.score;
    g.finish_reason = finish_name(s.finish);
    for (const auto& st : s.steps) g.steps.push_back(describe(tokenizer, st));
    result.sequences.push_back(std::move(g));
  }
  return result;
}

}  // namespace tokprob
