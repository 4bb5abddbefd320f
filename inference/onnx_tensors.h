// Float initializers and node attributes of an ONNX graph, read and written
// with the ONNX protobuf classes (shared by the load-time rewrites in
// onnx_model.cc and dense_chain.h).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace synod::inference {

struct FloatConstant {
  std::vector<std::int64_t> dims;
  std::vector<float> values;  // row-major
};

// A FLOAT initializer's dims and values (float_data or little-endian
// raw_data); nullopt for other types, external data or a size mismatch.
std::optional<FloatConstant> read_float_constant(const onnx::TensorProto& tensor);

// A FLOAT initializer named `name` holding `c` (as raw_data).
onnx::TensorProto make_float_constant(const std::string& name, const FloatConstant& c);

// A node attribute's value, or `fallback` when absent or of another type.
std::int64_t int_attribute(const onnx::NodeProto& node, const std::string& name,
                           std::int64_t fallback);
float float_attribute(const onnx::NodeProto& node, const std::string& name, float fallback);

}  // namespace synod::inference
