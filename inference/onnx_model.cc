#include "inference/onnx_model.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "inference/onnx_tensors.h"

namespace synod::inference {
namespace {

std::optional<DataType> from_onnx_type(int type) {
  switch (type) {
    case onnx::TensorProto::FLOAT: return DataType::kFp32;
    case onnx::TensorProto::DOUBLE: return DataType::kFp64;
    case onnx::TensorProto::FLOAT16: return DataType::kFp16;
    case onnx::TensorProto::UINT8: return DataType::kUint8;
    case onnx::TensorProto::UINT16: return DataType::kUint16;
    case onnx::TensorProto::UINT32: return DataType::kUint32;
    case onnx::TensorProto::UINT64: return DataType::kUint64;
    case onnx::TensorProto::INT8: return DataType::kInt8;
    case onnx::TensorProto::INT16: return DataType::kInt16;
    case onnx::TensorProto::INT32: return DataType::kInt32;
    case onnx::TensorProto::INT64: return DataType::kInt64;
    case onnx::TensorProto::BOOL: return DataType::kBool;
    default: return std::nullopt;
  }
}

Result<TensorSpec> read_value_info(const onnx::ValueInfoProto& info) {
  TensorSpec spec;
  spec.name = info.name();
  if (!info.type().has_tensor_type()) {
    return invalid_argument("graph value '" + info.name() + "' is not a tensor");
  }
  const auto& tensor = info.type().tensor_type();
  auto type = from_onnx_type(tensor.elem_type());
  if (!type) {
    return invalid_argument("graph value '" + info.name() + "' has unsupported element type " +
                            std::to_string(tensor.elem_type()));
  }
  spec.datatype = *type;
  if (tensor.has_shape()) {
    for (const auto& dim : tensor.shape().dim()) {
      spec.shape.push_back(dim.has_dim_value() && dim.dim_value() > 0 ? dim.dim_value() : -1);
    }
  }
  return spec;
}

// Rewrites Identity nodes (see the header). Returns the changes made.
std::vector<std::string> fold_identities(onnx::GraphProto& graph) {
  std::vector<std::string> changes;
  std::unordered_map<std::string, const onnx::TensorProto*> initializers;
  for (const auto& init : graph.initializer()) initializers[init.name()] = &init;
  std::unordered_set<std::string> graph_outputs;
  for (const auto& out : graph.output()) graph_outputs.insert(out.name());

  std::unordered_map<std::string, std::string> rename;  // removed output -> its source
  std::vector<onnx::TensorProto> new_initializers;
  std::vector<int> remove;
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    if (node.op_type() != "Identity" || node.input_size() != 1 || node.output_size() != 1) {
      continue;
    }
    std::string source = node.input(0);
    while (rename.count(source)) source = rename[source];
    const std::string& out = node.output(0);
    if (auto it = initializers.find(source); it != initializers.end()) {
      onnx::TensorProto copy = *it->second;
      copy.set_name(out);
      new_initializers.push_back(std::move(copy));
      remove.push_back(i);
      changes.push_back("folded Identity '" + out + "' over initializer '" + source + "'");
    } else if (!graph_outputs.count(out)) {
      rename[out] = source;
      remove.push_back(i);
      changes.push_back("removed Identity '" + out + "' (reads '" + source + "')");
    }
  }
  if (remove.empty()) return changes;
  for (auto it = remove.rbegin(); it != remove.rend(); ++it) {
    graph.mutable_node()->DeleteSubrange(*it, 1);
  }
  for (auto& init : new_initializers) *graph.add_initializer() = std::move(init);
  for (auto& node : *graph.mutable_node()) {
    for (auto& input : *node.mutable_input()) {
      std::string name = input;
      while (rename.count(name)) name = rename[name];
      input = name;
    }
  }
  return changes;
}

// Gemm over constant weights: OpenCV 4.6 ignores alpha and beta, sizes the
// layer wrongly when transB = 0 (the load fails, or the forward does), and
// takes a bias only shaped [N]. Such a Gemm gets new initializers with
// alpha, beta and the transpose folded in (transB = 1, bias [N]), so OpenCV
// computes what ONNX defines. A non-constant B or C, transA = 1 or a
// per-row C is left as it is.
std::vector<std::string> normalize_gemms(onnx::GraphProto& graph) {
  std::vector<std::string> changes;
  std::unordered_map<std::string, const onnx::TensorProto*> initializers;
  for (const auto& init : graph.initializer()) initializers[init.name()] = &init;
  auto constant = [&](const std::string& name) -> std::optional<FloatConstant> {
    auto it = initializers.find(name);
    if (it == initializers.end()) return std::nullopt;
    return read_float_constant(*it->second);
  };
  std::vector<onnx::TensorProto> added;
  for (auto& node : *graph.mutable_node()) {
    if (node.op_type() != "Gemm" || node.input_size() < 2 || node.output_size() != 1 ||
        int_attribute(node, "transA", 0) != 0) {
      continue;
    }
    auto b = constant(node.input(1));
    if (!b || b->dims.size() != 2) continue;
    const bool trans_b = int_attribute(node, "transB", 0) != 0;
    const float alpha = float_attribute(node, "alpha", 1.0f);
    const float beta = float_attribute(node, "beta", 1.0f);
    const std::int64_t n = trans_b ? b->dims[0] : b->dims[1];
    const std::int64_t k = trans_b ? b->dims[1] : b->dims[0];
    const bool has_c = node.input_size() >= 3 && !node.input(2).empty();
    std::optional<FloatConstant> c;
    bool c_as_is = true;
    if (has_c) {
      c = constant(node.input(2));
      if (!c) continue;
      const auto count = static_cast<std::int64_t>(c->values.size());
      if (count != n && count != 1) continue;
      c_as_is = beta == 1.0f && c->dims.size() == 1 && c->dims[0] == n;
    }
    if (trans_b && alpha == 1.0f && c_as_is) continue;

    const std::string& out = node.output(0);
    FloatConstant weights;
    weights.dims = {n, k};
    weights.values.resize(static_cast<std::size_t>(n * k));
    for (std::int64_t o = 0; o < n; ++o) {
      for (std::int64_t i = 0; i < k; ++i) {
        const float v = trans_b ? b->values[static_cast<std::size_t>(o * k + i)]
                                : b->values[static_cast<std::size_t>(i * n + o)];
        weights.values[static_cast<std::size_t>(o * k + i)] = alpha * v;
      }
    }
    added.push_back(make_float_constant(out + "_synod_gemm_b", weights));
    node.set_input(1, added.back().name());
    if (has_c && !c_as_is) {
      FloatConstant bias;
      bias.dims = {n};
      for (std::int64_t j = 0; j < n; ++j) {
        bias.values.push_back(beta * c->values[c->values.size() == 1 ? 0 : static_cast<std::size_t>(j)]);
      }
      added.push_back(make_float_constant(out + "_synod_gemm_c", bias));
      node.set_input(2, added.back().name());
    }
    google::protobuf::RepeatedPtrField<onnx::AttributeProto> kept;
    for (const auto& a : node.attribute()) {
      if (a.name() != "alpha" && a.name() != "beta" && a.name() != "transB") *kept.Add() = a;
    }
    auto* t = kept.Add();
    t->set_name("transB");
    t->set_type(onnx::AttributeProto::INT);
    t->set_i(1);
    node.mutable_attribute()->Swap(&kept);
    changes.push_back("Gemm '" + out + "': alpha, beta and transB folded into its constants");
  }
  for (auto& init : added) *graph.add_initializer() = std::move(init);
  return changes;
}

}  // namespace

