// tokprob::load: a model folder or a Hugging Face model id (tokprob/hub.hpp).
#include "io/hub.hpp"
#include "tokprob/hub.hpp"

namespace tokprob {

std::filesystem::path resolve_model_folder(const std::string& name, const std::string& revision, bool tokenizer_only) {
  return resolve_model(name, tokenizer_only ? HubFiles::tokenizer : HubFiles::model, revision);
}

Model load(const std::string& name, const LoadOptions& options) {
  return load_folder(resolve_model_folder(name, options.revision), options);
}

}  // namespace tokprob
