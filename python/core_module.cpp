// tokprob._core: the Python extension, a thin binding of the public C++ API (include/tokprob/).
// Results cross as the JSON text of the command line's --format json (one encoder for both, so
// Python's to_dict() equals the CLI's output); logits cross as numpy arrays without a copy. The GIL
// is released while the engine computes.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include "tokprob/hub.hpp"
#include "tokprob/result_json.hpp"
#include "tokprob/tokprob.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace tokprob {
namespace {

using Release = nb::call_guard<nb::gil_scoped_release>;

// A float32 [rows, cols] numpy array that owns `values` (moved, not copied).
nb::ndarray<nb::numpy, float, nb::ndim<2>> to_numpy(std::vector<float>&& values, size_t rows, size_t cols) {
  auto* owned = new std::vector<float>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  return nb::ndarray<nb::numpy, float, nb::ndim<2>>(owned->data(), {rows, cols}, owner);
}

std::pair<std::vector<int32_t>, nb::ndarray<nb::numpy, float, nb::ndim<2>>> as_python(Logits&& l) {
  const auto rows = static_cast<size_t>(l.rows), cols = static_cast<size_t>(l.cols);
  return {std::move(l.ids), to_numpy(std::move(l.values), rows, cols)};
}

template <class Result>
std::string json_array(const std::vector<Result>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) out += (i ? "," : "") + to_json_text(results[i]);
  return out + "]";
}

LoadOptions load_options(const std::string& dtype, int threads, const std::string& revision,
                         const std::optional<std::string>& kind, std::optional<bool> add_prefix_space,
                         bool add_special_tokens) {
  LoadOptions o(parse_weight_format(dtype));
  o.tokenizer.add_prefix_space = add_prefix_space;
  o.tokenizer.add_special_tokens = add_special_tokens;
  o.threads = threads;
  o.revision = revision;
  if (kind) o.kind = parse_model_kind(*kind);
  return o;
}

}  // namespace
}  // namespace tokprob

