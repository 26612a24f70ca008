#include "models/encoder_info_config.hpp"

namespace tokprob {

EncoderInfo encoder_info_from_config(const Config& config, EncoderHead head) {
  EncoderInfo info;
  info.model_type = config.model_type();
  info.architecture = config.first_architecture();
  info.head = head;
  info.vocab_size = config.get_size("vocab_size");
  return info;
}

}  // namespace tokprob
