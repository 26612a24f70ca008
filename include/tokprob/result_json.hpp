// Results as JSON text: the objects the command line writes with --format json (one per line) and
// the server answers, for programs that want them without a JSON library of their own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tokprob/classify.hpp"
#include "tokprob/compare.hpp"
#include "tokprob/fill_mask.hpp"
#include "tokprob/generate.hpp"
#include "tokprob/next.hpp"
#include "tokprob/score.hpp"
#include "tokprob/seq2seq.hpp"

namespace tokprob {

// One JSON object on one line, invalid UTF-8 (a token that is part of a character) replaced.
std::string to_json_text(const NextResult& result);
std::string to_json_text(const ScoreResult& result);
std::string to_json_text(const GenerateResult& result);
std::string to_json_text(const FillMaskResult& result);
std::string to_json_text(const ClassifyResult& result);
std::string to_json_text(const Seq2SeqResult& result);
std::string to_json_text(const CompareResult& result);
// One streamed generation event, as generate --stream --format json writes it.
std::string stream_event_json_text(size_t sequence, const GeneratedToken& token, std::string_view delta);

}  // namespace tokprob
