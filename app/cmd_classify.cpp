// tokprob classify: label probabilities of a sequence classifier for each text (or sentence pair).
#include <iostream>

#include "cli_common.hpp"
#include "format/classify_output.hpp"
#include "models/registry.hpp"
#include "tasks/classify.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_classify_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    ClassifyOptions classify;
    std::string pair;
    std::string function = "auto";
    std::vector<std::string> texts;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand("classify", "Label probabilities of a sequence classifier for each TEXT");
  add_common_options(*sub, st->common);
  CLI::Option* pair = sub->add_option("--pair", st->pair, "Second text of a sentence pair (NLI), for every TEXT");
  sub->add_option("--function", st->function,
                  "Scores from logits: auto (sigmoid for multi-label or one-label models, else softmax), softmax, "
                  "sigmoid or none")
      ->capture_default_str();
  add_texts_option(*sub, st->texts, "Text(s); several run as one batch");
  return with_flag_names({{"function", "--function"}}, [st, sub, pair]() -> int {
    if (!sub->parsed()) return -1;
    if (pair->count() > 0) st->classify.pair = st->pair;
    st->classify.function = parse_score_function(st->function);
    const OutputFormat format = parse_output_format(st->common.format);
    const auto dir = prepare(st->common);
    const Config config = read_model_config(dir);
    // The tokenizer first, as tokprob::load_folder does: its parse's passing heap (megabytes
    // for a 50k vocabulary) then comes before the weights, not on top of them.
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, st->common.tokenizer);
    auto model = load_sequence_classifier(dir, config, load_options(st->common));
    const auto results = classify(*model, tokenizer, st->texts, st->classify);
    write_classify(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
