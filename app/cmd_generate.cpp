// tokprob generate: continue a text, showing each chosen token's probability.
#include <iostream>

#include "chat_options.hpp"
#include "cli_common.hpp"
#include "file_options.hpp"
#include "format/generate_output.hpp"
#include "format/token_json.hpp"
#include "io/generation_defaults.hpp"
#include "models/registry.hpp"
#include "server/request_fields.hpp"
#include "server/task_options_json.hpp"
#include "tasks/generate.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

namespace {

const FlagNames kGenerateFlags = {
    {"max_new_tokens", "--max-new-tokens"},
    {"temperature", "--temperature"},
    {"top_k", "--top-k"},
    {"top_p", "--top-p"},
    {"min_p", "--min-p"},
    {"repetition_penalty", "--repetition-penalty"},
    {"num_beams", "--num-beams"},
    {"num_return_sequences", "--num-return-sequences"},
    {"early_stopping", "--early-stopping"},
    {"length_penalty", "--length-penalty"},
    {"logprobs", "--logprobs"},
    {"stop", "--stop"},
};

}  // namespace

Runner add_generate_command(CLI::App& app) {
  struct State {
    CommonOptions common;
    GenerateOptions gen;
    uint64_t seed = 0;
    bool sample = false, stream = false;
    std::string early_stopping = "false";
    std::vector<std::string> texts;
    corpus::JobOptions job;
    ChatOptions chat;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand(
      "generate", "Continue each TEXT with a causal language model (greedy, sampling or beam search)");
  add_common_options(*sub, st->common);
  auto& g = st->gen;
  sub->add_option("--max-new-tokens", g.max_new_tokens, "Tokens to generate at most")->capture_default_str();
  sub->add_option("--temperature", g.temperature, "Sampling temperature (setting it samples; 0 = greedy)")
      ->capture_default_str();
  sub->add_option("--top-k", g.top_k, "Sample among the K most likely tokens (0 = off)")->capture_default_str();
  sub->add_option("--top-p", g.top_p, "Sample from the smallest set of tokens holding probability P (1 = off)")
      ->capture_default_str();
  sub->add_option("--min-p", g.min_p, "Drop tokens less likely than P x the top token (0 = off)")
      ->capture_default_str();
  sub->add_option("--repetition-penalty", g.repetition_penalty,
                  "Penalty on tokens already in the text (1 = off; greedy and beams too)")
      ->capture_default_str();
  CLI::Option* seed = sub->add_option("--seed", st->seed, "Sampling seed (tokprob's own generator, not torch's)");
  sub->add_flag("--sample", st->sample, "Sample even with default settings (pure softmax sampling)");
  sub->add_option("--num-beams", g.num_beams, "Beam search with B beams (1 = off)")->capture_default_str();
  sub->add_option("--num-return-sequences", g.num_return_sequences,
                  "Sequences to return (sampling: independent draws; beams: the best finished)")
      ->capture_default_str();
  sub->add_option("--length-penalty", g.length_penalty, "Beam score = sum of logprobs / length^L")
      ->capture_default_str();
  sub->add_option("--early-stopping", st->early_stopping, "Beam search stop rule: false, true or never")
      ->capture_default_str();
  sub->add_option("--logprobs", g.logprobs, "Show a table of every step with its K most likely alternatives")
      ->capture_default_str();
  sub->add_flag("--stream", st->stream,
                "With --format json, one line per generated token before the result (tables always stream)");
  add_repeatable_option(*sub, "--stop", g.stop, "Stop a sequence once its text contains STR (repeatable)");
  CLI::Option* texts = add_texts_option(*sub, st->texts, "Text(s) to continue, one after the other");
  add_file_options(*sub, st->job, texts);
  add_chat_options(*sub, st->chat, texts);
  return with_flag_names(kGenerateFlags, [st, sub, seed]() -> int {
    if (!sub->parsed()) return -1;
    auto& g = st->gen;
    if (seed->count() > 0) g.seed = st->seed;
    if (st->sample) g.do_sample = true;
    g.early_stopping = parse_early_stopping(st->early_stopping);
    const OutputFormat format = parse_output_format(st->common.format);
    if (st->stream && format == OutputFormat::csv) usage_error("--stream needs --format json or table");
    // Everything is checked before the first prompt is printed.
    validate(g);
    for (const auto& text : st->texts)
      if (text.empty()) usage_error("empty text: give the text to continue");
    const bool chat = chat_requested(*sub, st->chat);
    if (chat) check_chat_usage(*sub, st->chat, st->texts);
    const bool file = !chat && reads_input_file(*sub, st->job, st->texts);
    if (file && st->stream) usage_error("--stream shows one text's tokens as they come: not with --input");
    const auto dir = prepare(st->common);
    if (chat) {
      st->texts = chat_prompts(st->chat, dir, st->texts, /*add_generation_prompt=*/true);
      g.add_special_tokens = false;
    }
    const Config config = read_model_config(dir);
    // The tokenizer first, as tokprob::load_folder does: its parse's passing heap (megabytes
    // for a 50k vocabulary) then comes before the weights, not on top of them.
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, tokenizer_options(st->common));
    auto model = load_causal_lm(dir, config, load_options(st->common));
    if (auto eos = read_eos_token_ids(dir); !eos.empty()) g.eos_token_ids = eos;

    if (file)
      return run_file_job(st->job, [&](std::span<const corpus::InputLine> lines) {
        RequestFields fields(lines[0].fields);
        const GenerateOptions options = generate_options_from_json(fields, file_limits(), g.eos_token_ids.value_or(std::vector<int32_t>{}), g);
        fields.reject_unknown();
        validate(options);
        std::vector<GenerateResult> results;
        for (const auto& line : lines) results.push_back(generate_text(*model, tokenizer, line.text, options));
        return lines_of(results, lines.size(), [](const GenerateResult&) { return 1; },
                        [](const GenerateResult& r) {
                          auto n = static_cast<int64_t>(r.input_ids.size());
                          for (const auto& seq : r.sequences) n += static_cast<int64_t>(seq.new_ids.size());
                          return n;
                        });
      });

    const TableStyle style = stdout_style();
    if (format == OutputFormat::csv) write_generate_csv_header(std::cout);
    const bool stream_text = format == OutputFormat::table && g.num_beams == 1 && g.num_return_sequences == 1;
    for (size_t i = 0; i < st->texts.size(); ++i) {
      const std::string& text = st->texts[i];
      if (format == OutputFormat::table && i) std::cout << '\n';
      GenerateStream on_token;
      std::string streamed;
      if (stream_text) {
        if (style.color) std::cout << "\033[2m" << text << "\033[0m";
        else std::cout << text;
        std::cout.flush();
        on_token = [&streamed](size_t, const GeneratedToken&, std::string_view delta) {
          streamed += delta;
          std::cout << delta << std::flush;
        };
      } else if (st->stream && format == OutputFormat::json) {
        on_token = [](size_t seq, const GeneratedToken& t, std::string_view delta) {
          std::cout << dump_json_line(stream_event_json(seq, t, delta)) << std::endl;
        };
      }
      GenerateResult r;
      try {
        r = generate_text(*model, tokenizer, text, g, on_token);
      } catch (...) {
        if (stream_text) std::cout << std::endl;  // the error goes on its own line
        throw;
      }
      if (stream_text) {
        // What the stream held back (an incomplete character at the end) comes with the result.
        const std::string& all = r.sequences.at(0).text;
        if (all.compare(0, streamed.size(), streamed) == 0) std::cout << all.substr(streamed.size());
        std::cout << '\n';
      }
      write_generate(std::cout, r, format, style, stream_text, g.logprobs > 0);
    }
    return 0;
  });
}

}  // namespace tokprob::cli
