// The public JSON text of results (tokprob/result_json.hpp): the formatters' objects, dumped.
#include "tokprob/result_json.hpp"

#include "format/classify_output.hpp"
#include "format/compare_output.hpp"
#include "format/fill_mask_output.hpp"
#include "format/generate_output.hpp"
#include "format/next_output.hpp"
#include "format/score_output.hpp"
#include "format/seq2seq_output.hpp"
#include "format/token_json.hpp"

namespace tokprob {

std::string to_json_text(const NextResult& r) { return dump_json_line(to_json(r)); }
std::string to_json_text(const ScoreResult& r) { return dump_json_line(to_json(r)); }
std::string to_json_text(const GenerateResult& r) { return dump_json_line(to_json(r)); }
std::string to_json_text(const FillMaskResult& r) { return dump_json_line(to_json(r)); }
std::string to_json_text(const ClassifyResult& r) { return dump_json_line(to_json(r)); }
std::string to_json_text(const Seq2SeqResult& r) { return dump_json_line(to_json(r)); }
std::string to_json_text(const CompareResult& r) { return dump_json_line(to_json(r)); }
std::string stream_event_json_text(size_t sequence, const GeneratedToken& token, std::string_view delta) {
  return dump_json_line(stream_event_json(sequence, token, delta));
}

}  // namespace tokprob