const std::vector<std::string>& supported_onnx_ops() {
  // The op types OpenCV 4.6.0's ONNXImporter dispatches
  // (modules/dnn/src/onnx/onnx_importer.cpp, buildDispatchMap).
  static const std::vector<std::string> ops = {
      "Abs", "Acos", "Acosh", "Add", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh",
      "AveragePool", "BatchNormalization", "Cast", "Ceil", "Celu", "Clip", "Concat", "Constant",
      "ConstantFill", "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "Cosh", "CumSum",
      "DepthToSpace", "DequantizeLinear", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp",
      "Expand", "Flatten", "Floor", "GRU", "Gather", "Gemm", "GlobalAveragePool",
      "GlobalMaxPool", "Greater", "HardSigmoid", "HardSwish", "Identity",
      "ImageScaler", "InstanceNormalization", "LRN", "LSTM", "LeakyRelu", "Less", "Log",
      "LogSoftmax", "MatMul", "Max", "MaxPool", "MaxUnpool", "Mean", "Min", "Mish", "Mul",
      "Neg", "Pad", "Pow", "PRelu", "QLinearAdd", "QLinearAveragePool", "QLinearConcat",
      "QLinearConv", "QLinearGlobalAveragePool", "QLinearLeakyRelu", "QLinearMatMul",
      "QLinearMul", "QLinearSigmoid", "QuantizeLinear", "Range", "Reciprocal", "ReduceL1",
      "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin",
      "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape", "Resize", "Round",
      "Scatter", "ScatterElements", "ScatterND", "Selu", "Shape", "Sigmoid", "Sign", "Sin",
      "Sinh", "Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt",
      "Squeeze", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "Transpose",
      "Unsqueeze", "Upsample",
  };
  return ops;
}

