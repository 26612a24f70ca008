// What every bidirectional encoder (BERT, DistilBERT, RoBERTa) offers the tasks: one forward
// pass over a ragged batch of whole sequences, returning masked-LM logits for the positions asked
// for and classification logits per sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tokprob {

// Which output layer a checkpoint was loaded with.
enum class EncoderHead { masked_lm, sequence_classification };

struct EncoderInfo {
  std::string model_type;         // config.json "model_type", e.g. "bert"
  std::string architecture;       // e.g. "BertForMaskedLM"
  EncoderHead head = EncoderHead::masked_lm;
  int64_t vocab_size = 0;         // rows of the word embeddings (and of the MLM projection)
  int64_t max_positions = 0;      // longest sequence the model takes
  int64_t type_vocab_size = 0;    // token type (segment) ids accepted; 0: the model has none
  std::optional<int32_t> pad_token_id;
  // Sequence classifiers: label names by id (config.json id2label; "LABEL_i" where absent) and
  // config.json problem_type ("" when absent).
  std::vector<std::string> labels;
  std::string problem_type;
};

struct EncoderSequence {
  std::span<const int32_t> ids;
  std::span<const int32_t> type_ids;      // empty: all 0
  std::vector<int64_t> mlm_logits_for;    // indices into `ids` whose masked-LM logits are wanted
};

struct EncoderOutput {
  // [sum of mlm_logits_for sizes, vocab_size], sequence after sequence, in mlm_logits_for order.
  std::vector<float> mlm_logits;
  // [number of sequences, labels.size()]; empty for a masked LM.
  std::vector<float> class_logits;
};

class EncoderModel {
 public:
  virtual ~EncoderModel() = default;
  virtual const EncoderInfo& info() const = 0;
  // Runs every sequence as one batch with no padding: sequences are packed row after row and each
  // attends only within itself, so a batch gives exactly the numbers of its sequences run alone.
  // Throws tokprob::Error for an empty sequence, one longer than max_positions, an id or type id
  // outside its vocabulary, or MLM rows asked of a classifier.
  virtual EncoderOutput forward(std::span<const EncoderSequence> sequences) const = 0;
};

}  // namespace tokprob
