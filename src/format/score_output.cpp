#include "format/score_output.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "format/counted.hpp"
#include "format/result_lists.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

namespace {

// A number not computed (NaN) reads "-".
std::string nan_dash_fixed(double v, int digits) { return std::isnan(v) ? "-" : fixed(v, digits); }

nlohmann::json optional_number(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::optional<double> negated(const std::optional<double>& v, double scale) {
  if (!v) return std::nullopt;
  return -*v * scale;
}

constexpr double kBitsPerNat = 1.4426950408889634;  // 1 / ln 2

nlohmann::json word_json(const ScoredWord& w) {
  return {{"text", w.text},
          {"begin", w.begin},
          {"end", w.end},
          {"tokens", {w.first_token, w.end_token}},
          {"logprob", optional_number(w.logprob)},
          {"surprisal_nats", optional_number(negated(w.logprob, 1))},
          {"surprisal_bits", optional_number(negated(w.logprob, kBitsPerNat))},
          {"naive_logprob", optional_number(w.naive_logprob)},
          {"naive_surprisal_nats", optional_number(negated(w.naive_logprob, 1))},
          {"naive_surprisal_bits", optional_number(negated(w.naive_logprob, kBitsPerNat))}};
}

bool has_token_stats(std::span<const ScoreResult> results) {
  for (const auto& r : results)
    for (const auto& t : r.tokens)
      if (t.entropy) return true;
  return false;
}

int64_t top_count(std::span<const ScoreResult> results) {
  size_t k = 0;
  for (const auto& r : results)
    for (const auto& t : r.tokens) k = std::max(k, t.alternatives.size());
  return static_cast<int64_t>(k);
}

std::string alternatives_cell(const std::vector<TokenScore>& top) {
  std::string cell;
  for (const auto& a : top) {
    if (!cell.empty()) cell += "  ";
    cell += shown_token(a.token, a.text) + " " + percent(a.prob);
  }
  return cell;
}

std::string fixed_or_dash(const std::optional<double>& v, double scale, int digits) {
  return v ? nan_dash_fixed(*v * scale, digits) : "-";
}

void write_words_csv(std::ostream& out, std::span<const ScoreResult> results) {
  out << "text,word_index,word,begin,end,first_token,end_token,logprob,surprisal_bits,surprisal_nats,"
         "naive_logprob,naive_surprisal_bits,naive_surprisal_nats,word_marker\n";
  for (const auto& r : results)
    for (size_t i = 0; i < r.words->size(); ++i) {
      const ScoredWord& w = (*r.words)[i];
      out << csv_field(r.text) << ',' << i << ',' << csv_field(w.text) << ',' << w.begin << ',' << w.end << ','
          << w.first_token << ',' << w.end_token;
      for (const auto& v : {w.logprob, w.naive_logprob}) {
        if (v) out << ',' << *v << ',' << -*v * kBitsPerNat << ',' << -*v;
        else out << ",,,";
      }
      out << ',' << word_marker_name(r.word_marker) << '\n';
    }
}

void write_words_table(std::ostream& out, std::span<const ScoreResult> results) {
  write_tables(out, results, [&](const ScoreResult& r) {
    out << "\"" << r.text << "\"\n";
    Table t;
    t.add_column("index", Table::Align::right);
    t.add_column("word", Table::Align::left);
    t.add_column("tokens", Table::Align::right);
    t.add_column("logprob", Table::Align::right);
    t.add_column("surprisal bits", Table::Align::right);
    t.add_column("naive logprob", Table::Align::right);
    t.add_column("naive bits", Table::Align::right);
    for (size_t i = 0; i < r.words->size(); ++i) {
      const ScoredWord& w = (*r.words)[i];
      t.add_row({std::to_string(i), shown_token(w.text, w.text),
                 std::to_string(w.first_token) + "-" + std::to_string(w.end_token - 1),
                 fixed_or_dash(w.logprob, 1, 4), fixed_or_dash(w.logprob, -kBitsPerNat, 4),
                 fixed_or_dash(w.naive_logprob, 1, 4), fixed_or_dash(w.naive_logprob, -kBitsPerNat, 4)});
    }
    t.write(out);
    out << "  logprob: the word's probability, with the word's end read from the tokens after it (Pimentel & "
           "Meister 2024); naive: the sum of its tokens' logprobs\n";
  });
}

}  // namespace

nlohmann::json to_json(const ScoreResult& r) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& t : r.tokens) {
    tokens.push_back({{"id", t.id},
                      {"token", t.token},
                      {"text", t.text},
                      {"logprob", t.logprob ? nlohmann::json(*t.logprob) : nlohmann::json(nullptr)}});
    if (t.entropy) tokens.back()["entropy"] = *t.entropy;
    if (t.rank) tokens.back()["rank"] = *t.rank;
    if (!t.alternatives.empty()) tokens.back()["top"] = to_json(t.alternatives);
  }
  nlohmann::json j = {{"text", r.text},
                      {"tokens", tokens},
                      {"total_logprob", r.total_logprob},
                      {"scored_tokens", r.scored_tokens},
                      {"perplexity", std::isfinite(r.perplexity) ? nlohmann::json(r.perplexity) : nlohmann::json(nullptr)}};
  if (r.words) {
    nlohmann::json words = nlohmann::json::array();
    for (const auto& w : *r.words) words.push_back(word_json(w));
    j["word_marker"] = word_marker_name(r.word_marker);
    j["words"] = std::move(words);
  }
  return j;
}

