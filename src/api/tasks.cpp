// The public task functions: each checks the model's kind and calls the engine's task.
#include "api/model_impl.hpp"
#include "tasks/chat_reply.hpp"
#include "tasks/classify.hpp"
#include "tasks/compare.hpp"
#include "tasks/fill_mask.hpp"
#include "tasks/generate.hpp"
#include "tasks/next.hpp"
#include "tasks/score.hpp"
#include "tasks/seq2seq.hpp"
#include "tokprob/error.hpp"
#include "tokprob/logits.hpp"

namespace tokprob {

std::vector<NextResult> next(const Model& model, std::span<const std::string> texts, const NextOptions& options) {
  const auto& m = model.impl();
  return next_token_distribution(m.causal_lm(Task::next), m.tokenizer(), texts, options);
}

std::vector<ScoreResult> score(const Model& model, std::span<const std::string> texts, const ScoreOptions& options) {
  const auto& m = model.impl();
  return score_texts(m.causal_lm(Task::score), m.tokenizer(), texts, options,
                     options.words ? &m.word_boundaries() : nullptr);
}

std::vector<CompareResult> compare(const Model& observer, const Model& performer, std::span<const std::string> texts,
                                   const CompareOptions& options) {
  const auto& a = observer.impl();
  const auto& b = performer.impl();
  return compare_texts(a.causal_lm(Task::score), a.tokenizer(), b.causal_lm(Task::score), b.tokenizer(), texts, options);
}

ScoreResult score_reply(const Model& model, const ChatTemplate& chat_template, std::string_view messages_json,
                        const std::string& reply, const ScoreOptions& options, std::string_view variables_json) {
  const auto& m = model.impl();
  return score_chat_reply(m.causal_lm(Task::score), m.tokenizer(), chat_template, messages_json, reply, options,
                          variables_json);
}

GenerateResult generate(const Model& model, const std::string& text, const GenerateOptions& options,
                        const GenerateStream& stream) {
  const auto& m = model.impl();
  const CausalLM& lm = m.causal_lm(Task::generate);
  if (options.eos_token_ids || m.eos_token_ids.empty()) return generate_text(lm, m.tokenizer(), text, options, stream);
  GenerateOptions with_eos = options;
  with_eos.eos_token_ids = m.eos_token_ids;
  return generate_text(lm, m.tokenizer(), text, with_eos, stream);
}

std::vector<FillMaskResult> fill_mask(const Model& model, std::span<const std::string> texts,
                                      const FillMaskOptions& options) {
  const auto& m = model.impl();
  return fill_mask(m.encoder_model(Task::fill_mask), m.tokenizer(), texts, options);
}

std::vector<ClassifyResult> classify(const Model& model, std::span<const std::string> texts,
                                     const ClassifyOptions& options) {
  const auto& m = model.impl();
  return classify(m.encoder_model(Task::classify), m.tokenizer(), texts, options);
}

std::vector<Seq2SeqResult> seq2seq(const Model& model, std::span<const std::string> texts,
                                   const Seq2SeqOptions& options) {
  const auto& m = model.impl();
  return seq2seq_step_distributions(m.seq2seq_lm(Task::seq2seq), m.tokenizer(), texts, options, m.generation);
}

Logits logits(const Model& model, std::span<const int32_t> ids, std::span<const int32_t> decoder_ids) {
  const auto& m = model.impl();
  if (ids.empty()) usage_error("no token ids: give at least one");
  const auto n = static_cast<int64_t>(ids.size());
  if (m.max_positions > 0 && n > m.max_positions)
    fail("text of " + std::to_string(n) + " tokens is longer than the model's " + std::to_string(m.max_positions) +
         " positions");
  Logits out;
  out.ids.assign(ids.begin(), ids.end());
  std::vector<int64_t> every_row(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) every_row[static_cast<size_t>(i)] = i;
  switch (m.kind) {
    case ModelKind::causal_lm: {
      auto state = m.causal->new_state();
      DecodeChunk chunk{state.get(), ids, every_row};
      out.values = m.causal->forward(std::span<DecodeChunk>(&chunk, 1));
      out.rows = n;
      out.cols = m.causal->info().vocab_size;
      break;
    }
    case ModelKind::masked_lm:
    case ModelKind::sequence_classifier: {
      EncoderSequence seq{ids, {}, m.kind == ModelKind::masked_lm ? every_row : std::vector<int64_t>{}};
      EncoderOutput o = m.encoder->forward(std::span<const EncoderSequence>(&seq, 1));
      out.rows = m.kind == ModelKind::masked_lm ? n : 1;
      out.values = std::move(m.kind == ModelKind::masked_lm ? o.mlm_logits : o.class_logits);
      out.cols = static_cast<int64_t>(out.values.size()) / out.rows;
      break;
    }
    case ModelKind::seq2seq_lm: {
      const std::vector<std::vector<int32_t>> sources = {out.ids};
      auto states = m.seq2seq->encode(sources);
      const std::vector<int32_t> start = {m.seq2seq->info().decoder_start_token_id};
      const std::span<const int32_t> dec = decoder_ids.empty() ? std::span<const int32_t>(start) : decoder_ids;
      std::vector<int64_t> rows(dec.size());
      for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
      DecodeChunk chunk{states[0].get(), dec, rows};
      out.values = m.seq2seq->decode(std::span<DecodeChunk>(&chunk, 1));
      out.rows = static_cast<int64_t>(dec.size());
      out.cols = m.seq2seq->info().vocab_size;
      break;
    }
  }
  return out;
}

Logits logits(const Model& model, const std::string& text, bool add_special_tokens) {
  if (text.empty()) usage_error("empty text: give the text whose logits to compute");
  const std::vector<int32_t> ids = model.tokenizer().encode(text, add_special_tokens).ids;
  if (ids.empty()) fail("text has no tokens");
  return logits(model, ids);
}

}  // namespace tokprob
