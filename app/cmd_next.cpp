// tokprob next: the next-token distribution after each text.
#include <iostream>

#include "chat_options.hpp"
#include "cli_common.hpp"
#include "file_options.hpp"
#include "format/next_output.hpp"
#include "models/registry.hpp"
#include "server/request_fields.hpp"
#include "server/task_options_json.hpp"
#include "tasks/next.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_next_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    NextOptions next;
    std::string position = "-1";
    std::vector<std::string> targets;
    std::vector<std::string> texts;
    corpus::JobOptions job;
    ChatOptions chat;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand("next", "Next-token distribution of a causal language model after each TEXT");
  add_common_options(*sub, st->common);
  add_list_option(*sub, st->next.top_k, "Tokens to list");
  sub->add_option("--position", st->position,
                  "Index of the token whose next token is predicted (negative counts from the end), or 'all'")
      ->capture_default_str();
  add_repeatable_option(*sub, "--targets", st->targets,
                        "Continuations to score, taken literally (\" go\" for a word after a space): one "
                        "comma-separated list, or one continuation per --targets when repeated (commas kept)");
  CLI::Option* texts = add_texts_option(*sub, st->texts, "Text(s); several run as one batch");
  add_file_options(*sub, st->job, texts);
  add_chat_options(*sub, st->chat, texts);
  return with_flag_names({{"top_k", "-k"}, {"position", "--position"}, {"targets", "--targets"}}, [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    if (st->position == "all") {
      st->next.all_positions = true;
    } else {
      try {
        size_t used = 0;
        st->next.position = std::stoll(st->position, &used);
        if (used != st->position.size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        usage_error("--position must be an integer or 'all', got '" + st->position + "'");
      }
    }
    st->next.targets = targets_from(st->targets);
    const OutputFormat format = parse_output_format(st->common.format);
    validate(st->next);
    const bool chat = chat_requested(*sub, st->chat);
    if (chat) check_chat_usage(*sub, st->chat, st->texts);
    const bool file = !chat && reads_input_file(*sub, st->job, st->texts);
    const auto dir = prepare(st->common);
    if (chat) {
      st->texts = chat_prompts(st->chat, dir, st->texts, /*add_generation_prompt=*/true);
      st->next.add_special_tokens = false;
    }
    const Config config = read_model_config(dir);
    // The tokenizer first, as tokprob::load_folder does: its parse's passing heap (megabytes
    // for a 50k vocabulary) then comes before the weights, not on top of them.
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, tokenizer_options(st->common));
    auto model = load_causal_lm(dir, config, load_options(st->common));
    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const NextOptions options = next_options_from_json(fields, file_limits(), st->next);
        fields.reject_unknown();
        validate(options);
        return lines_of(next_token_distribution(*model, tokenizer, line_texts(lines), options), lines.size(),
                        [&](const NextResult& r) { return options.all_positions ? r.input_ids.size() : 1; },
                        [](const NextResult& r) { return static_cast<int64_t>(r.input_ids.size()); });
      });
    const auto results = next_token_distribution(*model, tokenizer, st->texts, st->next);
    write_next(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
