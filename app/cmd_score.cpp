// tokprob score: the log-probability of every token of each text, its total and the perplexity.
#include <iostream>
#include <optional>

#include "chat_options.hpp"
#include "cli_common.hpp"
#include "file_options.hpp"
#include "format/score_output.hpp"
#include "models/registry.hpp"
#include "server/request_fields.hpp"
#include "server/task_options_json.hpp"
#include "tasks/chat_reply.hpp"
#include "tasks/score.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_score_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    ScoreOptions score;
    std::vector<std::string> texts;
    corpus::JobOptions job;
    ChatOptions chat;
    std::optional<std::string> reply;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand(
      "score", "Log-probability of every token of each TEXT given the tokens before it, and the perplexity");
  add_common_options(*sub, st->common);
  sub->add_option("--window", st->score.window,
                  "Tokens the model sees at once for long texts (0 = the model's context)")
      ->capture_default_str();
  sub->add_option("--stride", st->score.stride,
                  "Tokens between the starts of successive windows (0 = half the window)")
      ->capture_default_str();
  sub->add_flag("--score-first-token", st->score.score_first_token,
                "Score the first token too, conditioned on the tokenizer's BOS token (else EOS, GPT-2's "
                "<|endoftext|>) put before the text, as evaluation harnesses do for rolling log-likelihood; "
                "nothing is added where the tokenizer already starts with it");
  CLI::Option* texts = add_texts_option(*sub, st->texts, "Text(s) to score");
  add_file_options(*sub, st->job, texts);
  add_chat_options(*sub, st->chat, texts);
  sub->add_option("--reply", st->reply,
                  "An assistant's reply to score under each conversation (implies --chat): the log-probability "
                  "of each of its tokens, through the template's end of turn, given the conversation before it");
  return with_flag_names({{"window", "--window"}, {"stride", "--stride"}}, [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    const OutputFormat format = parse_output_format(st->common.format);
    validate(st->score);
    const bool chat = chat_requested(*sub, st->chat) || st->reply.has_value();
    if (chat) check_chat_usage(*sub, st->chat, st->texts);
    const bool file = !chat && reads_input_file(*sub, st->job, st->texts);
    const auto dir = prepare(st->common);
    std::vector<std::string> conversations;
    if (st->reply) {
      conversations = chat_conversations(st->chat, st->texts);
    } else if (chat) {
      // The whole conversation is scored as the template writes it (no generation prompt).
      st->texts = chat_prompts(st->chat, dir, st->texts, /*add_generation_prompt=*/false);
      st->score.add_special_tokens = false;
    }
    const Config config = read_model_config(dir);
    // The tokenizer first, as tokprob::load_folder does: its parse's passing heap (megabytes
    // for a 50k vocabulary) then comes before the weights, not on top of them.
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, st->common.tokenizer);
    auto model = load_causal_lm(dir, config, load_options(st->common));
    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const ScoreOptions options = score_options_from_json(fields, file_limits(), st->score);
        fields.reject_unknown();
        validate(options);
        return lines_of(score_texts(*model, tokenizer, line_texts(lines), options), lines.size(),
                        [](const ScoreResult&) { return 1; },
                        [](const ScoreResult& r) { return static_cast<int64_t>(r.tokens.size()); });
      });
    if (st->reply) {
      const ChatTemplate chat_template = ChatTemplate::from_folder(dir);
      std::vector<ScoreResult> results;
      for (const auto& conversation : conversations)
        results.push_back(score_chat_reply(*model, tokenizer, chat_template, conversation, *st->reply, st->score));
      write_score(std::cout, results, format, stdout_style());
      return 0;
    }
    const auto results = score_texts(*model, tokenizer, st->texts, st->score);
    write_score(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
