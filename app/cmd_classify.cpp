// tokprob classify: label probabilities of a sequence classifier for each text (or sentence pair).
#include <iostream>

#include "cli_common.hpp"
#include "file_options.hpp"
#include "format/classify_output.hpp"
#include "models/registry.hpp"
#include "server/request_fields.hpp"
#include "server/task_options_json.hpp"
#include "tasks/classify.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_classify_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    ClassifyOptions classify;
    std::string pair;
    std::string function = "auto";
    std::string zero_shot;
    std::vector<std::string> texts;
    corpus::JobOptions job;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand("classify", "Label probabilities of a sequence classifier for each TEXT");
  add_common_options(*sub, st->common);
  CLI::Option* pair = sub->add_option("--pair", st->pair, "Second text of a sentence pair (NLI), for every TEXT");
  sub->add_option("--function", st->function,
                  "Scores from logits: auto (sigmoid for multi-label or one-label models, else softmax), softmax, "
                  "sigmoid or none")
      ->capture_default_str();
  CLI::Option* zero_shot = sub->add_option(
      "--zero-shot", st->zero_shot,
      "Zero-shot classification with an NLI model: comma-separated candidate labels, each tried as the "
      "hypothesis of its own pair with TEXT");
  CLI::Option* hypothesis = sub->add_option("--hypothesis-template", st->classify.hypothesis_template,
                                            "With --zero-shot: the hypothesis, {} standing for the label")
                                ->capture_default_str();
  CLI::Option* multi = sub->add_flag("--multi-label", st->classify.multi_label,
                                     "With --zero-shot: score each label apart (entailment against contradiction) "
                                     "instead of a softmax over the labels");
  hypothesis->needs(zero_shot);
  multi->needs(zero_shot);
  zero_shot->excludes(pair);
  add_file_options(*sub, st->job, add_texts_option(*sub, st->texts, "Text(s); several run as one batch"));
  return with_flag_names({{"function", "--function"},
                          {"candidate_labels", "--zero-shot"},
                          {"hypothesis_template", "--hypothesis-template"}},
                         [st, sub, pair, zero_shot]() -> int {
    if (!sub->parsed()) return -1;
    if (pair->count() > 0) st->classify.pair = st->pair;
    if (zero_shot->count() > 0) {
      st->classify.candidate_labels = parse_candidate_labels(st->zero_shot);
      hypothesis_for(st->classify.hypothesis_template, st->classify.candidate_labels[0]);  // checked before loading
    }
    st->classify.function = parse_score_function(st->function);
    const OutputFormat format = parse_output_format(st->common.format);
    const bool file = reads_input_file(*sub, st->job, st->texts);
    const auto dir = prepare(st->common);
    const Config config = read_model_config(dir);
    // The tokenizer first, as tokprob::load_folder does: its parse's passing heap (megabytes
    // for a 50k vocabulary) then comes before the weights, not on top of them.
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, tokenizer_options(st->common));
    auto model = load_sequence_classifier(dir, config, load_options(st->common));
    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const ClassifyOptions options = classify_options_from_json(fields, st->classify);
        fields.reject_unknown();
        return lines_of(classify(*model, tokenizer, line_texts(lines), options), lines.size(),
                        [](const ClassifyResult&) { return 1; },
                        [](const ClassifyResult& r) {
                          int64_t tokens = static_cast<int64_t>(r.input_ids.size());
                          for (const auto& l : r.labels) tokens += static_cast<int64_t>(l.input_ids.size());
                          return tokens;
                        });
      });
    const auto results = classify(*model, tokenizer, st->texts, st->classify);
    write_classify(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
