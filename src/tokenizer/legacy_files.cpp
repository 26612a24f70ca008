// Folders without tokenizer.json: the pipelines the slow `transformers` tokenizers amount to,
// built from vocab.json + merges.txt (GPT-2), vocab.txt (BERT) or a SentencePiece model.
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tokenizer/deberta_spm.hpp"
#include "tokenizer/json_fields.hpp"
#include "tokenizer/marian_spm.hpp"
#include "tokenizer/sentencepiece_model.hpp"
#include "tokenizer/tiktoken_file.hpp"
#include "tokenizer/pipeline.hpp"
#include "tokenizer/tokenizer_json_reader.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool file_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file.string() + ": cannot open file");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

// The tokens a config names for its roles, as special tokens matched in the raw text.
void add_role_tokens(Pipeline& impl, const json& config, const json& special_tokens_map) {
  for (const json* source : {&special_tokens_map, &config}) {
    if (!source->is_object()) continue;
    for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token", "mask_token", "cls_token", "sep_token"}) {
      if (!source->contains(key)) continue;
      const json& entry = (*source)[key];
      auto content = token_content(entry);
      if (!content || impl.added.id_of(*content)) continue;
      if (auto id = impl.model->vocab().find(*content)) {
        AddedToken t;
        t.content = *content;
        t.id = *id;
        t.special = true;
        t.normalized = false;
        // Written as an AddedToken object ({"content": ..., "lstrip": true, ...}): its flags hold.
        auto flag = [&entry](const char* k) { return entry.is_object() && entry.contains(k) && entry[k].is_boolean() && entry[k].get<bool>(); };
        t.lstrip = flag("lstrip");
        t.rstrip = flag("rstrip");
        t.single_word = flag("single_word");
        impl.added.add(t);
      }
    }
  }
}

std::optional<std::string> role_content(const json& config, const json& special_tokens_map, const char* key) {
  for (const json* source : {&config, &special_tokens_map})
    if (source->is_object() && source->contains(key))
      if (auto content = token_content((*source)[key])) return content;
  return std::nullopt;
}

std::optional<TemplateToken> role_token(const Pipeline& impl, const json& config, const json& special_tokens_map,
                                        const char* key) {
  for (const json* source : {&config, &special_tokens_map}) {
    if (!source->is_object() || !source->contains(key)) continue;
    if (auto content = token_content((*source)[key]))
      if (auto id = impl.token_to_id(*content)) return TemplateToken{*content, *id};
  }
  return std::nullopt;
}

