// The public Tokenizer: the encode pipeline (added tokens -> normalizer -> pre-tokenizer -> model
// -> post-processor) and decoding, over the stages in tokenizer_impl.hpp.
#include "tokprob/tokenizer.hpp"

#include "tokenizer/pipeline.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

using tok::NormalizedString;

// The pipeline behind the public class (the public header only names Impl).
struct Tokenizer::Impl : tok::Pipeline {
  explicit Impl(tok::Pipeline&& p) : tok::Pipeline(std::move(p)) {}
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_folder(const std::filesystem::path& dir, const TokenizerOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail(dir.string() + ": no such model folder");
  if (std::filesystem::exists(dir / "tokenizer.json", ec)) return from_tokenizer_json(dir / "tokenizer.json", options);
  return Tokenizer(std::make_unique<Impl>(std::move(*tok::load_legacy_files(dir, options))));
}

bool Tokenizer::folder_has_tokenizer(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const char* f : {"tokenizer.json", "vocab.txt", "spiece.model", "tokenizer.model", "spm.model", "tiktoken.model", "source.spm"})
    if (std::filesystem::exists(dir / f, ec)) return true;
  return std::filesystem::exists(dir / "vocab.json", ec) && std::filesystem::exists(dir / "merges.txt", ec);
}

Tokenizer Tokenizer::from_tokenizer_json(const std::filesystem::path& file, const TokenizerOptions& options) {
  return Tokenizer(std::make_unique<Impl>(std::move(*tok::load_tokenizer_json(file, options))));
}

Tokenizer Tokenizer::from_legacy_files(const std::filesystem::path& dir, const TokenizerOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail(dir.string() + ": no such model folder");
  return Tokenizer(std::make_unique<Impl>(std::move(*tok::load_legacy_files(dir, options))));
}

std::optional<int32_t> tok::Pipeline::token_to_id(std::string_view token) const {
  if (auto id = added.id_of(std::string(token))) return id;
  return model->vocab().find(token);
}

const std::string* tok::Pipeline::id_to_token(int32_t id) const {
  if (const auto* t = added.by_id(id)) return &t->content;
  return model->vocab().token(id);
}

Encoding tok::Pipeline::encode_one(std::string_view input) const {
  const NormalizedString whole = NormalizedString::from_input(tok::decode_utf8(input));
  struct Split {
    NormalizedString text;
    std::optional<size_t> added_token;
  };
  std::vector<Split> splits;
  for (const auto& raw : added.split(whole.text, false)) {
    NormalizedString piece = whole.slice(raw.begin, raw.end);
    if (raw.token) {
      splits.push_back({std::move(piece), raw.token});
      continue;
    }
    if (normalizer) normalizer->normalize(piece);
    for (const auto& m : added.split(piece.text, true)) splits.push_back({piece.slice(m.begin, m.end), m.token});
  }

  Encoding enc;
  auto push = [&](int32_t id, std::string token, tok::Span span, bool special) {
    enc.ids.push_back(id);
    enc.tokens.push_back(std::move(token));
    enc.offsets.emplace_back(span.begin, span.end);
    enc.special_mask.push_back(special ? 1 : 0);
  };
  std::vector<NormalizedString> pieces;
  std::vector<size_t> char_of_byte;
  for (auto& split : splits) {
    if (split.added_token) {
      const auto& t = added.tokens()[*split.added_token];
      push(t.id, split.text.utf8(), split.text.original, t.special);
      continue;
    }
    if (split.text.empty()) continue;
    pieces.clear();
    pieces.push_back(std::move(split.text));
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
    for (const auto& piece : pieces) {
      const std::string utf8 = piece.utf8();
      // Model offsets are bytes of the piece; a token that covers part of a code point
      // (byte fallback) is reported over the whole code point, as Python's offsets are.
      char_of_byte.assign(utf8.size() + 1, 0);
      for (size_t i = 0, c = 0; i < utf8.size(); ++i) {
        if (i > 0 && (static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80) ++c;
        char_of_byte[i] = c;
      }
      for (auto& t : model->tokenize(utf8)) {
        const size_t cb = t.begin < utf8.size() ? char_of_byte[t.begin] : piece.text.size();
        const size_t ce = t.end > t.begin ? char_of_byte[t.end - 1] + 1 : cb;
        push(t.id, std::move(t.value), piece.original_of(cb, ce), false);
      }
    }
  }
  enc.type_ids.assign(enc.ids.size(), 0);
  return enc;
}

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<Encoding> parts;
  parts.push_back(impl_->encode_one(text));
  if (impl_->post_processor) impl_->post_processor->process(parts, add_special_tokens && impl_->add_special_tokens);
  return tok::merge_encodings(parts);
}

Encoding Tokenizer::encode_target(std::string_view text, bool add_special_tokens) const {
  if (!impl_->target) return encode(text, add_special_tokens);
  const tok::Pipeline& t = *impl_->target;
  std::vector<Encoding> parts;
  parts.push_back(t.encode_one(text));
  if (t.post_processor) t.post_processor->process(parts, add_special_tokens && t.add_special_tokens);
  return tok::merge_encodings(parts);
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second, bool add_special_tokens) const {
  std::vector<Encoding> parts;
  parts.push_back(impl_->encode_one(first));
  parts.push_back(impl_->encode_one(second));
  if (impl_->post_processor) {
    impl_->post_processor->process(parts, add_special_tokens && impl_->add_special_tokens);
  } else {
    parts[1].type_ids.assign(parts[1].ids.size(), 1);
  }
  return tok::merge_encodings(parts);
}

namespace {
// The pipeline whose vocabulary and decoder read output ids.
const tok::Pipeline& output_side(const tok::Pipeline& p) { return p.target ? *p.target : p; }
}  // namespace

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  const tok::Pipeline& out = output_side(*impl_);
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (skip_special_tokens && out.added.is_special(id)) continue;
    // Ids outside the vocabulary are dropped, as `tokenizers` does.
    if (const std::string* t = out.id_to_token(id)) tokens.push_back(*t);
  }
  std::string text;
  if (out.decoder) {
    out.decoder->decode_chain(tokens, false);
    for (const auto& t : tokens) text += t;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) text += ' ';
      text += tokens[i];
    }
  }
  if (out.clean_up_tokenization_spaces) text = tok::clean_up_tokenization(std::move(text));
  return text;
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (const std::string* t = output_side(*impl_).id_to_token(id)) return *t;
  fail("token id " + std::to_string(id) + " is outside the vocabulary (size " + std::to_string(vocab_size()) + ")");
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const { return impl_->token_to_id(token); }

std::string Tokenizer::token_text(int32_t id) const {
  const tok::Pipeline& out = output_side(*impl_);
  if (const auto* t = out.added.by_id(id); t && t->special) return t->content;
  std::vector<std::string> tokens{id_to_token(id)};
  if (!out.decoder) return tokens.front();
  out.decoder->decode_chain(tokens, true);
  std::string text;
  for (const auto& t : tokens) text += t;
  return text;
}

size_t Tokenizer::vocab_size() const {
  const auto& v = impl_->model->vocab();
  size_t n = v.size();
  for (const auto& t : impl_->added.tokens())
    if (!v.token(t.id)) ++n;
  return n;
}

bool Tokenizer::is_special(int32_t id) const { return impl_->added.is_special(id); }

const SpecialTokens& Tokenizer::special_tokens() const { return impl_->roles; }

}  // namespace tokprob
