// Model names like transformers' from_pretrained: `-m distilgpt2` finds the model in the Hugging
// Face cache (shared with Python's huggingface_hub) or downloads the files tokprob reads into it.
//
// Environment, as huggingface_hub reads it: HF_HOME (default $XDG_CACHE_HOME/huggingface, i.e.
// ~/.cache/huggingface), HF_HUB_CACHE (default $HF_HOME/hub), HF_ENDPOINT (default
// https://huggingface.co), HF_TOKEN (else the file $HF_HOME/token) for gated and private models,
// HF_HUB_OFFLINE=1 for the cache only.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tokprob {

struct HubModelId {
  std::string repo;               // "name" or "org/name"
  std::string revision = "main";  // branch, tag or commit hash
};

// Parses "name", "org/name" or "org/name@revision". nullopt, with the reason in `why`, when
// `text` is not a valid id (characters other than letters, digits, '-', '_', '.'; "..", "--";
// a leading or trailing '-' or '.'; more than one '/'; longer than 96 characters).
std::optional<HubModelId> parse_hub_model_id(std::string_view text, std::string* why = nullptr);

// Which files of a model repository a command reads.
enum class HubFiles {
  model,      // config.json, generation_config.json, the safetensors weights, tokenizer files
  tokenizer,  // config.json and tokenizer files only
};

struct HubSettings {
  std::string endpoint = "https://huggingface.co";
  std::filesystem::path cache_dir;  // the hub cache: folders models--org--name
  std::string token;                // sent as Authorization: Bearer when not empty
  bool offline = false;             // use the cache only
  bool progress = false;            // progress bars on stderr

  // Settings from the environment (see the top of this file); progress when stderr is a terminal.
  static HubSettings from_environment();
};

// The snapshot folder of the model in the cache, after downloading whatever it lacks. Online, one
// HEAD request finds the revision's commit; files already in that commit's snapshot (or known
// absent there) are not asked for again. Without a network answer, a cached snapshot of the
// revision is used as it is. Fails with one line naming the model, file and HTTP status.
std::filesystem::path hub_snapshot(const HubModelId& id, HubFiles files, const HubSettings& settings);

// What -m names: an existing folder is used as it is; otherwise a hub model id (hub_snapshot), at
// `revision` when it is not empty (it wins over the id's "@revision").
std::filesystem::path resolve_model(const std::string& model, HubFiles files, const HubSettings& settings,
                                    const std::string& revision = "");
std::filesystem::path resolve_model(const std::string& model, HubFiles files, const std::string& revision = "");

}  // namespace tokprob
