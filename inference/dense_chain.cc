#include "inference/dense_chain.h"

#include <map>

#include "inference/onnx_tensors.h"

namespace synod::inference {
namespace {

using Constant = FloatConstant;

// A bias of n values: [n], [1, n] or a scalar broadcast to n.
std::optional<std::vector<float>> bias_of(const Constant& c, int n, float scale) {
  std::vector<float> out;
  if (c.values.size() == static_cast<std::size_t>(n) && c.dims.size() <= 2 &&
      (c.dims.size() < 2 || c.dims[0] == 1)) {
    out = c.values;
  } else if (c.values.size() == 1) {
    out.assign(static_cast<std::size_t>(n), c.values[0]);
  } else {
    return std::nullopt;
  }
  for (auto& v : out) v *= scale;
  return out;
}

// W [outputs, inputs] from a [k, n] matrix (transposed) or an [n, k] one.
DenseStep dense_from(const Constant& b, bool transposed, float alpha) {
  DenseStep step;
  const auto rows = static_cast<int>(b.dims[0]);
  const auto cols = static_cast<int>(b.dims[1]);
  step.inputs = transposed ? cols : rows;
  step.outputs = transposed ? rows : cols;
  step.weights.resize(b.values.size());
  for (int o = 0; o < step.outputs; ++o) {
    for (int i = 0; i < step.inputs; ++i) {
      const float v = transposed ? b.values[static_cast<std::size_t>(o) * cols + i]
                                 : b.values[static_cast<std::size_t>(i) * cols + o];
      step.weights[static_cast<std::size_t>(o) * step.inputs + i] = v * alpha;
    }
  }
  return step;
}

int opset_version(const onnx::ModelProto& model) {
  for (const auto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") return static_cast<int>(op.version());
  }
  return 1;
}

}  // namespace

std::optional<DenseChain> find_dense_chain(std::string_view model_bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(model_bytes.data(), static_cast<int>(model_bytes.size()))) {
    return std::nullopt;
  }
  const auto& g = model.graph();
  std::map<std::string, const onnx::TensorProto*> initializers;
  for (const auto& t : g.initializer()) initializers[t.name()] = &t;

  DenseChain chain;
  int inputs = 0;
  for (const auto& in : g.input()) {
    if (initializers.count(in.name()) != 0) continue;
    ++inputs;
    const auto& type = in.type().tensor_type();
    if (type.elem_type() != onnx::TensorProto::FLOAT || type.shape().dim_size() != 2) {
      return std::nullopt;
    }
    const auto& width = type.shape().dim(1);
    if (!width.has_dim_value() || width.dim_value() <= 0) return std::nullopt;
    chain.input = in.name();
    chain.features = static_cast<int>(width.dim_value());
  }
  if (inputs != 1 || g.output_size() != 1) return std::nullopt;
  chain.output = g.output(0).name();

  auto constant = [&](const std::string& name) -> std::optional<Constant> {
    auto it = initializers.find(name);
    if (it == initializers.end()) return std::nullopt;
    return read_float_constant(*it->second);
  };
  const int opset = opset_version(model);
  std::string current = chain.input;
  int width = chain.features;
  for (const auto& node : g.node()) {
    if (!node.domain().empty() || node.output_size() != 1) return std::nullopt;
    const std::string& op = node.op_type();
    if (node.input_size() == 0 || node.input(0) != current) {
      // Add(bias, x) is the one op that may take the chain second.
      if (!(op == "Add" && node.input_size() == 2 && node.input(1) == current)) {
        return std::nullopt;
      }
    }
    if (op == "Gemm") {
      if (node.input_size() < 2 || int_attribute(node, "transA", 0) != 0) return std::nullopt;
      auto b = constant(node.input(1));
      if (!b || b->dims.size() != 2) return std::nullopt;
      const bool trans_b = int_attribute(node, "transB", 0) != 0;
      auto step = dense_from(*b, trans_b, float_attribute(node, "alpha", 1.0f));
      if (step.inputs != width) return std::nullopt;
      if (node.input_size() >= 3 && !node.input(2).empty()) {
        auto c = constant(node.input(2));
        if (!c) return std::nullopt;
        auto bias = bias_of(*c, step.outputs, float_attribute(node, "beta", 1.0f));
        if (!bias) return std::nullopt;
        step.bias = std::move(*bias);
      }
      width = step.outputs;
      chain.steps.push_back(std::move(step));
    } else if (op == "MatMul") {
      if (node.input_size() != 2) return std::nullopt;
      auto b = constant(node.input(1));
      if (!b || b->dims.size() != 2) return std::nullopt;
      auto step = dense_from(*b, false, 1.0f);
      if (step.inputs != width) return std::nullopt;
      width = step.outputs;
      chain.steps.push_back(std::move(step));
    } else if (op == "Add") {
      // A bias right after a dense layer folds into it.
      if (node.input_size() != 2 || chain.steps.empty() ||
          chain.steps.back().kind != DenseStep::Kind::kDense) {
        return std::nullopt;
      }
      auto c = constant(node.input(0) == current ? node.input(1) : node.input(0));
      if (!c) return std::nullopt;
      auto bias = bias_of(*c, width, 1.0f);
      if (!bias) return std::nullopt;
      auto& dense = chain.steps.back();
      if (dense.bias.empty()) dense.bias.assign(static_cast<std::size_t>(width), 0.0f);
      for (int i = 0; i < width; ++i) dense.bias[static_cast<std::size_t>(i)] += (*bias)[i];
    } else if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu") {
      if (node.input_size() != 1) return std::nullopt;
      DenseStep step;
      step.kind = op == "Relu"      ? DenseStep::Kind::kRelu
                  : op == "Sigmoid" ? DenseStep::Kind::kSigmoid
                  : op == "Tanh"    ? DenseStep::Kind::kTanh
                                    : DenseStep::Kind::kLeakyRelu;
      step.alpha = float_attribute(node, "alpha", 0.01f);
      chain.steps.push_back(std::move(step));
    } else if (op == "Softmax" || op == "LogSoftmax") {
      // On a 2-D tensor only the feature axis (1 or -1) keeps rows apart.
      const auto axis = int_attribute(node, "axis", opset >= 13 ? -1 : 1);
      if (node.input_size() != 1 || (axis != 1 && axis != -1)) return std::nullopt;
      DenseStep step;
      step.kind = op == "Softmax" ? DenseStep::Kind::kSoftmax : DenseStep::Kind::kLogSoftmax;
      chain.steps.push_back(std::move(step));
    } else if (op == "Identity") {
      if (node.input_size() != 1) return std::nullopt;
    } else {
      return std::nullopt;
    }
    current = node.output(0);
  }
  if (current != chain.output) return std::nullopt;
  bool any_dense = false;
  for (const auto& s : chain.steps) any_dense = any_dense || s.kind == DenseStep::Kind::kDense;
  if (!any_dense) return std::nullopt;
  return chain;
}

}  // namespace synod::inference
