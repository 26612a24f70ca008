// tokprob seq2seq: what an encoder-decoder model (T5) writes for each text, with every step's
// distribution; with --target, how likely it finds a given output.
#include <iostream>

#include "cli_common.hpp"
#include "file_options.hpp"
#include "format/seq2seq_output.hpp"
#include "io/generation_defaults.hpp"
#include "models/registry.hpp"
#include "server/request_fields.hpp"
#include "server/task_options_json.hpp"
#include "tasks/seq2seq.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_seq2seq_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    Seq2SeqOptions seq2seq;
    std::string target;
    int64_t max_new_tokens = 0, min_new_tokens = 0, num_beams = 0, no_repeat_ngram_size = 0;
    double length_penalty = 0, repetition_penalty = 0;
    std::string early_stopping;
    std::vector<std::string> texts;
    corpus::JobOptions job;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand(
      "seq2seq",
      "Output of an encoder-decoder model (T5, BART, mBART, Marian) for each TEXT, with each step's distribution; "
      "generation follows the model's generation_config.json (greedy or beam search) unless a flag overrides it");
  add_common_options(*sub, st->common);
  add_list_option(*sub, st->seq2seq.top_k, "Tokens to list per step");
  // Unset flags leave the model's own default (generation_config.json, else config.json, else the
  // reference's: greedy, 20 new tokens).
  CLI::Option* max_new = sub->add_option("--max-new-tokens", st->max_new_tokens, "Longest output (default: the model's)");
  CLI::Option* min_new =
      sub->add_option("--min-new-tokens", st->min_new_tokens, "No end token before this many tokens (default: the model's)");
  CLI::Option* beams = sub->add_option("--num-beams", st->num_beams, "Beam search with B beams (1 = greedy; default: the model's)");
  CLI::Option* ngram = sub->add_option("--no-repeat-ngram-size", st->no_repeat_ngram_size,
                                       "Never repeat an n-gram of N tokens (0 = off; default: the model's)");
  CLI::Option* lp = sub->add_option("--length-penalty", st->length_penalty,
                                    "Beam score = sum of logprobs / length^L (default: the model's)");
  CLI::Option* es = sub->add_option("--early-stopping", st->early_stopping,
                                    "Beam search stop rule: false, true or never (default: the model's)");
  CLI::Option* rp = sub->add_option("--repetition-penalty", st->repetition_penalty,
                                    "Penalty on tokens already in the output (1 = off; default: the model's)");
  CLI::Option* target = sub->add_option(
      "--target", st->target, "Score this output text instead of generating (the end token is appended)");
  add_file_options(*sub, st->job, add_texts_option(*sub, st->texts, "Text(s); several run as one batch"));
  const FlagNames flags = {{"top_k", "-k"},
                           {"max_new_tokens", "--max-new-tokens"},
                           {"min_new_tokens", "--min-new-tokens"},
                           {"num_beams", "--num-beams"},
                           {"no_repeat_ngram_size", "--no-repeat-ngram-size"},
                           {"length_penalty", "--length-penalty"},
                           {"early_stopping", "--early-stopping"},
                           {"repetition_penalty", "--repetition-penalty"}};
  return with_flag_names(flags, [=]() -> int {
    if (!sub->parsed()) return -1;
    if (target->count() > 0) st->seq2seq.target = st->target;
    auto& o = st->seq2seq;
    if (max_new->count() > 0) o.max_new_tokens = st->max_new_tokens;
    if (min_new->count() > 0) o.min_new_tokens = st->min_new_tokens;
    if (beams->count() > 0) o.num_beams = st->num_beams;
    if (ngram->count() > 0) o.no_repeat_ngram_size = st->no_repeat_ngram_size;
    if (lp->count() > 0) o.length_penalty = st->length_penalty;
    if (es->count() > 0) o.early_stopping = parse_early_stopping(st->early_stopping);
    if (rp->count() > 0) o.repetition_penalty = st->repetition_penalty;
    const OutputFormat format = parse_output_format(st->common.format);
    validate(st->seq2seq);
    const bool file = reads_input_file(*sub, st->job, st->texts);
    const auto dir = prepare(st->common);
    const Config config = read_model_config(dir);
    // The tokenizer first, as tokprob::load_folder does: its parse's passing heap (megabytes
    // for a 50k vocabulary) then comes before the weights, not on top of them.
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, tokenizer_options(st->common));
    auto model = load_seq2seq_lm(dir, config, load_options(st->common));
    const GenerationDefaults defaults = read_generation_defaults(dir);
    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const Seq2SeqOptions options = seq2seq_options_from_json(fields, file_limits(), st->seq2seq);
        fields.reject_unknown();
        validate(options);
        return lines_of(seq2seq_step_distributions(*model, tokenizer, line_texts(lines), options, defaults), lines.size(),
                        [](const Seq2SeqResult&) { return 1; },
                        [](const Seq2SeqResult& r) {
                          return static_cast<int64_t>(r.input_ids.size() + r.output_ids.size());
                        });
      });
    const auto results = seq2seq_step_distributions(*model, tokenizer, st->texts, st->seq2seq, defaults);
    write_seq2seq(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
