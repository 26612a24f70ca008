// The engine's load options: the public struct holds only what a caller may set; what the engine
// adds (the packed-weight cache, the record of fp32 copies) lives in ModelLoadOptions.
#include "models/load_options.hpp"

#include <gtest/gtest.h>

namespace tokprob::testing {
namespace {

template <class T>
constexpr bool has_packed_cache = requires(T o) { o.packed_cache; };
template <class T>
constexpr bool has_converted_tensors = requires(T o) { o.converted_tensors; };

static_assert(!has_packed_cache<LoadOptions> && !has_converted_tensors<LoadOptions>,
              "the public LoadOptions holds no engine-internal field");
static_assert(has_packed_cache<ModelLoadOptions> && has_converted_tensors<ModelLoadOptions>);

TEST(ModelLoadOptions, KeepsEveryPublicFieldAndStartsWithoutInternals) {
  LoadOptions o(WeightFormat::int8);
  o.weight_cache_dir = "/tmp/some-cache";
  o.threads = 3;
  o.revision = "v1";
  o.tokenizer.add_prefix_space = true;
  o.kind = ModelKind::masked_lm;
  const ModelLoadOptions m = o;
  EXPECT_EQ(m.weights, WeightFormat::int8);
  EXPECT_EQ(m.weight_cache_dir, o.weight_cache_dir);
  EXPECT_EQ(m.threads, 3);
  EXPECT_EQ(m.revision, "v1");
  EXPECT_EQ(m.tokenizer.add_prefix_space, std::optional<bool>(true));
  EXPECT_EQ(m.kind, std::optional<ModelKind>(ModelKind::masked_lm));
  EXPECT_EQ(m.packed_cache, nullptr);
  EXPECT_EQ(m.converted_tensors, nullptr);
  const ModelLoadOptions bf16 = {WeightFormat::bf16};
  EXPECT_EQ(bf16.weights, WeightFormat::bf16);
}

}  // namespace
}  // namespace tokprob::testing
