#include "tasks/fill_mask.hpp"
#include "tasks/token_score.hpp"

#include "format/quoted_text.hpp"
#include "generate/distribution.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

struct TargetTokens {
  std::vector<int32_t> ids;
  std::vector<std::string> pieces;
};

// As the pipeline: a vocabulary entry as it is, anything else through the tokenizer.
TargetTokens target_tokens(const Tokenizer& tok, const std::string& target, int64_t vocab_size) {
  if (target.empty()) usage_error("empty target: give the word to score at the mask");
  TargetTokens t;
  if (auto id = tok.token_to_id(target)) {
    t.ids = {*id};
  } else {
    t.ids = tok.encode(target, /*add_special_tokens=*/false).ids;
    if (t.ids.empty()) usage_error("target " + quoted_excerpt(target) + " has no tokens");
  }
  for (int32_t id : t.ids) {
    if (id < 0 || id >= vocab_size)
      fail("target " + quoted_excerpt(target) + " has token id " + std::to_string(id) + " outside the model's vocabulary");
    t.pieces.push_back(tok.id_to_token(id));
  }
  return t;
}

// The text with `id` at input position `at`. One mask: the pipeline's sequence (padding dropped,
// special tokens skipped). Several: the other masks stay visible as the mask token, other special
// tokens are dropped (the pipeline would print [CLS] ... [SEP] there).
std::string filled_sequence(const Tokenizer& tok, const std::vector<int32_t>& ids, size_t n_masks, int64_t at,
                            int32_t id, int32_t mask_id) {
  std::vector<int32_t> filled;
  const auto pad = tok.special_tokens().pad;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t t = static_cast<int64_t>(i) == at ? id : ids[i];
    if (pad && t == *pad) continue;
    if (n_masks > 1 && static_cast<int64_t>(i) != at && t != mask_id && tok.is_special(t)) continue;
    filled.push_back(t);
  }
  return tok.decode(filled, /*skip_special_tokens=*/n_masks == 1);
}

MaskFill make_fill(const Distribution& dist, const Tokenizer& tok, int32_t id, const std::vector<int32_t>& ids,
                   size_t n_masks, int64_t at, int32_t mask_id) {
  MaskFill f;
  f.score = score_token(dist, tok, id);
  // The pipeline's token_str: the token decoded alone, so "##ret" reads "##ret".
  const std::vector<int32_t> one = {id};
  f.score.text = tok.decode(one);
  f.sequence = filled_sequence(tok, ids, n_masks, at, id, mask_id);
  return f;
}

}  // namespace

void validate(const FillMaskOptions& options) {
  if (options.top_k < 1) option_error("top_k", "must be at least 1, got " + std::to_string(options.top_k));
  for (const auto& t : options.targets)
    if (t.empty()) option_error("targets", "must not hold an empty word");
}

std::vector<FillMaskResult> fill_mask(const EncoderModel& model, const Tokenizer& tokenizer,
                                      std::span<const std::string> texts, const FillMaskOptions& options) {
  validate(options);
  const EncoderInfo& info = model.info();
  const int64_t V = info.vocab_size;
  const auto mask = tokenizer.special_tokens().mask;
  if (!mask) fail("the tokenizer has no mask token: fill-mask needs a masked language model's tokenizer");
  const std::string mask_text = tokenizer.id_to_token(*mask);

  std::vector<TargetTokens> targets;
  for (const auto& t : options.targets) targets.push_back(target_tokens(tokenizer, t, V));

  std::vector<FillMaskResult> results;
  for (const auto& text : texts) {
    FillMaskResult r;
    r.text = text;
    r.input_ids = tokenizer.encode(text, /*add_special_tokens=*/true).ids;
    for (size_t i = 0; i < r.input_ids.size(); ++i)
      if (r.input_ids[i] == *mask) r.masks.push_back({static_cast<int64_t>(i), 0, {}, {}});
    if (r.masks.empty()) usage_error("text " + quoted_excerpt(text) + " has no " + mask_text + " token: put " + mask_text +
                                     " where the token to predict goes");
    if (static_cast<int64_t>(r.input_ids.size()) > info.max_positions)
      fail("text " + quoted_excerpt(text) + " has " + std::to_string(r.input_ids.size()) + " tokens, more than the model's " +
           std::to_string(info.max_positions) + " positions");
    results.push_back(std::move(r));
  }

  std::vector<EncoderSequence> batch;
  for (const auto& r : results) {
    EncoderSequence s{r.input_ids, {}, {}};
    for (const auto& m : r.masks) s.mlm_logits_for.push_back(m.position);
    batch.push_back(std::move(s));
  }
  const EncoderOutput out = model.forward(batch);

  size_t row = 0;
  for (auto& r : results) {
    for (auto& m : r.masks) {
      Distribution dist(std::span<const float>(out.mlm_logits).subspan(row++ * V, V));
      m.logsumexp = dist.logsumexp();
      for (const auto& t : dist.top_k(options.top_k))
        m.top.push_back(make_fill(dist, tokenizer, t.id, r.input_ids, r.masks.size(), m.position, *mask));
      for (size_t t = 0; t < targets.size(); ++t) {
        MaskTarget mt;
        mt.target = options.targets[t];
        mt.piece_ids = targets[t].ids;
        mt.pieces = targets[t].pieces;
        mt.whole_word = mt.piece_ids.size() == 1;
        mt.fill = make_fill(dist, tokenizer, mt.piece_ids.front(), r.input_ids, r.masks.size(), m.position, *mask);
        m.targets.push_back(std::move(mt));
      }
    }
  }
  return results;
}

}  // namespace tokprob
