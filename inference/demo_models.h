// Small, real ONNX models built in code with the ONNX protobuf classes, so a
// repository can be served without downloading anything (`synod models
// demo DIR`). Weights come from a fixed seed: every build writes the same
// bytes, and tests recompute the outputs with plain loops over the same
// weights.
//
//   mlp: input  "input"  FP32 [-1,16]
//        Gemm(16->32) + Relu + Gemm(32->4) + Softmax
//        output "probabilities" FP32 [-1,4]
//        (the second weight matrix sits behind an Identity, the pattern
//        PyTorch exporters produce, which onnx_model.h folds)
//   cnn: input  "image"  FP32 [-1,1,8,8]
//        Conv(1->4, 3x3, pad 1) + Relu + MaxPool(2x2) + Flatten + Gemm(64->10)
//        + Softmax
//        output "probabilities" FP32 [-1,10]
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "inference/model_config.h"

namespace synod::inference {

struct DemoMlp {
  static constexpr int kIn = 16, kHidden = 32, kOut = 4;
  std::vector<float> w1, b1;  // [kHidden][kIn], [kHidden]
  std::vector<float> w2, b2;  // [kOut][kHidden], [kOut]
};
struct DemoCnn {
  static constexpr int kSide = 8, kChannels = 4, kKernel = 3, kClasses = 10;
  static constexpr int kPooled = kSide / 2;
  static constexpr int kFlat = kChannels * kPooled * kPooled;
  std::vector<float> conv_w, conv_b;  // [kChannels][1][3][3], [kChannels]
  std::vector<float> fc_w, fc_b;      // [kClasses][kFlat], [kClasses]
};

DemoMlp demo_mlp_weights();
DemoCnn demo_cnn_weights();
std::string build_mlp_onnx(const DemoMlp& weights);
std::string build_cnn_onnx(const DemoCnn& weights);

// The config.yaml the demo writes: batching on or off.
ModelConfig demo_config(bool dynamic_batching);

// Writes DIR/mlp and DIR/cnn (version 1, config.yaml with `batching`), and,
// when `batching` is false, also DIR/mlp_batched and DIR/cnn_batched with
// dynamic batching on, so both can be compared.
Status write_demo_repository(const std::string& dir, bool batching = false);
// Writes one model directory DIR/<name>/1/model.onnx + config.yaml.
Status write_model_dir(const std::string& dir, const std::string& name,
                       const std::string& onnx_bytes, const ModelConfig& config);

}  // namespace synod::inference
