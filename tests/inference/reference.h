// Plain C++ loops over the demo weights: the independent reference the
// OpenCV outputs are checked against.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/demo_models.h"

namespace synod::inference::testing {

inline std::vector<float> softmax(std::vector<double> logits) {
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (auto& v : logits) sum += (v = std::exp(v - max));
  std::vector<float> out;
  for (double v : logits) out.push_back(static_cast<float>(v / sum));
  return out;
}

// y = w x + b (w is [out][in]), optionally followed by Relu.
inline std::vector<double> dense(const std::vector<float>& w, const std::vector<float>& b,
                                 const std::vector<double>& x, bool relu) {
  const std::size_t in = x.size(), out = b.size();
  std::vector<double> y(out);
  for (std::size_t o = 0; o < out; ++o) {
    double s = b[o];
    for (std::size_t i = 0; i < in; ++i) s += double(w[o * in + i]) * x[i];
    y[o] = relu ? std::max(0.0, s) : s;
  }
  return y;
}

// One row: input[784] -> probabilities[10].
inline std::vector<float> mlp_reference(const DemoMlp& w, const float* x) {
  std::vector<double> in(x, x + DemoMlp::kIn);
  auto h1 = dense(w.w1, w.b1, in, true);
  auto h2 = dense(w.w2, w.b2, h1, true);
  return softmax(dense(w.w3, w.b3, h2, false));
}

// Conv(3x3, pad 1) + Relu + MaxPool(2x2) over [in_c][side][side] -> [out_c][side/2][side/2].
inline std::vector<double> conv_block(const std::vector<float>& w, const std::vector<float>& b,
                                      const std::vector<double>& x, int in_c, int side) {
  const int out_c = static_cast<int>(b.size()), half = side / 2;
  std::vector<double> conv(static_cast<std::size_t>(out_c * side * side));
  for (int c = 0; c < out_c; ++c) {
    for (int y = 0; y < side; ++y) {
      for (int xx = 0; xx < side; ++xx) {
        double s = b[c];
        for (int ic = 0; ic < in_c; ++ic) {
          for (int ky = 0; ky < 3; ++ky) {
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = y + ky - 1, ix = xx + kx - 1;
              if (iy < 0 || iy >= side || ix < 0 || ix >= side) continue;
              s += double(w[((c * in_c + ic) * 3 + ky) * 3 + kx]) * x[(ic * side + iy) * side + ix];
            }
          }
        }
        conv[(c * side + y) * side + xx] = std::max(0.0, s);
      }
    }
  }
  std::vector<double> pooled(static_cast<std::size_t>(out_c * half * half));
  for (int c = 0; c < out_c; ++c) {
    for (int y = 0; y < half; ++y) {
      for (int xx = 0; xx < half; ++xx) {
        double m = -1e300;
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) {
            m = std::max(m, conv[(c * side + 2 * y + dy) * side + 2 * xx + dx]);
          }
        }
        pooled[(c * half + y) * half + xx] = m;
      }
    }
  }
  return pooled;
}

// One image 1x28x28 -> probabilities[10].
inline std::vector<float> cnn_reference(const DemoCnn& w, const float* image) {
  constexpr int S = DemoCnn::kSide;
  std::vector<double> x(image, image + S * S);
  auto p1 = conv_block(w.conv1_w, w.conv1_b, x, 1, S);
  auto p2 = conv_block(w.conv2_w, w.conv2_b, p1, DemoCnn::kChannels1, DemoCnn::kSide2);
  return softmax(dense(w.fc_w, w.fc_b, p2, false));
}

}  // namespace synod::inference::testing
