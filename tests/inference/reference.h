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

// Conv(3x3, no padding) + Relu over [in_c][side][side] -> [out_c][side-2][side-2].
inline std::vector<double> conv_relu(const std::vector<float>& w, const std::vector<float>& b,
                                     const std::vector<double>& x, int in_c, int side) {
  const int out_c = static_cast<int>(b.size()), out = side - 2;
  std::vector<double> y(static_cast<std::size_t>(out_c * out * out));
  for (int c = 0; c < out_c; ++c) {
    for (int r = 0; r < out; ++r) {
      for (int q = 0; q < out; ++q) {
        double s = b[c];
        for (int ic = 0; ic < in_c; ++ic) {
          for (int ky = 0; ky < 3; ++ky) {
            for (int kx = 0; kx < 3; ++kx) {
              s += double(w[((c * in_c + ic) * 3 + ky) * 3 + kx]) *
                   x[(ic * side + r + ky) * side + q + kx];
            }
          }
        }
        y[(c * out + r) * out + q] = std::max(0.0, s);
      }
    }
  }
  return y;
}

// MaxPool(2x2, stride 2) over [channels][side][side].
inline std::vector<double> max_pool(const std::vector<double>& x, int channels, int side) {
  const int half = side / 2;
  std::vector<double> y(static_cast<std::size_t>(channels * half * half));
  for (int c = 0; c < channels; ++c) {
    for (int r = 0; r < half; ++r) {
      for (int q = 0; q < half; ++q) {
        double m = -1e300;
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) {
            m = std::max(m, x[(c * side + 2 * r + dy) * side + 2 * q + dx]);
          }
        }
        y[(c * half + r) * half + q] = m;
      }
    }
  }
  return y;
}

// One image 1x28x28 -> probabilities[10].
inline std::vector<float> cnn_reference(const DemoCnn& w, const float* image) {
  constexpr int S = DemoCnn::kSide;
  std::vector<double> x(image, image + S * S);
  auto c1 = conv_relu(w.conv1_w, w.conv1_b, x, 1, S);
  auto c2 = conv_relu(w.conv2_w, w.conv2_b, c1, DemoCnn::kChannels1, DemoCnn::kSide1);
  auto pooled = max_pool(c2, DemoCnn::kChannels2, DemoCnn::kSide2);
  auto hidden = dense(w.fc1_w, w.fc1_b, pooled, true);
  return softmax(dense(w.fc2_w, w.fc2_b, hidden, false));
}

}  // namespace synod::inference::testing
