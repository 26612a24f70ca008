// tokprob fill-mask: the distribution of the token at every mask of each text.
#include <iostream>

#include "cli_common.hpp"
#include "format/fill_mask_output.hpp"
#include "models/registry.hpp"
#include "tasks/fill_mask.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_fill_mask_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    FillMaskOptions fill;
    std::vector<std::string> targets;
    std::vector<std::string> texts;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand(
      "fill-mask", "Token distribution at every mask token ([MASK]) of each TEXT, from a masked language model");
  add_common_options(*sub, st->common);
  sub->add_option("-k,--top-k", st->fill.top_k, "Tokens to list per mask")->capture_default_str();
  sub->add_option("--targets", st->targets,
                  "Comma-separated words to score at every mask; a word of several tokens is scored by its "
                  "first piece and reported with all its pieces")
      // One value per --targets, so that the texts after it are not taken as more targets.
      ->allow_extra_args(false);
  sub->add_option("text", st->texts, "Text(s) with the tokenizer's mask token; several run as one batch")->required();
  return [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    st->fill.targets = split_commas(st->targets);
    const OutputFormat format = parse_output_format(st->common.format);
    if (st->fill.top_k < 1) usage_error("-k must be at least 1, got " + std::to_string(st->fill.top_k));
    const auto dir = prepare(st->common);
    const Config config = read_model_config(dir);
    auto model = load_masked_lm(dir, config, load_options(st->common));
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, st->common.tokenizer);
    const auto results = fill_mask(*model, tokenizer, st->texts, st->fill);
    write_fill_mask(std::cout, results, format, stdout_style());
    return 0;
  };
}

}  // namespace tokprob::cli
