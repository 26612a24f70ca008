#include "format/classify_output.hpp"

#include "format/result_lists.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

namespace {

void write_table(std::ostream& out, const ClassifyResult& r, const TableStyle& style) {
  out << "\"" << r.text << "\"";
  if (r.pair) out << " + \"" << *r.pair << "\"";
  if (r.hypothesis_template) {
    out << "  (zero-shot, " << (r.multi_label ? "multi-label" : "single-label") << ", \"" << *r.hypothesis_template
        << "\")\n";
  } else {
    out << "  (" << score_function_name(r.function) << ")\n";
  }
  const bool probabilities = r.function != ScoreFunction::none;
  Table t;
  t.add_column("rank", Table::Align::right);
  t.add_column("label", Table::Align::left);
  t.add_column("id", Table::Align::right);
  t.add_column(probabilities ? "prob" : "score", Table::Align::right);
  t.add_column("logit", Table::Align::right);
  if (style.bars && probabilities) t.add_column("", Table::Align::left);
  int rank = 1;
  for (const auto& l : r.labels) {
    std::vector<std::string> row = {std::to_string(rank++), l.label, std::to_string(l.id),
                                    probabilities ? percent(l.prob) : fixed(l.prob, 4), fixed(l.logit, 4)};
    if (style.bars && probabilities) {
      std::string b = bar(l.prob, 30);
      row.push_back(style.color ? "\033[36m" + b + "\033[0m" : b);
    }
    t.add_row(std::move(row));
  }
  t.write(out);
}

}  // namespace

nlohmann::json to_json(const ClassifyResult& r) {
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& l : r.labels) {
    labels.push_back({{"label", l.label}, {"id", l.id}, {"prob", l.prob}, {"logit", l.logit}});
    if (r.hypothesis_template) labels.back()["input_ids"] = l.input_ids;
  }
  nlohmann::json j = {{"text", r.text}};
  if (r.pair) j["pair"] = *r.pair;
  if (r.hypothesis_template) {
    j["hypothesis_template"] = *r.hypothesis_template;
    j["multi_label"] = r.multi_label;
  } else {
    j["input_ids"] = r.input_ids;
  }
  j["function"] = score_function_name(r.function);
  j["labels"] = labels;
  return j;
}

void write_classify(std::ostream& out, std::span<const ClassifyResult> results, OutputFormat format,
                    const TableStyle& style) {
  switch (format) {
    case OutputFormat::json:
      write_json_lines(out, results);
      break;
    case OutputFormat::csv: {
      const CsvPrecision csv_precision(out);
      out << "text,pair,function,rank,label,id,prob,logit\n";
      for (const auto& r : results) {
        int rank = 1;
        for (const auto& l : r.labels)
          out << csv_field(r.text) << ',' << csv_field(r.pair.value_or("")) << ',' << score_function_name(r.function)
              << ',' << rank++ << ',' << csv_field(l.label) << ',' << l.id << ',' << l.prob << ',' << l.logit << '\n';
      }
      break;
    }
    case OutputFormat::table:
      write_tables(out, results, [&](const auto& r) { write_table(out, r, style); });
      break;
  }
}

}  // namespace tokprob
