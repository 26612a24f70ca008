#include "format/compare_output.hpp"

#include <cmath>

#include "format/result_lists.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
nlohmann::json number(const std::optional<double>& v) { return v ? number(*v) : nlohmann::json(nullptr); }

std::string fixed4_or_dash(const std::optional<double>& v) { return !v || std::isnan(*v) ? "-" : fixed(*v, 4); }

}  // namespace

nlohmann::json to_json(const CompareResult& r) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& t : r.tokens)
    tokens.push_back({{"id", t.id},
                      {"token", t.token},
                      {"text", t.text},
                      {"observer_logprob", number(t.observer_logprob)},
                      {"performer_logprob", number(t.performer_logprob)},
                      {"cross_entropy", number(t.cross_entropy)}});
  return {{"text", r.text},
          {"tokens", std::move(tokens)},
          {"scored_tokens", r.scored_tokens},
          {"observer_log_perplexity", number(r.observer_log_perplexity)},
          {"performer_log_perplexity", number(r.performer_log_perplexity)},
          {"cross_entropy", number(r.cross_entropy)},
          {"binoculars", number(r.binoculars)}};
}

void write_compare(std::ostream& out, std::span<const CompareResult> results, OutputFormat format) {
  switch (format) {
    case OutputFormat::json:
      write_json_lines(out, results);
      break;
    case OutputFormat::csv: {
      const CsvPrecision csv_precision(out);
      out << "text,index,id,token,token_text,observer_logprob,performer_logprob,cross_entropy\n";
      for (const auto& r : results)
        for (size_t i = 0; i < r.tokens.size(); ++i) {
          const auto& t = r.tokens[i];
          out << csv_field(r.text) << ',' << i << ',' << t.id << ',' << csv_field(t.token) << ',' << csv_field(t.text);
          for (const auto& v : {t.observer_logprob, t.performer_logprob, t.cross_entropy}) {
            out << ',';
            if (v) out << *v;
          }
          out << '\n';
        }
      break;
    }
    case OutputFormat::table:
      write_tables(out, results, [&](const CompareResult& r) {
        out << "\"" << r.text << "\"\n";
        Table t;
        t.add_column("index", Table::Align::right);
        t.add_column("token", Table::Align::left);
        t.add_column("observer logprob", Table::Align::right);
        t.add_column("performer logprob", Table::Align::right);
        t.add_column("cross-entropy", Table::Align::right);
        for (size_t i = 0; i < r.tokens.size(); ++i) {
          const auto& tok = r.tokens[i];
          t.add_row({std::to_string(i), shown_token(tok.token, tok.text), fixed4_or_dash(tok.observer_logprob),
                     fixed4_or_dash(tok.performer_logprob), fixed4_or_dash(tok.cross_entropy)});
        }
        t.write(out);
        out << "  log-perplexity: observer " << fixed4_or_dash(r.observer_log_perplexity) << ", performer "
            << fixed4_or_dash(r.performer_log_perplexity) << "; cross-entropy (observer against performer) "
            << fixed4_or_dash(r.cross_entropy) << "; Binoculars " << fixed4_or_dash(r.binoculars) << '\n';
      });
      break;
  }
}

}  // namespace tokprob