Result<PreparedModel> prepare_onnx_model(std::string_view bytes) {
  onnx::ModelProto model;
  if (bytes.empty()) return invalid_argument("not an ONNX model: the file is empty");
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("not an ONNX model: protobuf parse failed (truncated or not ONNX)");
  }
  if (!model.has_graph() || model.graph().node_size() == 0) {
    return invalid_argument("not an ONNX model: no graph nodes");
  }
  PreparedModel out;
  auto& graph = *model.mutable_graph();

  // Ops: the default domain only, and only those OpenCV 4.6 imports.
  static const std::set<std::string> supported(supported_onnx_ops().begin(),
                                               supported_onnx_ops().end());
  std::set<std::string> ops;
  std::set<std::string> unsupported;
  for (const auto& node : graph.node()) {
    const bool default_domain = node.domain().empty() || node.domain() == "ai.onnx";
    std::string op = default_domain ? node.op_type() : node.domain() + "." + node.op_type();
    ops.insert(op);
    if (!default_domain || !supported.count(node.op_type())) unsupported.insert(op);
  }
  out.op_types.assign(ops.begin(), ops.end());
  if (!unsupported.empty()) {
    std::string names;
    for (const auto& op : unsupported) names += (names.empty() ? "" : ", ") + op;
    return invalid_argument("unsupported ops (OpenCV 4.6 cannot run them): " + names);
  }

  out.rewrites = fold_identities(graph);
  for (auto& change : normalize_gemms(graph)) out.rewrites.push_back(std::move(change));

  std::set<std::string> initializer_names;
  for (const auto& init : graph.initializer()) initializer_names.insert(init.name());
  for (const auto& input : graph.input()) {
    if (initializer_names.count(input.name())) {
      out.rewrites.push_back("input '" + input.name() + "' is an initializer: not a model input");
      continue;
    }
    SYNOD_ASSIGN_OR_RETURN(auto spec, read_value_info(input));
    out.signature.inputs.push_back(std::move(spec));
  }
  if (graph.output_size() == 0) return invalid_argument("the graph has no outputs");
  for (const auto& output : graph.output()) {
    SYNOD_ASSIGN_OR_RETURN(auto spec, read_value_info(output));
    out.signature.outputs.push_back(std::move(spec));
  }
  if (out.signature.inputs.empty()) return invalid_argument("the graph has no inputs");
  // Drop the initializer-inputs from the file too (OpenCV would otherwise
  // expect them to be fed).
  if (std::any_of(graph.input().begin(), graph.input().end(),
                  [&](const auto& i) { return initializer_names.count(i.name()) > 0; })) {
    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
    for (const auto& input : graph.input()) {
      if (!initializer_names.count(input.name())) *kept.Add() = input;
    }
    graph.mutable_input()->Swap(&kept);
  }
  if (out.rewrites.empty()) {
    out.bytes.assign(bytes.data(), bytes.size());
  } else if (!model.SerializeToString(&out.bytes)) {
    return internal_error("re-serialising the rewritten model failed");
  }
  return out;
}

}  // namespace synod::inference
