// tokprob tokenize: ids, tokens and character offsets of each text.
#include <iostream>

#include "cli_common.hpp"
#include "format/counted.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"
#include "io/cache_home.hpp"
#include "io/hub.hpp"
#include "tokprob/error.hpp"

namespace tokprob::cli {

Runner add_tokenize_command(CLI::App& app) {
  struct State {
    std::string model;
    std::string format = "table";
    bool no_special = false;
    bool raw = false;
    TokenizerOptions tokenizer;
    std::vector<std::string> texts;
  };
  auto st = std::make_shared<State>();
  CLI::App* sub = app.add_subcommand("tokenize", "Token ids, tokens and offsets of each TEXT");
  sub->add_option("-m,--model", st->model, "Model folder or Hugging Face model id (only the tokenizer is read)")
      ->required();
  sub->add_option("--format", st->format, "Output: table, json (one object per line) or csv")->capture_default_str();
  sub->add_flag("--no-special", st->no_special, "Do not add the model's special tokens (BOS, [CLS], ...)");
  sub->add_flag("--raw", st->raw,
                "Show each token's vocabulary string (\"Ġworld\", \"<0xF0>\") instead of what it reads as "
                "(\"␣world\"), in the table");
  add_tokenizer_options(*sub, st->tokenizer);
  add_texts_option(*sub, st->texts, "Text(s)");
  return [st, sub]() -> int {
    if (!sub->parsed()) return -1;
    const OutputFormat format = parse_output_format(st->format);
    const std::filesystem::path dir = resolve_model(st->model, HubFiles::tokenizer);
    TokenizerOptions options = st->tokenizer;
    options.cache_dir = weight_cache_dir_from_environment();
    const Tokenizer tokenizer = Tokenizer::from_folder(dir, options);
    if (format == OutputFormat::csv) std::cout << "text,index,id,token,begin,end\n";
    for (size_t i = 0; i < st->texts.size(); ++i) {
      const auto& text = st->texts[i];
      const Encoding enc = tokenizer.encode(text, !st->no_special);
      switch (format) {
        case OutputFormat::json: {
          nlohmann::json offsets = nlohmann::json::array();
          for (auto [b, e] : enc.offsets) offsets.push_back({b, e});
          std::cout << dump_json_line({{"text", text}, {"ids", enc.ids}, {"tokens", enc.tokens}, {"offsets", offsets}})
                    << '\n';
          break;
        }
        case OutputFormat::csv:
          for (size_t t = 0; t < enc.ids.size(); ++t)
            std::cout << csv_field(text) << ',' << t << ',' << enc.ids[t] << ',' << csv_field(enc.tokens[t]) << ','
                      << enc.offsets[t].first << ',' << enc.offsets[t].second << '\n';
          break;
        case OutputFormat::table: {
          if (i) std::cout << '\n';
          std::cout << "\"" << text << "\"  (" << counted(static_cast<int64_t>(enc.ids.size()), "token") << ")\n";
          Table t;
          t.add_column("index", Table::Align::right);
          t.add_column("id", Table::Align::right);
          t.add_column("token", Table::Align::left);
          t.add_column("offsets", Table::Align::left);
          for (size_t k = 0; k < enc.ids.size(); ++k)
            // The table shows tokens as next and score do; --raw, or JSON and CSV, the vocabulary strings.
            t.add_row({std::to_string(k), std::to_string(enc.ids[k]),
                       st->raw ? visible_token(enc.tokens[k])
                               : shown_token(enc.tokens[k], tokenizer.token_text(enc.ids[k])),
                       std::to_string(enc.offsets[k].first) + ".." + std::to_string(enc.offsets[k].second)});
          t.write(std::cout);
          break;
        }
      }
    }
    return 0;
  };
}

}  // namespace tokprob::cli
