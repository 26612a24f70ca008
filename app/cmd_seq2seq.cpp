// tokprob seq2seq: what an encoder-decoder model (T5) writes for each text, with every step's
// distribution; with --target, how likely it finds a given output.
#include <iostream>

#include "cli_common.hpp"
#include "file_options.hpp"
#include "format/seq2seq_output.hpp"
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
    std::vector<std::string> texts;
    corpus::JobOptions job;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand(
      "seq2seq", "Greedy output of an encoder-decoder model (T5) for each TEXT, with each step's distribution");
  add_common_options(*sub, st->common);
  add_list_option(*sub, st->seq2seq.top_k, "Tokens to list per step");
  sub->add_option("--max-new-tokens", st->seq2seq.max_new_tokens, "Longest output (greedy decoding)")
      ->capture_default_str();
  CLI::Option* target = sub->add_option(
      "--target", st->target, "Score this output text instead of generating (the end token is appended)");
  add_file_options(*sub, st->job, add_texts_option(*sub, st->texts, "Text(s); several run as one batch"));
  return with_flag_names({{"top_k", "-k"}, {"max_new_tokens", "--max-new-tokens"}}, [st, sub, target]() -> int {
    if (!sub->parsed()) return -1;
    if (target->count() > 0) st->seq2seq.target = st->target;
    const OutputFormat format = parse_output_format(st->common.format);
    validate(st->seq2seq);
    const bool file = reads_input_file(*sub, st->job, st->texts);
    const auto dir = prepare(st->common);
    const Config config = read_model_config(dir);
    // The tokenizer first, as tokprob::load_folder does: its parse's passing heap (megabytes
    // for a 50k vocabulary) then comes before the weights, not on top of them.
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, tokenizer_options(st->common));
    auto model = load_seq2seq_lm(dir, config, load_options(st->common));
    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const Seq2SeqOptions options = seq2seq_options_from_json(fields, file_limits(), st->seq2seq);
        fields.reject_unknown();
        validate(options);
        return lines_of(seq2seq_step_distributions(*model, tokenizer, line_texts(lines), options), lines.size(),
                        [](const Seq2SeqResult&) { return 1; },
                        [](const Seq2SeqResult& r) {
                          return static_cast<int64_t>(r.input_ids.size() + r.output_ids.size());
                        });
      });
    const auto results = seq2seq_step_distributions(*model, tokenizer, st->texts, st->seq2seq);
    write_seq2seq(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
