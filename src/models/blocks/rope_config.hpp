// RoPE settings from config.json, in either spelling transformers reads: `rope_scaling` (with
// `type` or `rope_type`) beside top-level `rope_theta`, or 5.x's `rope_parameters` holding both.
#pragma once

#include <cstdint>

#include "io/config.hpp"
#include "kernels/rope.hpp"

namespace tokprob {

// head_dim: of the attention heads; the rotary part is head_dim * partial_rotary_factor (or
// rotary_pct). Throws naming config.json for an unknown rope type, a key the type does not read, or
// a missing or bad value.
RopeParams read_rope_params(const Config& config, int64_t head_dim);

}  // namespace tokprob
