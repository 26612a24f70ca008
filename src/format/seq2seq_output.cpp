#include "format/seq2seq_output.hpp"

#include "format/result_lists.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

nlohmann::json to_json(const Seq2SeqResult& r) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : r.steps) {
    nlohmann::json j = to_json(s.token);
    j["step"] = s.step;
    j["rank"] = s.rank;
    j["top"] = to_json(s.top);
    steps.push_back(std::move(j));
  }
  nlohmann::json j = {{"text", r.text}, {"input_ids", r.input_ids}};
  if (r.target) j["target"] = *r.target;
  j["output_ids"] = r.output_ids;
  j["output_text"] = r.output_text;
  j["logprob"] = r.logprob;
  j["finished"] = r.finished;
  if (r.beam_score) j["beam_score"] = *r.beam_score;
  j["steps"] = std::move(steps);
  return j;
}

namespace {

// A table row lists this many alternatives; JSON and CSV carry all top_k of them.
constexpr size_t kTableAlternatives = 3;

void write_table(std::ostream& out, const Seq2SeqResult& r, const TableStyle& style) {
  out << "\"" << r.text << "\"\n";
  out << (r.target ? "  target: \"" : "  output: \"") << r.output_text << "\"  (logprob " << fixed(r.logprob, 4)
      << (r.finished ? "" : ", not finished") << ")\n";
  Table t;
  t.add_column("step", Table::Align::right);
  t.add_column("token", Table::Align::left);
  t.add_column("id", Table::Align::right);
  t.add_column("prob", Table::Align::right);
  t.add_column("logprob", Table::Align::right);
  if (r.target) t.add_column("rank", Table::Align::right);
  if (style.bars) t.add_column("", Table::Align::left);
  t.add_column("most likely", Table::Align::left);
  for (const auto& s : r.steps) {
    std::vector<std::string> row = {std::to_string(s.step), shown_token(s.token.token, s.token.text), std::to_string(s.token.id),
                                    percent(s.token.prob), fixed(s.token.logprob, 4)};
    if (r.target) row.push_back(std::to_string(s.rank));
    if (style.bars) {
      std::string b = bar(s.token.prob, 20);
      row.push_back(style.color ? "\033[36m" + b + "\033[0m" : b);
    }
    std::string alternatives;
    for (size_t k = 0; k < s.top.size() && k < kTableAlternatives; ++k) {
      if (!alternatives.empty()) alternatives += "  ";
      alternatives.append(shown_token(s.top[k].token, s.top[k].text)).append(" ").append(percent(s.top[k].prob));
    }
    row.push_back(std::move(alternatives));
    t.add_row(std::move(row));
  }
  t.write(out);
}

}  // namespace

void write_seq2seq(std::ostream& out, std::span<const Seq2SeqResult> results, OutputFormat format,
                   const TableStyle& style) {
  switch (format) {
    case OutputFormat::json:
      write_json_lines(out, results);
      break;
    case OutputFormat::csv: {
      const CsvPrecision csv_precision(out);
      out << "text,step,kind,rank,id,token,token_text,prob,logprob,logit\n";
      auto row = [&](const Seq2SeqResult& r, int64_t step, const char* kind, int64_t rank, const TokenScore& t) {
        out << csv_field(r.text) << ',' << step << ',' << kind << ',' << rank << ',' << t.id << ','
            << csv_field(t.token) << ',' << csv_field(t.text) << ',' << t.prob << ',' << t.logprob << ',' << t.logit
            << '\n';
      };
      for (const auto& r : results)
        for (const auto& s : r.steps) {
          row(r, s.step, r.target ? "target" : "chosen", s.rank, s.token);
          int64_t rank = 1;
          for (const auto& t : s.top) row(r, s.step, "top", rank++, t);
        }
      break;
    }
    case OutputFormat::table:
      write_tables(out, results, [&](const auto& r) { write_table(out, r, style); });
      break;
  }
}

}  // namespace tokprob
