#include "format/next_output.hpp"

#include "format/result_lists.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

nlohmann::json to_json(const NextResult& r) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : r.targets)
    targets.push_back({{"target", t.target},
                       {"pieces", to_json(t.pieces)},
                       {"logprob", t.logprob},
                       {"prob", t.prob},
                       {"context_tokens", t.context_tokens},
                       {"boundary_moved", t.boundary_moved}});
  return {{"text", r.text},         {"input_ids", r.input_ids}, {"position", r.position},
          {"logsumexp", r.logsumexp}, {"top", to_json(r.top)},  {"targets", targets}};
}

namespace {

void write_table(std::ostream& out, const NextResult& r, const TableStyle& style) {
  const bool last = r.position + 1 == static_cast<int64_t>(r.input_ids.size());
  out << "\"" << r.text << "\"";
  // Which token the distribution follows, by index and as it reads: "(after token 2 ␣sat of 3)".
  if (!last)
    out << "  (after token " << r.position << " " << shown_token(r.context.token, r.context.text) << " of "
        << r.input_ids.size() << ")";
  out << "\n";
  Table t;
  t.add_column("rank", Table::Align::right);
  t.add_column("token", Table::Align::left);
  t.add_column("id", Table::Align::right);
  t.add_column("prob", Table::Align::right);
  t.add_column("logprob", Table::Align::right);
  if (style.bars) t.add_column("", Table::Align::left);
  int rank = 1;
  for (const auto& tok : r.top) {
    std::vector<std::string> row = {std::to_string(rank++), shown_token(tok.token, tok.text), std::to_string(tok.id),
                                    percent(tok.prob), fixed(tok.logprob, 4)};
    if (style.bars) {
      // An absolute scale (a full bar is 100 %), as in `score`: a 0.3 % top token draws almost none.
      std::string b = bar(tok.prob, 30);
      row.push_back(style.color ? "\033[36m" + b + "\033[0m" : b);
    }
    t.add_row(std::move(row));
  }
  t.write(out);
  if (!r.targets.empty()) {
    Table tt;
    tt.add_column("target", Table::Align::left);
    tt.add_column("tokens", Table::Align::left);
    tt.add_column("prob", Table::Align::right);
    tt.add_column("logprob", Table::Align::right);
    for (const auto& tg : r.targets) {
      std::string pieces;
      for (const auto& p : tg.pieces) {
        if (!pieces.empty()) pieces += ' ';
        pieces.append(shown_token(p.token, p.text)).append(" (").append(percent(p.prob)).append(")");
      }
      tt.add_row({visible_token(tg.target), pieces, percent(tg.prob), fixed(tg.logprob, 4)});
    }
    out << "\n";
    tt.write(out);
    for (const auto& tg : r.targets)
      if (tg.boundary_moved)
        out << "(" << visible_token(tg.target) << " merges with the text's last tokens: scored after token "
            << tg.context_tokens - 1 << ", its pieces include the merged text)\n";
  }
}

}  // namespace

void write_next(std::ostream& out, std::span<const NextResult> results, OutputFormat format, const TableStyle& style) {
  switch (format) {
    case OutputFormat::json:
      write_json_lines(out, results);
      break;
    case OutputFormat::csv: {
      const CsvPrecision csv_precision(out);
      out << "text,position,kind,target,rank,id,token,token_text,prob,logprob,logit\n";
      auto row = [&](const NextResult& r, int64_t position, const char* kind, const std::string& target,
                     const std::string& rank, const TokenScore& t) {
        out << csv_field(r.text) << ',' << position << ',' << kind << ',' << csv_field(target) << ',' << rank << ','
            << t.id << ',' << csv_field(t.token) << ',' << csv_field(t.text) << ',' << t.prob << ',' << t.logprob
            << ',' << t.logit << '\n';
      };
      for (const auto& r : results) {
        int rank = 1;
        for (const auto& t : r.top) row(r, r.position, "top", "", std::to_string(rank++), t);
        for (const auto& tg : r.targets) {
          // Piece i is predicted after the text and pieces 0..i-1: at position + i.
          for (size_t i = 0; i < tg.pieces.size(); ++i)
            row(r, r.position + static_cast<int64_t>(i), "target", tg.target, "", tg.pieces[i]);
          // The whole target, every piece's probability multiplied (no token of its own).
          out << csv_field(r.text) << ',' << r.position << ",target_total," << csv_field(tg.target) << ",,,,"
              << csv_field(tg.target) << ',' << tg.prob << ',' << tg.logprob << ",\n";
        }
      }
      break;
    }
    case OutputFormat::table:
      write_tables(out, results, [&](const auto& r) { write_table(out, r, style); });
      break;
  }
}

}  // namespace tokprob