void write_score(std::ostream& out, std::span<const ScoreResult> results, OutputFormat format, const TableStyle& style) {
  switch (format) {
    case OutputFormat::json:
      write_json_lines(out, results);
      break;
    case OutputFormat::csv: {
      const CsvPrecision csv_precision(out);
      if (!results.empty() && results.front().words) {
        write_words_csv(out, results);
      } else {
        const bool stats = has_token_stats(results);
        const int64_t top = top_count(results);
        out << "text,index,id,token,token_text,logprob";
        if (stats) out << ",entropy,rank";
        for (int64_t k = 1; k <= top; ++k) out << ",top" << k << "_token,top" << k << "_logprob";
        out << '\n';
        for (const auto& r : results)
          for (size_t i = 0; i < r.tokens.size(); ++i) {
            const auto& t = r.tokens[i];
            out << csv_field(r.text) << ',' << i << ',' << t.id << ',' << csv_field(t.token) << ','
                << csv_field(t.text) << ',';
            if (t.logprob) out << *t.logprob;
            if (stats) {
              out << ',';
              if (t.entropy) out << *t.entropy;
              out << ',';
              if (t.rank) out << *t.rank;
            }
            for (int64_t k = 0; k < top; ++k) {
              out << ',';
              if (static_cast<size_t>(k) < t.alternatives.size())
                out << csv_field(t.alternatives[k].token) << ',' << t.alternatives[k].logprob;
              else
                out << ',';
            }
            out << '\n';
          }
      }
      break;
    }
    case OutputFormat::table:
      if (!results.empty() && results.front().words) {
        write_words_table(out, results);
        break;
      }
      write_tables(out, results, [&](const ScoreResult& r) {
        out << "\"" << r.text << "\"\n";
        const bool stats = has_token_stats(results);
        const int64_t top = top_count(results);
        Table t;
        t.add_column("index", Table::Align::right);
        t.add_column("token", Table::Align::left);
        t.add_column("id", Table::Align::right);
        t.add_column("prob", Table::Align::right);
        t.add_column("logprob", Table::Align::right);
        if (stats) {
          t.add_column("entropy", Table::Align::right);
          t.add_column("rank", Table::Align::right);
        }
        if (top > 0) t.add_column("top alternatives", Table::Align::left);
        if (style.bars) t.add_column("", Table::Align::left);
        for (size_t i = 0; i < r.tokens.size(); ++i) {
          const auto& tok = r.tokens[i];
          const double p = tok.logprob ? std::exp(*tok.logprob) : NAN;
          std::vector<std::string> row = {std::to_string(i), shown_token(tok.token, tok.text), std::to_string(tok.id),
                                          tok.logprob ? percent(p) : "-", tok.logprob ? nan_dash_fixed(*tok.logprob, 4) : "-"};
          if (stats) {
            row.push_back(tok.entropy ? nan_dash_fixed(*tok.entropy, 4) : "-");
            row.push_back(tok.rank ? std::to_string(*tok.rank) : "-");
          }
          if (top > 0) row.push_back(alternatives_cell(tok.alternatives));
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
          out << "  total logprob " << nan_dash_fixed(r.total_logprob, 4) << " over " << counted(r.scored_tokens, "token")
              << ", perplexity " << nan_dash_fixed(r.perplexity, 4) << '\n';
      });
      break;
  }
}

}  // namespace tokprob
