// tokprob fill-mask: the distribution of the token at every mask of each text.
#include <algorithm>
#include <iostream>

#include "cli_common.hpp"
#include "file_options.hpp"
#include "format/fill_mask_output.hpp"
#include "format/quoted_text.hpp"
#include "models/registry.hpp"
#include "server/request_fields.hpp"
#include "server/task_options_json.hpp"
#include "tasks/fill_mask.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_fill_mask_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    FillMaskOptions fill;
    std::vector<std::string> targets;
    std::vector<std::string> texts;
    corpus::JobOptions job;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand(
      "fill-mask", "Token distribution at every mask token ([MASK]) of each TEXT, from a masked language model");
  add_common_options(*sub, st->common);
  add_list_option(*sub, st->fill.top_k, "Tokens to list per mask");
  add_repeatable_option(*sub, "--targets", st->targets,
                        "Words to score at every mask: one comma-separated list, or one word per --targets when "
                        "repeated; a word of several tokens is scored by its first piece and reported with all its "
                        "pieces");
  add_file_options(*sub, st->job, add_texts_option(*sub, st->texts, "Text(s) with the tokenizer's mask token; several run as one batch"));
  return with_flag_names({{"top_k", "-k"}, {"targets", "--targets"}}, [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    st->fill.targets = targets_from(st->targets);
    const OutputFormat format = parse_output_format(st->common.format);
    validate(st->fill);
    const bool file = reads_input_file(*sub, st->job, st->texts);
    const auto dir = prepare(st->common);
    const Config config = read_model_config(dir);
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, tokenizer_options(st->common));
    // In "--targets a b TEXT" each --targets takes one value, so `b` arrives as a text without a
    // mask: say so rather than only that the text has no mask.
    if (const auto mask = tokenizer.special_tokens().mask; mask && !st->targets.empty())
      for (const auto& text : st->texts) {
        const auto ids = tokenizer.encode(text, /*add_special_tokens=*/false).ids;
        if (std::find(ids.begin(), ids.end(), *mask) == ids.end())
          usage_error("text " + quoted_excerpt(text) + " has no mask token; if it is a word to score, note that --targets " +
                      "takes one value: repeat --targets for each word, or give them as one comma-separated list");
      }
    auto model = load_masked_lm(dir, config, load_options(st->common));
    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const FillMaskOptions options = fill_mask_options_from_json(fields, file_limits(), st->fill);
        fields.reject_unknown();
        validate(options);
        return lines_of(fill_mask(*model, tokenizer, line_texts(lines), options), lines.size(),
                        [](const FillMaskResult&) { return 1; },
                        [](const FillMaskResult& r) { return static_cast<int64_t>(r.input_ids.size()); });
      });
    const auto results = fill_mask(*model, tokenizer, st->texts, st->fill);
    write_fill_mask(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
