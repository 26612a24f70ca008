// The whole public C++ API of tokprob::core: load a model folder, ask it a task.
//
//   tokprob::Model model = tokprob::load_folder("path/to/gpt2");
//   std::vector<std::string> texts = {"This weekend I plan to"};
//   std::vector<tokprob::NextResult> results = tokprob::next(model, texts);
//   for (const tokprob::TokenScore& t : results[0].top) ...
//
// Models by Hugging Face id: tokprob/hub.hpp (the tokprob::hub library).
#pragma once

#include "tokprob/chat_reply.hpp"
#include "tokprob/chat_template.hpp"
#include "tokprob/classify.hpp"
#include "tokprob/compare.hpp"
#include "tokprob/error.hpp"
#include "tokprob/fill_mask.hpp"
#include "tokprob/generate.hpp"
#include "tokprob/load_options.hpp"
#include "tokprob/logits.hpp"
#include "tokprob/model.hpp"
#include "tokprob/next.hpp"
#include "tokprob/result_json.hpp"
#include "tokprob/score.hpp"
#include "tokprob/seq2seq.hpp"
#include "tokprob/token_score.hpp"
#include "tokprob/word_boundaries.hpp"
#include "tokprob/tokenizer.hpp"
#include "tokprob/weight_format.hpp"
