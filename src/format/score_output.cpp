#include "format/score_output.hpp"

#include <cmath>
#include <cstdio>

#include "format/counted.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

namespace {

std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

nlohmann::json to_json(const ScoreResult& r) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& t : r.tokens) {
    tokens.push_back({{"id", t.id},
                      {"token", t.token},
                      {"text", t.text},
                      {"logprob", t.logprob ? nlohmann::json(*t.logprob) : nlohmann::json(nullptr)}});
    if (!t.alternatives.empty()) tokens.back()["top"] = to_json(t.alternatives);
  }
  return {{"text", r.text},
          {"tokens", tokens},
          {"total_logprob", r.total_logprob},
          {"scored_tokens", r.scored_tokens},
          {"perplexity", std::isfinite(r.perplexity) ? nlohmann::json(r.perplexity) : nlohmann::json(nullptr)}};
}

void write_score(std::ostream& out, std::span<const ScoreResult> results, OutputFormat format, const TableStyle& style) {
  switch (format) {
    case OutputFormat::json:
      for (const auto& r : results) out << dump_json_line(to_json(r)) << '\n';
      break;
    case OutputFormat::csv: {
      const auto precision = out.precision(9);
      out << "text,index,id,token,token_text,logprob\n";
      for (const auto& r : results)
        for (size_t i = 0; i < r.tokens.size(); ++i) {
          const auto& t = r.tokens[i];
          out << csv_field(r.text) << ',' << i << ',' << t.id << ',' << csv_field(t.token) << ',' << csv_field(t.text)
              << ',';
          if (t.logprob) out << *t.logprob;
          out << '\n';
        }
      out.precision(precision);
      break;
    }
    case OutputFormat::table:
      for (size_t k = 0; k < results.size(); ++k) {
        const auto& r = results[k];
        if (k) out << '\n';
        out << "\"" << r.text << "\"\n";
        Table t;
        t.add_column("index", Table::Align::right);
        t.add_column("token", Table::Align::left);
        t.add_column("id", Table::Align::right);
        t.add_column("prob", Table::Align::right);
        t.add_column("logprob", Table::Align::right);
        if (style.bars) t.add_column("", Table::Align::left);
        for (size_t i = 0; i < r.tokens.size(); ++i) {
          const auto& tok = r.tokens[i];
          const double p = tok.logprob ? std::exp(*tok.logprob) : NAN;
          std::vector<std::string> row = {std::to_string(i), shown_token(tok.token, tok.text), std::to_string(tok.id),
                                          tok.logprob ? percent(p) : "-", tok.logprob ? fixed(*tok.logprob, 4) : "-"};
          if (style.bars) {
            std::string b = tok.logprob ? bar(p, 20) : "";
            row.push_back(style.color ? "\033[36m" + b + "\033[0m" : b);
          }
          t.add_row(std::move(row));
        }
        t.write(out);
        if (r.scored_tokens == 0)
          out << "  nothing scored: the first token has no token before it to predict it "
                 "(--score-first-token conditions it on the BOS token)\n";
        else
          out << "  total logprob " << fixed(r.total_logprob, 4) << " over " << counted(r.scored_tokens, "token")
              << ", perplexity " << fixed(r.perplexity, 4) << '\n';
      }
      break;
  }
}

}  // namespace tokprob
