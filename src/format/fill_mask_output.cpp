#include "format/fill_mask_output.hpp"

#include "format/result_lists.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

namespace {

nlohmann::json fill_json(const MaskFill& f) {
  nlohmann::json j = to_json(f.score);
  j["sequence"] = f.sequence;
  return j;
}

void write_table(std::ostream& out, const FillMaskResult& r, const TableStyle& style) {
  out << "\"" << r.text << "\"\n";
  for (size_t m = 0; m < r.masks.size(); ++m) {
    const auto& mask = r.masks[m];
    if (m) out << '\n';
    if (r.masks.size() > 1)
      out << "mask " << m + 1 << " of " << r.masks.size() << " (token " << mask.position << ")\n";
    Table t;
    t.add_column("rank", Table::Align::right);
    t.add_column("token", Table::Align::left);
    t.add_column("id", Table::Align::right);
    t.add_column("prob", Table::Align::right);
    t.add_column("logprob", Table::Align::right);
    if (style.bars) t.add_column("", Table::Align::left);
    t.add_column("sequence", Table::Align::left);
    const double top_prob = mask.top.empty() ? 1.0 : mask.top.front().score.prob;
    int rank = 1;
    for (const auto& f : mask.top) {
      std::vector<std::string> row = {std::to_string(rank++), shown_token(f.score.token, f.score.text), std::to_string(f.score.id),
                                      percent(f.score.prob), fixed(f.score.logprob, 4)};
      if (style.bars) {
        std::string b = bar(top_prob > 0 ? f.score.prob / top_prob : 0, 20);
        row.push_back(style.color ? "\033[36m" + b + "\033[0m" : b);
      }
      row.push_back(f.sequence);
      t.add_row(std::move(row));
    }
    t.write(out);
    if (!mask.targets.empty()) {
      Table tt;
      tt.add_column("target", Table::Align::left);
      tt.add_column("tokens", Table::Align::left);
      tt.add_column("prob", Table::Align::right);
      tt.add_column("logprob", Table::Align::right);
      tt.add_column("scored", Table::Align::left);
      for (const auto& tg : mask.targets) {
        std::string pieces;
        for (const auto& p : tg.pieces) {
          if (!pieces.empty()) pieces += ' ';
          pieces += visible_token(p);
        }
        tt.add_row({visible_token(tg.target), pieces, percent(tg.fill.score.prob), fixed(tg.fill.score.logprob, 4),
                    tg.whole_word ? "word"
                                  : "first piece only (" + std::to_string(tg.pieces.size()) + " pieces)"});
      }
      out << '\n';
      tt.write(out);
    }
  }
}

}  // namespace

nlohmann::json to_json(const FillMaskResult& r) {
  nlohmann::json masks = nlohmann::json::array();
  for (const auto& m : r.masks) {
    nlohmann::json top = nlohmann::json::array(), targets = nlohmann::json::array();
    for (const auto& f : m.top) top.push_back(fill_json(f));
    for (const auto& tg : m.targets) {
      nlohmann::json pieces = nlohmann::json::array();
      for (size_t i = 0; i < tg.piece_ids.size(); ++i) pieces.push_back({{"id", tg.piece_ids[i]}, {"token", tg.pieces[i]}});
      nlohmann::json j = {{"target", tg.target},
                          {"pieces", pieces},
                          {"whole_word", tg.whole_word},
                          {"scored", tg.whole_word ? "word" : "first piece"}};
      j.update(fill_json(tg.fill));
      targets.push_back(std::move(j));
    }
    masks.push_back({{"position", m.position}, {"logsumexp", m.logsumexp}, {"top", top}, {"targets", targets}});
  }
  return {{"text", r.text}, {"input_ids", r.input_ids}, {"masks", masks}};
}

void write_fill_mask(std::ostream& out, std::span<const FillMaskResult> results, OutputFormat format,
                     const TableStyle& style) {
  switch (format) {
    case OutputFormat::json:
      write_json_lines(out, results);
      break;
    case OutputFormat::csv: {
      const CsvPrecision csv_precision(out);
      out << "text,mask_position,kind,target,rank,id,token,token_text,prob,logprob,logit,sequence,whole_word\n";
      auto row = [&](const FillMaskResult& r, const MaskPrediction& m, const char* kind, const std::string& target,
                     const std::string& rank, const MaskFill& f, const char* whole) {
        const auto& t = f.score;
        out << csv_field(r.text) << ',' << m.position << ',' << kind << ',' << csv_field(target) << ',' << rank << ','
            << t.id << ',' << csv_field(t.token) << ',' << csv_field(t.text) << ',' << t.prob << ',' << t.logprob
            << ',' << t.logit << ',' << csv_field(f.sequence) << ',' << whole << '\n';
      };
      for (const auto& r : results)
        for (const auto& m : r.masks) {
          int rank = 1;
          for (const auto& f : m.top) row(r, m, "top", "", std::to_string(rank++), f, "");
          for (const auto& tg : m.targets) row(r, m, "target", tg.target, "", tg.fill, tg.whole_word ? "true" : "false");
        }
      break;
    }
    case OutputFormat::table:
      write_tables(out, results, [&](const auto& r) { write_table(out, r, style); });
      break;
  }
}

}  // namespace tokprob
