#include "models/bart_classifier.hpp"

#include <cmath>

#include "kernels/linear_packer.hpp"
#include "models/bart.hpp"
#include "models/blocks/stored_linear.hpp"
#include "models/encoder_decoder.hpp"
#include "models/post_ln_encoder.hpp"
#include "tokprob/error.hpp"

namespace tokprob {

namespace {

class BartClassifier final : public EncoderModel {
 public:
  BartClassifier(const Config& config, Weights weights, const ModelLoadOptions& options)
      : packer_(options.weights, options.packed_cache) {
    const int64_t d = config.get_size("d_model");
    require_head_tensors(weights, config, "sequence-classification",
                         {"classification_head.dense.weight", "classification_head.dense.bias",
                          "classification_head.out_proj.weight", "classification_head.out_proj.bias"});
    info_.labels = read_labels(config);
    info_.problem_type = config.get_string("problem_type", "");
    const int64_t L = static_cast<int64_t>(info_.labels.size());
    dense_ = read_linear(weights, packer_,
                         {"classification_head.dense.weight", "classification_head.dense.bias", d, d, false, ""});
    out_ = read_linear(weights, packer_,
                       {"classification_head.out_proj.weight", "classification_head.out_proj.bias", d, L, false, ""});
    if (!config.has("eos_token_id")) fail(config.file().string() + ": eos_token_id is not set; BART pools at it");
    eos_ = static_cast<int32_t>(config.get_int("eos_token_id"));
    model_ = load_bart(config, std::move(weights), options);
    const Seq2SeqInfo& s = model_->info();
    info_.model_type = s.model_type;
    info_.architecture = s.architecture;
    info_.head = EncoderHead::sequence_classification;
    info_.vocab_size = s.vocab_size;
    info_.max_positions = s.max_positions;
    info_.type_vocab_size = 0;
    info_.pad_token_id = s.pad_token_id;
  }

  const EncoderInfo& info() const override { return info_; }

  EncoderOutput forward(std::span<const EncoderSequence> sequences) const override {
    const int64_t C = model_->info().hidden_size, L = static_cast<int64_t>(info_.labels.size());
    std::vector<std::vector<int32_t>> sources, shifted;
    std::vector<int64_t> pooled;
    for (const auto& seq : sequences) {
      if (!seq.mlm_logits_for.empty()) fail("internal: masked-LM rows asked of a BART classifier");
      sources.emplace_back(seq.ids.begin(), seq.ids.end());
      // The reference pools the decoder's hidden state at the last EOS of the input ids.
      int64_t last = -1;
      for (size_t i = 0; i < seq.ids.size(); ++i)
        if (seq.ids[i] == eos_) last = static_cast<int64_t>(i);
      if (last < 0)
        fail("a " + info_.architecture + " input needs the end-of-sequence token (id " + std::to_string(eos_) +
             ") that it pools at; none is in the text's ids");
      pooled.push_back(last);
      // shift_tokens_right: decoder_start_token_id, then the ids but the last.
      std::vector<int32_t> dec = {model_->info().decoder_start_token_id};
      dec.insert(dec.end(), seq.ids.begin(), seq.ids.end() - 1);
      shifted.push_back(std::move(dec));
    }
    auto states = model_->encode(sources);
    std::vector<DecodeChunk> chunks;
    for (size_t s = 0; s < states.size(); ++s) chunks.push_back({states[s].get(), shifted[s], {pooled[s]}});
    const std::vector<float> h = decode_hidden(*model_, chunks);
    const int64_t S = static_cast<int64_t>(sequences.size());
    std::vector<float> inner(S * C);
    linear(h.data(), S, dense_, inner.data());
    for (float& v : inner) v = std::tanh(v);
    EncoderOutput out;
    out.class_logits.resize(S * L);
    linear(inner.data(), S, out_, out.class_logits.data());
    return out;
  }

 private:
  LinearPacker packer_;
  LinearWeights dense_, out_;
  int32_t eos_ = 0;
  std::unique_ptr<Seq2SeqLM> model_;
  EncoderInfo info_;
};

}  // namespace

std::unique_ptr<EncoderModel> load_bart_classifier(const Config& config, Weights weights, EncoderHead head,
                                                   const ModelLoadOptions& options) {
  if (head != EncoderHead::sequence_classification)
    fail(config.file().string() + ": " + config.model_type() +
         " has no masked-LM head (a BART checkpoint serves seq2seq, or classify when it is a ...ForSequenceClassification)");
  return std::make_unique<BartClassifier>(config, std::move(weights), options);
}

}  // namespace tokprob