NB_MODULE(_core, m) {
  using namespace tokprob;
  m.doc() = "tokprob's engine (use the tokprob package, not this module)";
  nb::exception<Error>(m, "Error", PyExc_ValueError);

  nb::class_<Encoding>(m, "Encoding")
      .def_ro("ids", &Encoding::ids)
      .def_ro("type_ids", &Encoding::type_ids)
      .def_ro("tokens", &Encoding::tokens)
      .def_ro("offsets", &Encoding::offsets)
      .def_ro("special_mask", &Encoding::special_mask);

  nb::class_<Tokenizer>(m, "Tokenizer")
      .def_static(
          "from_folder",
          [](const std::filesystem::path& folder, std::optional<bool> add_prefix_space, bool add_special_tokens) {
            TokenizerOptions options;
            options.add_prefix_space = add_prefix_space;
            options.add_special_tokens = add_special_tokens;
            return Tokenizer::from_folder(folder, options);
          },
          "folder"_a, "add_prefix_space"_a = nb::none(), "add_special_tokens"_a = true, Release())
      .def("encode", &Tokenizer::encode, "text"_a, "add_special_tokens"_a = true, Release())
      .def("encode_pair", &Tokenizer::encode_pair, "first"_a, "second"_a, "add_special_tokens"_a = true, Release())
      .def("decode", [](const Tokenizer& t, const std::vector<int32_t>& ids, bool skip) { return t.decode(ids, skip); },
           "ids"_a, "skip_special_tokens"_a = false, Release())
      .def("id_to_token", &Tokenizer::id_to_token, "id"_a)
      .def("token_to_id", &Tokenizer::token_to_id, "token"_a)
      .def("token_text", &Tokenizer::token_text, "id"_a)
      .def_prop_ro("vocab_size", &Tokenizer::vocab_size)
      .def("is_special", &Tokenizer::is_special, "id"_a);

  nb::class_<ChatTemplate>(m, "ChatTemplate")
      .def_static("from_folder", &ChatTemplate::from_folder, "folder"_a)
      .def_static("folder_has_template", &ChatTemplate::folder_has_template, "folder"_a)
      .def(nb::init<std::string_view, std::vector<std::pair<std::string, std::string>>>(), "source"_a,
           "special_tokens"_a = std::vector<std::pair<std::string, std::string>>{})
      .def_prop_ro("source", &ChatTemplate::source)
      .def("render_json", &ChatTemplate::render_json, "messages_json"_a, "add_generation_prompt"_a = false,
           "variables_json"_a = "{}", Release());
  m.def(
      "encode_chat_prompt",
      [](const Tokenizer& t, const std::string& rendered) { return encode_chat_prompt(t, rendered); }, "tokenizer"_a,
      "rendered"_a, Release());

  nb::class_<NextOptions>(m, "NextOptions")
      .def(nb::init<>())
      .def_rw("top_k", &NextOptions::top_k)
      .def_rw("position", &NextOptions::position)
      .def_rw("all_positions", &NextOptions::all_positions)
      .def_rw("targets", &NextOptions::targets)
      .def_rw("add_special_tokens", &NextOptions::add_special_tokens);
  nb::class_<ScoreOptions>(m, "ScoreOptions")
      .def(nb::init<>())
      .def_rw("window", &ScoreOptions::window)
      .def_rw("stride", &ScoreOptions::stride)
      .def_rw("top_k", &ScoreOptions::top_k)
      .def_rw("score_first_token", &ScoreOptions::score_first_token)
      .def_rw("token_stats", &ScoreOptions::token_stats)
      .def_rw("words", &ScoreOptions::words)
      .def_prop_rw(
          "word_split", [](const ScoreOptions& o) { return std::string(word_split_name(o.word_split)); },
          [](ScoreOptions& o, const std::string& v) { o.word_split = parse_word_split(v); })
      .def_rw("word_spans", &ScoreOptions::word_spans)
      .def_rw("add_special_tokens", &ScoreOptions::add_special_tokens);
  nb::class_<GenerateOptions>(m, "GenerateOptions")
      .def(nb::init<>())
      .def_rw("max_new_tokens", &GenerateOptions::max_new_tokens)
      .def_rw("do_sample", &GenerateOptions::do_sample)
      .def_rw("temperature", &GenerateOptions::temperature)
      .def_rw("top_k", &GenerateOptions::top_k)
      .def_rw("top_p", &GenerateOptions::top_p)
      .def_rw("min_p", &GenerateOptions::min_p)
      .def_rw("repetition_penalty", &GenerateOptions::repetition_penalty)
      .def_rw("seed", &GenerateOptions::seed)
      .def_rw("num_beams", &GenerateOptions::num_beams)
      .def_rw("num_return_sequences", &GenerateOptions::num_return_sequences)
      .def_rw("length_penalty", &GenerateOptions::length_penalty)
      .def_prop_rw(
          "early_stopping", [](const GenerateOptions& o) { return std::string(early_stopping_name(o.early_stopping)); },
          [](GenerateOptions& o, const std::string& v) { o.early_stopping = parse_early_stopping(v); })
      .def_rw("logprobs", &GenerateOptions::logprobs)
      .def_rw("stop", &GenerateOptions::stop)
      .def_rw("eos_token_ids", &GenerateOptions::eos_token_ids)
      .def_rw("add_special_tokens", &GenerateOptions::add_special_tokens);
  nb::class_<FillMaskOptions>(m, "FillMaskOptions")
      .def(nb::init<>())
      .def_rw("top_k", &FillMaskOptions::top_k)
      .def_rw("targets", &FillMaskOptions::targets);
  nb::class_<ClassifyOptions>(m, "ClassifyOptions")
      .def(nb::init<>())
      .def_prop_rw(
          "function", [](const ClassifyOptions& o) { return std::string(score_function_name(o.function)); },
          [](ClassifyOptions& o, const std::string& v) { o.function = parse_score_function(v); })
      .def_rw("pair", &ClassifyOptions::pair)
      .def_rw("candidate_labels", &ClassifyOptions::candidate_labels)
      .def_rw("hypothesis_template", &ClassifyOptions::hypothesis_template)
      .def_rw("multi_label", &ClassifyOptions::multi_label);
  nb::class_<Seq2SeqOptions>(m, "Seq2SeqOptions")
      .def(nb::init<>())
      .def_rw("top_k", &Seq2SeqOptions::top_k)
      .def_rw("max_new_tokens", &Seq2SeqOptions::max_new_tokens)
      .def_rw("min_new_tokens", &Seq2SeqOptions::min_new_tokens)
      .def_rw("num_beams", &Seq2SeqOptions::num_beams)
      .def_rw("no_repeat_ngram_size", &Seq2SeqOptions::no_repeat_ngram_size)
      .def_rw("length_penalty", &Seq2SeqOptions::length_penalty)
      .def_rw("repetition_penalty", &Seq2SeqOptions::repetition_penalty)
      .def_prop_rw(
          "early_stopping",
          [](const Seq2SeqOptions& o) -> std::optional<std::string> {
            if (!o.early_stopping) return std::nullopt;
            return std::string(early_stopping_name(*o.early_stopping));
          },
          [](Seq2SeqOptions& o, const std::optional<std::string>& v) {
            o.early_stopping = v ? std::optional(parse_early_stopping(*v)) : std::nullopt;
          })
      .def_rw("target", &Seq2SeqOptions::target);

  nb::class_<Model>(m, "Model")
      .def_prop_ro("kind", [](const Model& x) { return std::string(model_kind_name(x.kind())); })
      .def_prop_ro("tasks",
                   [](const Model& x) {
                     std::vector<std::string> out;
                     for (Task t : x.tasks()) out.emplace_back(task_name(t));
                     return out;
                   })
      .def_prop_ro("folder", [](const Model& x) { return x.folder().string(); })
      .def_prop_ro("model_type", &Model::model_type)
      .def_prop_ro("architecture", &Model::architecture)
      .def_prop_ro("vocab_size", &Model::vocab_size)
      .def_prop_ro("max_positions", &Model::max_positions)
      .def_prop_ro("dtype", [](const Model& x) { return std::string(weight_format_name(x.weight_format())); })
      .def_prop_ro("labels", &Model::labels)
      .def_prop_ro("eos_token_ids", &Model::eos_token_ids)
      .def_prop_ro("tokenizer", &Model::tokenizer, nb::rv_policy::reference_internal)
      .def_prop_ro("has_tokenizer", &Model::has_tokenizer)
      .def("next", [](const Model& x, const std::vector<std::string>& texts,
                      const NextOptions& o) { return json_array(next(x, texts, o)); }, Release())
      .def("score", [](const Model& x, const std::vector<std::string>& texts,
                       const ScoreOptions& o) { return json_array(score(x, texts, o)); }, Release())
      .def("compare", [](const Model& x, const Model& performer, const std::vector<std::string>& texts,
                         bool score_first_token) {
             CompareOptions o;
             o.score_first_token = score_first_token;
             return json_array(compare(x, performer, texts, o));
           }, Release())
      .def("score_reply",
           [](const Model& x, const ChatTemplate& t, const std::string& messages_json, const std::string& reply,
              const ScoreOptions& o, const std::string& variables_json) {
             return to_json_text(score_reply(x, t, messages_json, reply, o, variables_json));
           },
           "chat_template"_a, "messages_json"_a, "reply"_a, "options"_a, "variables_json"_a = "{}", Release())
      .def("fill_mask", [](const Model& x, const std::vector<std::string>& texts,
                           const FillMaskOptions& o) { return json_array(fill_mask(x, texts, o)); }, Release())
      .def("classify", [](const Model& x, const std::vector<std::string>& texts,
                          const ClassifyOptions& o) { return json_array(classify(x, texts, o)); }, Release())
      .def("seq2seq", [](const Model& x, const std::vector<std::string>& texts,
                         const Seq2SeqOptions& o) { return json_array(seq2seq(x, texts, o)); }, Release())
      .def(
          "generate",
          [](const Model& x, const std::string& text, const GenerateOptions& o,
             std::function<void(size_t, std::string, std::string)> on_token) {
            GenerateStream stream;
            if (on_token)
              stream = [&](size_t seq, const GeneratedToken& t, std::string_view delta) {
                const std::string event = stream_event_json_text(seq, t, delta);
                nb::gil_scoped_acquire gil;
                on_token(seq, event, std::string(delta));
              };
            return to_json_text(generate(x, text, o, stream));
          },
          "text"_a, "options"_a, "on_token"_a = nb::none(), Release())
      .def(
          "logits",
          [](const Model& x, const std::string& text, bool add_special_tokens) {
            Logits l;
            {
              nb::gil_scoped_release release;
              l = logits(x, text, add_special_tokens);
            }
            return as_python(std::move(l));
          },
          "text"_a, "add_special_tokens"_a = true)
      .def(
          "logits_of_ids",
          [](const Model& x, const std::vector<int32_t>& ids, const std::vector<int32_t>& decoder_ids) {
            Logits l;
            {
              nb::gil_scoped_release release;
              l = logits(x, ids, decoder_ids);
            }
            return as_python(std::move(l));
          },
          "ids"_a, "decoder_ids"_a = std::vector<int32_t>{});

  m.def(
      "load",
      [](const std::string& name, const std::string& dtype, int threads, const std::string& revision,
         const std::optional<std::string>& kind, std::optional<bool> add_prefix_space, bool add_special_tokens) {
        return load(name, load_options(dtype, threads, revision, kind, add_prefix_space, add_special_tokens));
      },
      "name"_a, "dtype"_a = "fp32", "threads"_a = 0, "revision"_a = "", "kind"_a = nb::none(),
      "add_prefix_space"_a = nb::none(), "add_special_tokens"_a = true, Release());
  m.def("version", [] { return std::string(TOKPROB_VERSION); });
  m.def("parse_candidate_labels", &parse_candidate_labels, "comma_separated"_a);
}
