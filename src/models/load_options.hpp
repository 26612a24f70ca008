// How a model is loaded: the public options (tokprob/load_options.hpp), with the packed-weight
// cache the loaders fill in.
#pragma once

#include "kernels/packed_weight_cache.hpp"
#include "tokprob/load_options.hpp"
