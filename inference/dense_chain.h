// Recognises an ONNX graph that is a plain chain of dense layers (an MLP):
// one 2-D input [batch, features], then only Gemm / MatMul(+Add bias) with
// constant weights and element-wise activations, ending in the one 2-D
// output. Read with the ONNX protobuf classes; no OpenCV here.
//
// Why: OpenCV 4.6 runs a dense layer (its InnerProduct) one sample at a
// time, so a batch of 16 reads the weights 16 times and batching buys
// little. The same layers written as 1x1 convolutions over a [1, features,
// 1, batch] blob go through OpenCV's blocked convolution kernel, which
// reuses each weight across the batch: 2-3x less CPU per row at batch 16 on
// the demo MLP (docs/inference.md "Batched dense layers"). The OpenCV
// backend builds that second network from a DenseChain and uses it for
// batches large enough that it is faster (measured when the model loads).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synod::inference {

struct DenseStep {
  enum class Kind { kDense, kRelu, kLeakyRelu, kSigmoid, kTanh, kSoftmax, kLogSoftmax };
  Kind kind = Kind::kDense;
  // kDense: y = x * W^T + b, W row-major [outputs, inputs].
  int inputs = 0;
  int outputs = 0;
  std::vector<float> weights;
  std::vector<float> bias;  // empty: no bias
  float alpha = 0;          // kLeakyRelu: the negative slope
};

struct DenseChain {
  std::string input;   // graph input name
  std::string output;  // graph output name
  int features = 0;    // input width
  std::vector<DenseStep> steps;
};

// The chain when the serialised model is one, else nullopt (any other op,
// branch, non-constant weight, or shape that does not line up).
std::optional<DenseChain> find_dense_chain(std::string_view model_bytes);

}  // namespace synod::inference
