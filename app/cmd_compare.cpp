// tokprob compare: two models with one tokenizer on the same text: each token's logprob under
// both, their cross-entropy and the Binoculars score.
#include <iostream>

#include "cli_common.hpp"
#include "format/compare_output.hpp"
#include "tokprob/compare.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_compare_command(CLI::App& app) {
  struct State {
    std::vector<std::string> models;
    CommonOptions common;
    CompareOptions compare;
    std::vector<std::string> texts;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand(
      "compare",
      "Two causal LMs with one tokenizer on each TEXT: every token's logprob under both, the cross-entropy of the "
      "observer's distributions against the performer's, and the Binoculars score (Hans et al. 2024)");
  sub->add_option("-m,--model", st->models,
                  "Give it twice: -m OBSERVER -m PERFORMER (model folders or Hugging Face model ids); Binoculars is "
                  "the observer's log-perplexity over the observer-performer cross-perplexity")
      ->required();
  sub->add_option("--format", st->common.format, "Output: table, json (one object per line) or csv")->capture_default_str();
  sub->add_option("--threads", st->common.threads, "Threads (0 = all cores)")->capture_default_str();
  add_dtype_option(*sub, st->common.dtype);
  add_tokenizer_options(*sub, st->common.tokenizer);
  sub->add_flag("--score-first-token", st->compare.score_first_token,
                "Score the first token too, conditioned on the tokenizer's BOS token (else EOS), as score does");
  add_texts_option(*sub, st->texts, "Text(s) to compare the models on");
  return [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    const OutputFormat format = parse_output_format(st->common.format);
    if (st->models.size() != 2)
      usage_error("compare takes two models, -m OBSERVER -m PERFORMER; got " + std::to_string(st->models.size()));
    std::vector<Model> models;
    for (const auto& name : st->models) {
      CommonOptions one = st->common;
      one.model = name;
      models.push_back(load_folder(prepare(one), load_options(one)));
    }
    write_compare(std::cout, compare(models[0], models[1], st->texts, st->compare), format);
    return 0;
  };
}

}  // namespace tokprob::cli
