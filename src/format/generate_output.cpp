#include "format/generate_output.hpp"

#include <cmath>

#include "format/result_lists.hpp"
#include "format/table.hpp"
#include "format/text_cells.hpp"
#include "format/token_json.hpp"

namespace tokprob {

namespace {

nlohmann::json step_json(const GeneratedToken& t) {
  return {{"id", t.id},
          {"token", t.token},
          {"text", t.text},
          {"logprob", t.logprob},
          {"prob", std::exp(t.logprob)},
          {"processed_logprob", t.processed_logprob},
          {"top", to_json(t.top)}};
}

void write_steps(std::ostream& out, const GeneratedText& s) {
  Table t;
  t.add_column("step", Table::Align::right);
  t.add_column("token", Table::Align::left);
  t.add_column("id", Table::Align::right);
  t.add_column("prob", Table::Align::right);
  t.add_column("logprob", Table::Align::right);
  t.add_column("processed", Table::Align::right);
  t.add_column("alternatives", Table::Align::left);
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const auto& st = s.steps[i];
    std::string alts;
    for (const auto& a : st.top) {
      if (!alts.empty()) alts += "  ";
      alts.append(shown_token(a.token, a.text)).append(" ").append(percent(a.prob));
    }
    t.add_row({std::to_string(i + 1), shown_token(st.token, st.text), std::to_string(st.id), percent(std::exp(st.logprob)),
               fixed(st.logprob, 4), fixed(st.processed_logprob, 4), alts});
  }
  t.write(out);
}

}  // namespace

nlohmann::json to_json(const GenerateResult& r) {
  nlohmann::json seqs = nlohmann::json::array();
  for (const auto& s : r.sequences) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& st : s.steps) steps.push_back(step_json(st));
    seqs.push_back({{"ids", s.ids},
                    {"new_ids", s.new_ids},
                    {"text", s.text},
                    {"score", s.score},
                    {"finish_reason", s.finish_reason},
                    {"steps", steps}});
  }
  nlohmann::json j = {{"text", r.text}, {"input_ids", r.input_ids}, {"mode", r.mode}};
  if (r.seed) j["seed"] = *r.seed;
  j["sequences"] = seqs;
  return j;
}

nlohmann::json stream_event_json(size_t sequence, const GeneratedToken& t, std::string_view delta) {
  return {{"sequence", sequence},  {"id", t.id},           {"token", t.token},
          {"text", t.text},        {"delta", delta},       {"logprob", t.logprob},
          {"processed_logprob", t.processed_logprob}};
}

void write_generate_csv_header(std::ostream& out) {
  out << "text,continuation,sequence,step,kind,rank,id,token,token_text,logprob,processed_logprob\n";
}

void write_generate(std::ostream& out, const GenerateResult& r, OutputFormat format, const TableStyle& style,
                    bool text_streamed, bool show_steps) {
  switch (format) {
    case OutputFormat::json:
      out << dump_json_line(to_json(r)) << '\n';
      break;
    case OutputFormat::csv: {
      const CsvPrecision csv_precision(out);
      for (size_t s = 0; s < r.sequences.size(); ++s) {
        const std::string lead = csv_field(r.text) + ',' + csv_field(r.sequences[s].text) + ',' + std::to_string(s);
        for (size_t i = 0; i < r.sequences[s].steps.size(); ++i) {
          const auto& st = r.sequences[s].steps[i];
          out << lead << ',' << i << ",chosen,," << st.id << ',' << csv_field(st.token) << ',' << csv_field(st.text)
              << ',' << st.logprob << ',' << st.processed_logprob << '\n';
          for (size_t k = 0; k < st.top.size(); ++k)
            out << lead << ',' << i << ",top," << k + 1 << ',' << st.top[k].id << ',' << csv_field(st.top[k].token)
                << ',' << csv_field(st.top[k].text) << ',' << st.top[k].logprob << ",\n";
        }
      }
      break;
    }
    case OutputFormat::table: {
      const bool several = r.sequences.size() > 1;
      for (size_t s = 0; s < r.sequences.size(); ++s) {
        const auto& seq = r.sequences[s];
        if (!text_streamed) {
          if (several) {
            if (style.color) out << "\033[2m";
            out << '[' << s + 1 << "] score " << fixed(seq.score, 4);
            if (style.color) out << "\033[0m";
            out << '\n';
          }
          // The prompt dimmed on a terminal, so that the continuation stands out.
          if (style.color) out << "\033[2m" << r.text << "\033[0m";
          else out << r.text;
          out << seq.text << '\n';
        }
        if (show_steps) {
          out << '\n';
          write_steps(out, seq);
          if (s + 1 < r.sequences.size()) out << '\n';
        } else if (several && s + 1 < r.sequences.size()) {
          out << '\n';
        }
      }
      break;
    }
  }
}

}  // namespace tokprob