void load_gpt2(Pipeline& impl, const fs::path& dir, const json& config) {
  const fs::path vocab_file = dir / "vocab.json";
  Vocab vocab = read_vocab_json(read_file(vocab_file.string()), vocab_file.string());
  const fs::path merges_file = dir / "merges.txt";
  std::vector<std::pair<std::string, std::string>> merges;
  for (const auto& line : read_lines(merges_file)) {
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    const size_t space = line.find(' ', 1);
    if (space == std::string::npos) fail(merges_file.string() + ": line \"" + line + "\" is not two tokens");
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  BpeOptions o;
  impl.model = make_bpe(std::move(vocab), merges, o, merges_file.string());
  impl.bpe_model = true;
  impl.pre_tokenizer = make_byte_level_pre_tokenizer(json_bool(config, "add_prefix_space", false), true);
  impl.decoder = make_byte_level_decoder();
}

void load_bert(Pipeline& impl, const fs::path& dir, const json& config) {
  const fs::path vocab_file = dir / "vocab.txt";
  Vocab vocab;
  int32_t id = 0;
  for (auto& line : read_lines(vocab_file)) vocab.add(std::move(line), id++);
  if (vocab.size() == 0) fail(vocab_file.string() + ": empty vocabulary");
  std::string unk = "[UNK]";
  if (config.is_object() && config.contains("unk_token"))
    if (auto c = token_content(config["unk_token"])) unk = *c;
  impl.model = make_wordpiece(std::move(vocab), unk, "##", 100, vocab_file.string());
  BertNormalizerOptions o;
  o.lowercase = json_bool(config, "do_lower_case", true);
  o.handle_chinese_chars = json_bool(config, "tokenize_chinese_chars", true);
  o.strip_accents = config.is_object() && config.contains("strip_accents") && config["strip_accents"].is_boolean()
                        ? (config["strip_accents"].get<bool>() ? 1 : 0)
                        : -1;
  impl.normalizer = make_bert_normalizer(o);
  impl.pre_tokenizer = make_bert_pre_tokenizer();
  impl.decoder = make_wordpiece_decoder("##", true);
}

SentencePieceFiles load_sentencepiece_folder(Pipeline& impl, const fs::path& model_file, const json& config) {
  SentencePieceFiles sp = load_sentencepiece(model_file);
  impl.model = std::move(sp.model);
  const std::string cls = json_string(config, "tokenizer_class", model_file.filename() == "spiece.model" ? "T5Tokenizer" : "LlamaTokenizer");
  const bool t5 = cls.rfind("T5Tokenizer", 0) == 0;
  if (t5 && !(config.is_object() && config.contains("added_tokens_decoder"))) {
    // Without a list of added tokens, T5Tokenizer's <extra_id_N> sit above the SentencePiece
    // pieces in reverse order: <extra_id_0> is the last id.
    const int64_t extra = config.is_object() && config.contains("extra_ids") && config["extra_ids"].is_number_integer()
                              ? config["extra_ids"].get<int64_t>()
                              : 100;
    // T5 has 100; a huge count would add tokens without end (and overflow the ids).
    if (extra < 0 || sp.piece_count + extra > kMaxVocabId)
      fail((model_file.parent_path() / "tokenizer_config.json").string() + ": \"extra_ids\" " + std::to_string(extra) +
           " is out of range");
    for (int64_t n = 0; n < extra; ++n) {
      AddedToken t;
      t.content = "<extra_id_" + std::to_string(n) + ">";
      t.id = static_cast<int32_t>(sp.piece_count + extra - 1 - n);
      t.special = true;
      t.lstrip = t.rstrip = true;
      t.normalized = false;
      impl.added.add(t);
    }
  }
  return sp;
}

// The token lists that the slow tokenizer's decode treats specially.
SlowDecodeRules slow_decode_rules(const Pipeline& impl, const json& config, const json& special_tokens_map, bool t5,
                                  int piece_count) {
  SlowDecodeRules rules;
  rules.t5 = t5;
  rules.legacy = json_bool(config, "legacy", true);
  rules.add_prefix_space = json_bool(config, "add_prefix_space", true);
  rules.spaces_between_special_tokens = json_bool(config, "spaces_between_special_tokens", true);
  std::vector<std::string> additional;
  for (const json* source : {&config, &special_tokens_map}) {
    if (!source->is_object()) continue;
    for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"})
      if (source->contains(key))
        if (auto c = token_content((*source)[key])) rules.special_tokens.push_back(*c);
    if (source->contains("additional_special_tokens") && (*source)["additional_special_tokens"].is_array())
      for (const auto& a : (*source)["additional_special_tokens"])
        if (auto c = token_content(a)) additional.push_back(*c);
  }
  rules.special_tokens.insert(rules.special_tokens.end(), additional.begin(), additional.end());
  auto is_special = [&](const std::string& t) {
    for (const auto& s : rules.special_tokens)
      if (s == t) return true;
    return false;
  };
  for (const auto& t : impl.added.tokens())
    if (!is_special(t.content) || (t.id >= piece_count && std::find(additional.begin(), additional.end(), t.content) != additional.end()))
      rules.legacy_added_tokens.push_back(t.content);
  return rules;
}

}  // namespace

