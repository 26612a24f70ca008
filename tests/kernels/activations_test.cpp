// The vectorised activations against the textbook formulas evaluated in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/activations.hpp"
#include "kernels/vector_math.hpp"
#include "kernels/forced_isa.hpp"
#include "tokprob/error.hpp"

namespace tokprob {
namespace {

double reference(Activation a, double x) {
  switch (a) {
    case Activation::gelu_tanh: return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::gelu_erf: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Activation::quick_gelu: return x / (1 + std::exp(-1.702 * x));
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::silu: return x / (1 + std::exp(-x));
    case Activation::tanh: return std::tanh(x);
    case Activation::sigmoid: return 1 / (1 + std::exp(-x));
  }
  return 0;
}

TEST(Activations, MatchFormulasAcrossTheRange) {
  std::vector<float> xs;
  for (int i = -20000; i <= 20000; ++i) xs.push_back(static_cast<float>(i) * 1e-3f);  // [-20, 20]
  for (float v : {-100.0f, -87.0f, 50.0f, 100.0f, 1e-8f, -1e-8f}) xs.push_back(v);
  for (Isa isa : supported_isas())
  for (Activation a : {Activation::gelu_tanh, Activation::gelu_erf, Activation::quick_gelu, Activation::relu,
                       Activation::silu, Activation::tanh, Activation::sigmoid}) {
    const ForcedIsa forced(isa);
    std::vector<float> y = xs;
    apply_activation(a, y.data(), static_cast<int64_t>(y.size()));
    double worst = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double ref = reference(a, xs[i]);
      worst = std::max(worst, std::abs(y[i] - ref) / std::max(1.0, std::abs(ref)));
    }
    EXPECT_LT(worst, 2e-6) << "activation " << static_cast<int>(a) << " on " << isa_name(isa);
  }
}

TEST(Activations, GatedIsActTimesUp) {
  std::vector<float> g = {-2, -0.5f, 0, 0.5f, 3}, u = {1, 2, 3, 4, 5}, out(5);
  gated_activation(Activation::silu, g.data(), u.data(), out.data(), 5);
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(out[i], reference(Activation::silu, g[i]) * u[i], 1e-5);
}

TEST(Activations, ExpIsAccurate) {
  for (float x = -80; x < 80; x += 0.37f) {
    const double ref = std::exp(static_cast<double>(x));
    EXPECT_NEAR(vmath::exp(x) / ref, 1.0, 3e-7) << x;
  }
}

// The reference's GELU takes an erf within about an ulp: one ten ulps off near 1 made tokprob's
// GELU step round worse than torch's on 88 % of drawn models (against float64, in the
// differential tests' ill-conditioned DistilBERT configurations). Near 1 an ulp is 6e-8.
TEST(Activations, ErfIsWithinAFewUlpsOfOne) {
  double worst = 0;
  float at = 0;
  for (int i = -600000; i <= 600000; ++i) {
    const float x = static_cast<float>(i) * 1e-5f;  // [-6, 6]
    const double err = std::abs(vmath::erf(x) - std::erf(static_cast<double>(x)));
    if (err > worst) {
      worst = err;
      at = x;
    }
  }
  EXPECT_LT(worst, 1.5e-7) << "at x = " << at;
}

TEST(Activations, GeluErfIsWithinAFewUlps) {
  std::vector<float> xs;
  for (int i = -60000; i <= 60000; ++i) xs.push_back(static_cast<float>(i) * 1e-4f);  // [-6, 6]
  for (Isa isa : supported_isas()) {
    const ForcedIsa forced(isa);
    std::vector<float> y = xs;
    apply_activation(Activation::gelu_erf, y.data(), static_cast<int64_t>(y.size()));
    double worst = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double ref = reference(Activation::gelu_erf, xs[i]);
      worst = std::max(worst, std::abs(y[i] - ref) / std::max(1.0, std::abs(ref)));
    }
    EXPECT_LT(worst, 1.5e-7) << isa_name(isa);
  }
}

// A corrupt checkpoint or config can put NaN or infinities into the activations: they must stay
// defined (no float-to-int conversion of NaN: UBSan checks it) and NaN must reach the logits.
TEST(Activations, NonFiniteInputsPropagate) {
  const float inf = std::numeric_limits<float>::infinity();
  for (Isa isa : supported_isas()) {
    const ForcedIsa forced(isa);
    for (Activation a : {Activation::gelu_tanh, Activation::gelu_erf, Activation::quick_gelu, Activation::relu,
                         Activation::silu, Activation::tanh, Activation::sigmoid}) {
      std::vector<float> y(19, std::numeric_limits<float>::quiet_NaN());  // past one vector width
      apply_activation(a, y.data(), static_cast<int64_t>(y.size()));
      for (float v : y) EXPECT_TRUE(std::isnan(v)) << "activation " << static_cast<int>(a) << " on " << isa_name(isa);
    }
    std::vector<float> y(17, inf);
    y[16] = -inf;
    apply_activation(Activation::sigmoid, y.data(), 17);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_LT(y[16], 1e-37f);  // exp saturates at e^88: 1 / (1 + e^88), not 0
    EXPECT_GE(y[16], 0.0f);
    std::fill(y.begin(), y.end() - 1, inf);
    y[16] = -inf;
    apply_activation(Activation::tanh, y.data(), 17);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[16], -1.0f);
    std::fill(y.begin(), y.end() - 1, inf);
    y[16] = -inf;
    apply_activation(Activation::silu, y.data(), 17);
    EXPECT_EQ(y[0], inf);
    std::fill(y.begin(), y.end() - 1, inf);
    y[16] = -inf;
    apply_activation(Activation::relu, y.data(), 17);
    EXPECT_EQ(y[0], inf);
    EXPECT_EQ(y[16], 0.0f);
  }
  EXPECT_TRUE(std::isnan(vmath::exp(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::isnan(vmath::erf(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(vmath::erf(inf), 1.0f);
  EXPECT_EQ(vmath::erf(-inf), -1.0f);
  EXPECT_EQ(vmath::exp(-inf), vmath::exp(-87.3f));
}

TEST(Activations, UnknownNameIsAnError) {
  EXPECT_EQ(parse_activation("gelu_new", "cfg"), Activation::gelu_tanh);
  EXPECT_EQ(parse_activation("gelu", "cfg"), Activation::gelu_erf);
  EXPECT_THROW(parse_activation("swoosh", "cfg"), Error);
}

}  // namespace
}  // namespace tokprob
