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

// One row: input[16] -> probabilities[4].
inline std::vector<float> mlp_reference(const DemoMlp& w, const float* x) {
  std::vector<double> hidden(DemoMlp::kHidden);
  for (int h = 0; h < DemoMlp::kHidden; ++h) {
    double s = w.b1[h];
    for (int i = 0; i < DemoMlp::kIn; ++i) s += double(w.w1[h * DemoMlp::kIn + i]) * x[i];
    hidden[h] = std::max(0.0, s);
  }
  std::vector<double> logits(DemoMlp::kOut);
  for (int o = 0; o < DemoMlp::kOut; ++o) {
    double s = w.b2[o];
    for (int h = 0; h < DemoMlp::kHidden; ++h) s += double(w.w2[o * DemoMlp::kHidden + h]) * hidden[h];
    logits[o] = s;
  }
  return softmax(logits);
}

// One image 1x8x8 -> probabilities[10].
inline std::vector<float> cnn_reference(const DemoCnn& w, const float* image) {
  constexpr int S = DemoCnn::kSide, C = DemoCnn::kChannels, P = DemoCnn::kPooled;
  std::vector<double> conv(C * S * S);
  for (int c = 0; c < C; ++c) {
    for (int y = 0; y < S; ++y) {
      for (int x = 0; x < S; ++x) {
        double s = w.conv_b[c];
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            const int iy = y + ky - 1, ix = x + kx - 1;
            if (iy < 0 || iy >= S || ix < 0 || ix >= S) continue;
            s += double(w.conv_w[c * 9 + ky * 3 + kx]) * image[iy * S + ix];
          }
        }
        conv[(c * S + y) * S + x] = std::max(0.0, s);
      }
    }
  }
  std::vector<double> pooled(C * P * P);
  for (int c = 0; c < C; ++c) {
    for (int y = 0; y < P; ++y) {
      for (int x = 0; x < P; ++x) {
        double m = -1e300;
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) m = std::max(m, conv[(c * S + 2 * y + dy) * S + 2 * x + dx]);
        }
        pooled[(c * P + y) * P + x] = m;
      }
    }
  }
  std::vector<double> logits(DemoCnn::kClasses);
  for (int k = 0; k < DemoCnn::kClasses; ++k) {
    double s = w.fc_b[k];
    for (int i = 0; i < DemoCnn::kFlat; ++i) s += double(w.fc_w[k * DemoCnn::kFlat + i]) * pooled[i];
    logits[k] = s;
  }
  return softmax(logits);
}

}  // namespace synod::inference::testing
