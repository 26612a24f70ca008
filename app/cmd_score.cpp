// tokprob score: the log-probability of every token of each text, its total and the perplexity.
#include <algorithm>
#include <iostream>
#include <optional>
#include <stdexcept>

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

namespace {

// "0:5,6:11" -> {{0, 5}, {6, 11}}.
std::vector<std::pair<size_t, size_t>> parse_word_spans(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> spans;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    const size_t colon = item.find(':');
    size_t begin = 0, end = 0, used_begin = 0, used_end = 0;
    try {
      if (colon == std::string::npos || item.empty() || item[0] == '-' || item[colon + 1] == '-')
        throw std::invalid_argument(item);
      begin = std::stoul(item.substr(0, colon), &used_begin);
      end = std::stoul(item.substr(colon + 1), &used_end);
    } catch (const std::logic_error&) {
      used_begin = 0;
    }
    if (used_begin != colon || used_end != item.size() - colon - 1)
      usage_error("--word-spans takes BEGIN:END,BEGIN:END,... code point ranges, got \"" + item + "\"");
    spans.emplace_back(begin, end);
    pos = comma + 1;
  }
  return spans;
}

}  // namespace

Runner add_score_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    ScoreOptions score;
    std::vector<std::string> texts;
    corpus::JobOptions job;
    std::string word_split = "punctuation";
    std::string word_spans;
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
  add_list_option(*sub, st->score.top_k, "Most likely tokens to list at each position (the GLTR view; 0 = none)");
  sub->add_flag("--token-stats", st->score.token_stats,
                "Also the entropy (nats) of each position's distribution and the rank of the actual token in it");
  sub->add_flag("--words", st->score.words,
                "Score words instead of tokens: each word's probability corrected for how the vocabulary marks "
                "word starts (Pimentel & Meister 2024), and the naive sum of its tokens' logprobs, with "
                "surprisals in bits and nats");
  sub->add_option("--word-split", st->word_split,
                  "What separates words: punctuation (whitespace, and each run of punctuation is a word) or "
                  "whitespace (alone)")
      ->capture_default_str();
  sub->add_option("--word-spans", st->word_spans,
                  "The words of one TEXT as code point ranges BEGIN:END,BEGIN:END,... (end exclusive), instead "
                  "of --word-split");
  CLI::Option* texts = add_texts_option(*sub, st->texts, "Text(s) to score");
  add_file_options(*sub, st->job, texts);
  add_chat_options(*sub, st->chat, texts);
  sub->add_option("--reply", st->reply,
                  "An assistant's reply to score under each conversation (implies --chat): the log-probability "
                  "of each of its tokens, through the template's end of turn, given the conversation before it");
  return with_flag_names({{"window", "--window"},
                          {"stride", "--stride"},
                          {"top_k", "-k"},
                          {"word_split", "--word-split"},
                          {"word_spans", "--word-spans"}},
                         [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    const OutputFormat format = parse_output_format(st->common.format);
    st->score.word_split = parse_word_split(st->word_split);
    if (sub->count("--word-split")) st->score.words = true;
    if (!st->word_spans.empty()) {
      if (st->texts.size() != 1) usage_error("--word-spans gives the words of one TEXT, got " + std::to_string(st->texts.size()) + " texts");
      st->score.words = true;
      st->score.word_spans = {parse_word_spans(st->word_spans)};
    }
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
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, tokenizer_options(st->common));
    auto model = load_causal_lm(dir, config, load_options(st->common));
    // Read once: each batch of an --input file would read them again.
    std::optional<WordBoundaries> boundaries;
    const auto kept = [&]() -> const WordBoundaries* {
      if (!boundaries) boundaries = find_word_boundaries(tokenizer);
      return &*boundaries;
    };
    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const ScoreOptions options = score_options_from_json(fields, file_limits(), st->score);
        fields.reject_unknown();
        validate(options);
        return lines_of(score_texts(*model, tokenizer, line_texts(lines), options, options.words ? kept() : nullptr),
                        lines.size(),
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
    const auto results = score_texts(*model, tokenizer, st->texts, st->score, st->score.words ? kept() : nullptr);
    write_score(std::cout, results, format, stdout_style());
    return 0;
  });
}

}  // namespace tokprob::cli
