#include <algorithm>

#include "api/model_impl.hpp"
#include "io/cache_home.hpp"
#include "io/generation_defaults.hpp"
#include "kernels/linear.hpp"
#include "models/registry.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

const char* model_kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::causal_lm: return "causal-lm";
    case ModelKind::masked_lm: return "masked-lm";
    case ModelKind::sequence_classifier: return "classifier";
    case ModelKind::seq2seq_lm: return "seq2seq";
  }
  return "?";
}

ModelKind parse_model_kind(const std::string& name) {
  for (ModelKind k : {ModelKind::causal_lm, ModelKind::masked_lm, ModelKind::sequence_classifier, ModelKind::seq2seq_lm})
    if (name == model_kind_name(k)) return k;
  option_error("kind", "must be causal-lm, masked-lm, classifier or seq2seq, got '" + name + "'");
}

const char* task_name(Task task) {
  switch (task) {
    case Task::next: return "next";
    case Task::score: return "score";
    case Task::generate: return "generate";
    case Task::fill_mask: return "fill-mask";
    case Task::classify: return "classify";
    case Task::seq2seq: return "seq2seq";
  }
  return "?";
}

namespace {

std::vector<Task> tasks_of(ModelKind kind) {
  switch (kind) {
    case ModelKind::causal_lm: return {Task::next, Task::score, Task::generate};
    case ModelKind::masked_lm: return {Task::fill_mask};
    case ModelKind::sequence_classifier: return {Task::classify};
    case ModelKind::seq2seq_lm: return {Task::seq2seq};
  }
  return {};
}

std::string describe(const Model::Impl& m) {
  std::string tasks;
  for (Task t : tasks_of(m.kind)) tasks += (tasks.empty() ? "" : ", ") + std::string(task_name(t));
  return m.folder.filename().string() + " is a " + model_kind_name(m.kind) + " model (" +
         (m.architecture.empty() ? m.model_type : m.architecture) + "): it serves " + tasks;
}

void require_task(const Model::Impl& m, Task task) {
  const auto tasks = tasks_of(m.kind);
  if (std::find(tasks.begin(), tasks.end(), task) == tasks.end())
    usage_error(std::string(task_name(task)) + " needs another kind of model: " + describe(m));
}

}  // namespace

const CausalLM& Model::Impl::causal_lm(Task task) const {
  require_task(*this, task);
  return *causal;
}
const EncoderModel& Model::Impl::encoder_model(Task task) const {
  require_task(*this, task);
  return *encoder;
}
const Seq2SeqLM& Model::Impl::seq2seq_lm(Task task) const {
  require_task(*this, task);
  return *seq2seq;
}

Model::Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

ModelKind Model::kind() const { return impl_->kind; }
std::vector<Task> Model::tasks() const { return tasks_of(impl_->kind); }
bool Model::serves(Task task) const {
  const auto tasks = tasks_of(impl_->kind);
  return std::find(tasks.begin(), tasks.end(), task) != tasks.end();
}
void Model::require(Task task) const { require_task(*impl_, task); }
const std::filesystem::path& Model::folder() const { return impl_->folder; }
const std::string& Model::model_type() const { return impl_->model_type; }
const std::string& Model::architecture() const { return impl_->architecture; }
int64_t Model::vocab_size() const { return impl_->vocab_size; }
int64_t Model::max_positions() const { return impl_->max_positions; }
WeightFormat Model::weight_format() const { return impl_->weights; }
const std::vector<std::string>& Model::labels() const { return impl_->labels; }
const std::vector<int32_t>& Model::eos_token_ids() const { return impl_->eos_token_ids; }
const Tokenizer& Model::tokenizer() const { return impl_->tokenizer(); }
bool Model::has_tokenizer() const { return impl_->tokenizer_.has_value(); }

const WordBoundaries& Model::Impl::word_boundaries() const {
  const Tokenizer& tok = tokenizer();
  std::call_once(word_boundaries_once_, [&] { word_boundaries_ = find_word_boundaries(tok); });
  return word_boundaries_;
}

const Tokenizer& Model::Impl::tokenizer() const {
  if (!tokenizer_)
    fail(folder.string() + ": no tokenizer files (tokenizer.json, vocab.json + merges.txt, vocab.txt, spiece.model or "
                           "tokenizer.model): only token ids can be given to this model");
  return *tokenizer_;
}

Model load_folder(const std::filesystem::path& folder, const LoadOptions& options) {
  if (options.threads < 0) option_error("threads", "must be 0 (all cores) or more");
  const Config config = read_model_config(folder);
  const ModelKind kind = options.kind ? *options.kind : model_kind(config);
  LoadOptions load = options;
  if (load.weight_cache_dir.empty()) load.weight_cache_dir = weight_cache_dir_from_environment();
  if (load.tokenizer.cache_dir.empty()) load.tokenizer.cache_dir = load.weight_cache_dir;
  // The tokenizer first: a broken tokenizer file fails before the weights are read.
  std::optional<Tokenizer> tokenizer;
  if (Tokenizer::folder_has_tokenizer(folder)) tokenizer = Tokenizer::from_folder(folder, load.tokenizer);
  if (options.threads > 0) set_num_threads(options.threads);

  auto impl = std::make_shared<Model::Impl>(folder, kind, std::move(tokenizer));
  impl->architecture = config.first_architecture();
  impl->weights = options.weights;
  switch (kind) {
    case ModelKind::causal_lm: {
      impl->causal = load_causal_lm(folder, config, load);
      const ModelInfo& info = impl->causal->info();
      impl->model_type = info.model_type;
      impl->vocab_size = info.vocab_size;
      impl->max_positions = info.max_positions;
      break;
    }
    case ModelKind::masked_lm:
    case ModelKind::sequence_classifier: {
      impl->encoder = kind == ModelKind::masked_lm ? load_masked_lm(folder, config, load)
                                                   : load_sequence_classifier(folder, config, load);
      const EncoderInfo& info = impl->encoder->info();
      impl->model_type = info.model_type;
      impl->vocab_size = info.vocab_size;
      impl->max_positions = info.max_positions;
      impl->labels = info.labels;
      break;
    }
    case ModelKind::seq2seq_lm: {
      impl->seq2seq = load_seq2seq_lm(folder, config, load);
      impl->generation = read_generation_defaults(folder);
      const Seq2SeqInfo& info = impl->seq2seq->info();
      impl->model_type = info.model_type;
      impl->vocab_size = info.vocab_size;
      impl->max_positions = info.max_positions;
      break;
    }
  }
  impl->eos_token_ids = read_eos_token_ids(folder);
  return Model(std::move(impl));
}

}  // namespace tokprob
