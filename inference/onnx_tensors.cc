#include "inference/onnx_tensors.h"

#include <cstring>

namespace synod::inference {

std::optional<FloatConstant> read_float_constant(const onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::FLOAT ||
      t.data_location() == onnx::TensorProto::EXTERNAL) {
    return std::nullopt;
  }
  FloatConstant c;
  std::size_t count = 1;
  for (auto d : t.dims()) {
    if (d < 0) return std::nullopt;
    c.dims.push_back(d);
    count *= static_cast<std::size_t>(d);
  }
  if (t.float_data_size() > 0) {
    c.values.assign(t.float_data().begin(), t.float_data().end());
  } else {
    const std::string& raw = t.raw_data();
    if (raw.size() % sizeof(float) != 0) return std::nullopt;
    c.values.resize(raw.size() / sizeof(float));
    std::memcpy(c.values.data(), raw.data(), raw.size());
  }
  if (c.values.size() != count) return std::nullopt;
  return c;
}

onnx::TensorProto make_float_constant(const std::string& name, const FloatConstant& c) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : c.dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(c.values.data()),
                             c.values.size() * sizeof(float)));
  return t;
}

namespace {

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

}  // namespace

std::int64_t int_attribute(const onnx::NodeProto& node, const std::string& name,
                           std::int64_t fallback) {
  const auto* a = find_attribute(node, name);
  return a && a->type() == onnx::AttributeProto::INT ? a->i() : fallback;
}

float float_attribute(const onnx::NodeProto& node, const std::string& name, float fallback) {
  const auto* a = find_attribute(node, name);
  return a && a->type() == onnx::AttributeProto::FLOAT ? a->f() : fallback;
}

}  // namespace synod::inference