static std::unique_ptr<Pipeline> load_legacy_files_unguarded(const fs::path& dir, const TokenizerOptions& options) {
  const json config = [&] {
    json c = read_optional_json(dir / "tokenizer_config.json");
    // from_pretrained's keyword arguments override the config's entries of the same name.
    if (options.add_prefix_space) {
      if (!c.is_object()) c = json::object();
      c["add_prefix_space"] = *options.add_prefix_space;
    }
    return c;
  }();
  const json special_tokens_map = read_optional_json(dir / "special_tokens_map.json");
  auto impl = std::make_unique<Pipeline>();
  enum class Kind { gpt2, bert, sentencepiece } kind;
  fs::path spm_file;
  SentencePieceFiles spm_files;
  if (file_exists(dir / "vocab.json") && file_exists(dir / "merges.txt")) {
    kind = Kind::gpt2;
    load_gpt2(*impl, dir, config);
  } else if (file_exists(dir / "vocab.txt")) {
    kind = Kind::bert;
    load_bert(*impl, dir, config);
  } else if (file_exists(dir / "spiece.model") || file_exists(dir / "tokenizer.model")) {
    kind = Kind::sentencepiece;
    spm_file = file_exists(dir / "spiece.model") ? dir / "spiece.model" : dir / "tokenizer.model";
    spm_files = load_sentencepiece_folder(*impl, spm_file, config);
  } else {
    fail(dir.string() + ": no tokenizer files (tokenizer.json, vocab.json + merges.txt, vocab.txt, spiece.model or tokenizer.model)");
  }

  // Slow tokenizers match every added token in the raw text.
  add_config_added_tokens(impl->added, config);
  if (const json added_file = read_optional_json(dir / "added_tokens.json"); added_file.is_object()) {
    for (const auto& [content, id] : added_file.items()) {
      if (!id.is_number_integer() || impl->added.id_of(content)) continue;
      AddedToken t;
      t.content = content;
      t.id = id.get<int32_t>();
      t.special = true;
      t.normalized = false;
      impl->added.add(t);
    }
  }
  add_role_tokens(*impl, config, special_tokens_map);
  // RobertaTokenizer (and its byte-level BPE relatives) on vocab.json + merges.txt: <s> A </s>
  // around each text, and a mask token that absorbs the spaces before it when the config names it
  // by a plain string (the tokenizer's constructor then makes it lstrip).
  const std::string gpt2_class = kind == Kind::gpt2 ? json_string(config, "tokenizer_class", "GPT2Tokenizer") : "";
  const bool roberta = kind == Kind::gpt2 && (gpt2_class.rfind("Roberta", 0) == 0 || gpt2_class.rfind("Bart", 0) == 0 ||
                                              gpt2_class.rfind("Longformer", 0) == 0);
  std::optional<std::string> lstrip_mask;
  if (roberta && !(config.is_object() && config.contains("added_tokens_decoder"))) {
    bool written_as_object = false;
    for (const json* source : {&config, &special_tokens_map})
      if (source->is_object() && source->contains("mask_token") && (*source)["mask_token"].is_object()) written_as_object = true;
    if (!written_as_object) lstrip_mask = role_content(config, special_tokens_map, "mask_token").value_or("<mask>");
  }
  {
    std::vector<AddedToken> raw = impl->added.tokens();
    AddedVocabulary rebuilt;
    for (auto& t : raw) {
      t.normalized = false;
      if (lstrip_mask && t.content == *lstrip_mask) t.lstrip = true;
      rebuilt.add(t);
    }
    impl->added = std::move(rebuilt);
  }
  impl->added.build(impl->normalizer.get());

  const auto bos = role_token(*impl, config, special_tokens_map, "bos_token");
  const auto eos = role_token(*impl, config, special_tokens_map, "eos_token");
  switch (kind) {
    case Kind::gpt2:
      if (roberta) {
        const auto cls = role_token(*impl, config, special_tokens_map, "cls_token");
        const auto sep = role_token(*impl, config, special_tokens_map, "sep_token");
        const TemplateToken c = cls.value_or(TemplateToken{"<s>", impl->token_to_id("<s>").value_or(0)});
        const TemplateToken s = sep.value_or(TemplateToken{"</s>", impl->token_to_id("</s>").value_or(2)});
        impl->post_processor = make_template_processor({c.token, "$A", s.token}, {c.token, "$A", s.token, s.token, "$B", s.token},
                                                       {c, s}, dir.string());
      } else if (json_bool(config, "add_bos_token", false)) {
        impl->post_processor = make_bos_eos_processor(bos, std::nullopt, false);
      }
      break;
    case Kind::bert: {
      const auto cls = role_token(*impl, config, special_tokens_map, "cls_token");
      const auto sep = role_token(*impl, config, special_tokens_map, "sep_token");
      std::vector<TemplateToken> specials;
      TemplateToken c = cls.value_or(TemplateToken{"[CLS]", impl->token_to_id("[CLS]").value_or(101)});
      TemplateToken s = sep.value_or(TemplateToken{"[SEP]", impl->token_to_id("[SEP]").value_or(102)});
      impl->post_processor = make_template_processor({c.token, "$A", s.token}, {c.token, "$A", s.token, "$B:1", s.token + ":1"},
                                                     {c, s}, dir.string());
      break;
    }
    case Kind::sentencepiece: {
      const std::string cls = json_string(config, "tokenizer_class", spm_file.filename() == "spiece.model" ? "T5Tokenizer" : "LlamaTokenizer");
      const bool t5 = cls.rfind("T5Tokenizer", 0) == 0;
      const bool llama = cls.rfind("LlamaTokenizer", 0) == 0;
      const bool add_bos = json_bool(config, "add_bos_token", llama);
      const bool add_eos = json_bool(config, "add_eos_token", t5);
      // transformers 5 converts T5's model to Unigram and LlamaTokenizer's (and its kin's) to BPE.
      impl->bpe_model = !t5;
      impl->post_processor = make_bos_eos_processor(add_bos ? bos : std::nullopt, add_eos ? eos : std::nullopt, t5);
      use_slow_decode_rules(spm_files, slow_decode_rules(*impl, config, special_tokens_map, t5, spm_files.piece_count));
      impl->decoder = std::move(spm_files.decoder);
      break;
    }
  }
  apply_folder_config(*impl, config, special_tokens_map);
  impl->add_special_tokens = options.add_special_tokens;
  return impl;
}

std::unique_ptr<Pipeline> load_legacy_files(const fs::path& dir, const TokenizerOptions& options) {
  try {
    if (is_marian_folder(dir)) return load_marian(dir, options);
    if (auto tiktoken = tiktoken_file_of(dir))
      return load_tokenizer_document(tiktoken_document(*tiktoken, read_optional_json(dir / "tokenizer_config.json")),
                                     tiktoken->string(), dir, options);
    // DeBERTa-v2/v3 ship spm.model, which only their tokenizer class reads.
    if (file_exists(dir / "spm.model") && !file_exists(dir / "vocab.txt") && !file_exists(dir / "spiece.model") &&
        !file_exists(dir / "tokenizer.model") && !(file_exists(dir / "vocab.json") && file_exists(dir / "merges.txt")))
      return load_deberta_spm(dir, options);
    return load_legacy_files_unguarded(dir, options);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(dir.string() + ": cannot load the tokenizer files (" + e.what() + ")");
  }
}

}  // namespace tokprob::tok
