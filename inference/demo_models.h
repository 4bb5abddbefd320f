// Small, real ONNX models built in code with the ONNX protobuf classes, so a
// repository can be served without downloading anything (`synod models
// demo DIR`). Weights come from a fixed seed: every build writes the same
// bytes, and tests recompute the outputs with plain loops over the same
// weights. The sizes are those of classic MNIST classifiers, so a request
// costs real compute (docs/inference.md "Performance").
//
//   mlp: input  "input"  FP32 [-1,784]          (a 28x28 image, flattened)
//        Gemm(784->512) + Relu + Gemm(512->256) + Relu + Gemm(256->10)
//        + Softmax                               (535k multiply-adds per row)
//        output "probabilities" FP32 [-1,10]
//        (the second weight matrix sits behind an Identity, the pattern
//        PyTorch exporters produce, which onnx_model.h folds)
//   cnn: input  "image"  FP32 [-1,1,28,28]      (Keras' mnist_cnn example)
//        Conv(1->32, 3x3) + Relu                          -> 32x26x26
//        Conv(32->64, 3x3) + Relu + MaxPool(2x2)          -> 64x12x12
//        Flatten + Gemm(9216->128) + Relu + Gemm(128->10) + Softmax
//                                               (12M multiply-adds per image)
//        output "probabilities" FP32 [-1,10]
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "inference/model_config.h"
#include "inference/tensor.h"

namespace synod::inference {

struct DemoMlp {
  static constexpr int kIn = 784, kHidden1 = 512, kHidden2 = 256, kOut = 10;
  std::vector<float> w1, b1;  // [kHidden1][kIn], [kHidden1]
  std::vector<float> w2, b2;  // [kHidden2][kHidden1], [kHidden2]
  std::vector<float> w3, b3;  // [kOut][kHidden2], [kOut]
};
struct DemoCnn {
  static constexpr int kSide = 28, kKernel = 3, kHidden = 128, kClasses = 10;
  static constexpr int kChannels1 = 32, kChannels2 = 64;
  static constexpr int kSide1 = kSide - 2, kSide2 = kSide1 - 2;  // after each 3x3 conv
  static constexpr int kPooled = kSide2 / 2;
  static constexpr int kFlat = kChannels2 * kPooled * kPooled;
  std::vector<float> conv1_w, conv1_b;  // [kChannels1][1][3][3], [kChannels1]
  std::vector<float> conv2_w, conv2_b;  // [kChannels2][kChannels1][3][3], [kChannels2]
  std::vector<float> fc1_w, fc1_b;      // [kHidden][kFlat], [kHidden]
  std::vector<float> fc2_w, fc2_b;      // [kClasses][kHidden], [kClasses]
};

DemoMlp demo_mlp_weights();
DemoCnn demo_cnn_weights();
std::string build_mlp_onnx(const DemoMlp& weights);
std::string build_cnn_onnx(const DemoCnn& weights);

// One request's input for a demo model ("mlp", "cnn", or a name starting
// with either): `rows` rows of fixed values in [-0.5, 0.5].
Tensor demo_input(const std::string& model, int rows = 1);
// The same as an Open Inference Protocol request body.
std::string demo_request_json(const std::string& model);

// The config.yaml the demo writes for `model` ("mlp" or "cnn"): batching on
// or off. With batching on, the queue delay is 0 (under load the queue fills
// while an instance runs) and the mlp has one instance, the cnn two
// (docs/inference.md "Demo models" says why).
ModelConfig demo_config(bool dynamic_batching, const std::string& model = "cnn");

// Writes DIR/mlp and DIR/cnn (version 1, config.yaml with `batching`), and,
// when `batching` is false, also DIR/mlp_batched and DIR/cnn_batched with
// dynamic batching on, so both can be compared.
Status write_demo_repository(const std::string& dir, bool batching = false);
// Writes one model directory DIR/<name>/1/model.onnx + config.yaml.
Status write_model_dir(const std::string& dir, const std::string& name,
                       const std::string& onnx_bytes, const ModelConfig& config);

}  // namespace synod::inference
