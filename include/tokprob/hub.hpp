// Loading by Hugging Face model id, like transformers' from_pretrained (the tokprob::hub library,
// which downloads with libcurl into the Hugging Face cache that Python's huggingface_hub shares).
#pragma once

#include <filesystem>
#include <string>

#include "tokprob/model.hpp"

namespace tokprob {

// `name` is a model folder (used as it is when it exists) or a model id: "name", "org/name" or
// "org/name@revision" (options.revision, when set, wins over "@revision"). An id is looked up in
// the Hugging Face cache and what tokprob reads is downloaded when missing ($HF_HOME,
// $HF_HUB_CACHE, $HF_TOKEN, $HF_ENDPOINT, HF_HUB_OFFLINE=1 as huggingface_hub reads them).
Model load(const std::string& name, const LoadOptions& options = {});

// The folder `name` stands for, after downloading what it lacks (tokenizer files only when
// `tokenizer_only`).
std::filesystem::path resolve_model_folder(const std::string& name, const std::string& revision = "",
                                           bool tokenizer_only = false);

}  // namespace tokprob
