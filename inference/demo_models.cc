#include "inference/demo_models.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "inference/oip_json.h"

namespace synod::inference {
namespace {

// splitmix64: a fixed generator so the weights never depend on the library.
class WeightStream {
 public:
  explicit WeightStream(std::uint64_t seed) : state_(seed) {}
  // Uniform in [-scale, scale).
  float next(float scale) {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const double unit = static_cast<double>(z >> 11) / static_cast<double>(1ull << 53);
    return static_cast<float>((unit * 2 - 1) * scale);
  }
  std::vector<float> fill(std::size_t n, float scale) {
    std::vector<float> out(n);
    for (auto& v : out) v = next(scale);
    return out;
  }

 private:
  std::uint64_t state_;
};

void add_initializer(onnx::GraphProto& graph, const std::string& name,
                     const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
  auto* t = graph.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
}

void add_value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
               const std::string& name, const std::vector<std::int64_t>& dims) {
  auto* v = list->Add();
  v->set_name(name);
  auto* tensor = v->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  for (auto d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) {
      dim->set_dim_param("batch");
    } else {
      dim->set_dim_value(d);
    }
  }
}

onnx::NodeProto* add_node(onnx::GraphProto& graph, const std::string& op,
                          const std::vector<std::string>& inputs, const std::string& output) {
  auto* node = graph.add_node();
  node->set_op_type(op);
  node->set_name(op + "_" + output);
  for (const auto& in : inputs) node->add_input(in);
  node->add_output(output);
  return node;
}

void add_int_attr(onnx::NodeProto* node, const std::string& name, std::int64_t value) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void add_ints_attr(onnx::NodeProto* node, const std::string& name,
                   const std::vector<std::int64_t>& values) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto v : values) a->add_ints(v);
}

onnx::ModelProto new_model(const std::string& graph_name) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("synod");
  model.set_producer_version("demo");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  model.mutable_graph()->set_name(graph_name);
  return model;
}

std::string serialize(const onnx::ModelProto& model) {
  std::string out;
  model.SerializeToString(&out);
  return out;
}

// Uniform weights with He scaling (variance 2 / fan_in), so activations
// keep their size through the layers and the softmax is not saturated.
float he_scale(int fan_in) { return std::sqrt(6.0f / static_cast<float>(fan_in)); }

}  // namespace

DemoMlp demo_mlp_weights() {
  WeightStream rng(0x5eed0001);
  DemoMlp w;
  w.w1 = rng.fill(DemoMlp::kHidden1 * DemoMlp::kIn, he_scale(DemoMlp::kIn));
  w.b1 = rng.fill(DemoMlp::kHidden1, 0.1f);
  w.w2 = rng.fill(DemoMlp::kHidden2 * DemoMlp::kHidden1, he_scale(DemoMlp::kHidden1));
  w.b2 = rng.fill(DemoMlp::kHidden2, 0.1f);
  w.w3 = rng.fill(DemoMlp::kOut * DemoMlp::kHidden2, he_scale(DemoMlp::kHidden2));
  w.b3 = rng.fill(DemoMlp::kOut, 0.1f);
  return w;
}

DemoCnn demo_cnn_weights() {
  WeightStream rng(0x5eed0002);
  DemoCnn w;
  constexpr int k2 = DemoCnn::kKernel * DemoCnn::kKernel;
  w.conv1_w = rng.fill(DemoCnn::kChannels1 * k2, he_scale(k2));
  w.conv1_b = rng.fill(DemoCnn::kChannels1, 0.1f);
  w.conv2_w =
      rng.fill(DemoCnn::kChannels2 * DemoCnn::kChannels1 * k2, he_scale(DemoCnn::kChannels1 * k2));
  w.conv2_b = rng.fill(DemoCnn::kChannels2, 0.1f);
  w.fc1_w = rng.fill(DemoCnn::kHidden * DemoCnn::kFlat, he_scale(DemoCnn::kFlat));
  w.fc1_b = rng.fill(DemoCnn::kHidden, 0.1f);
  w.fc2_w = rng.fill(DemoCnn::kClasses * DemoCnn::kHidden, he_scale(DemoCnn::kHidden));
  w.fc2_b = rng.fill(DemoCnn::kClasses, 0.1f);
  return w;
}

std::string build_mlp_onnx(const DemoMlp& w) {
  auto model = new_model("synod_demo_mlp");
  auto& g = *model.mutable_graph();
  add_value(g.mutable_input(), "input", {-1, DemoMlp::kIn});
  add_value(g.mutable_output(), "probabilities", {-1, DemoMlp::kOut});
  add_initializer(g, "w1", {DemoMlp::kHidden1, DemoMlp::kIn}, w.w1);
  add_initializer(g, "b1", {DemoMlp::kHidden1}, w.b1);
  add_initializer(g, "w2_raw", {DemoMlp::kHidden2, DemoMlp::kHidden1}, w.w2);
  add_initializer(g, "b2", {DemoMlp::kHidden2}, w.b2);
  add_initializer(g, "w3", {DemoMlp::kOut, DemoMlp::kHidden2}, w.w3);
  add_initializer(g, "b3", {DemoMlp::kOut}, w.b3);
  add_node(g, "Identity", {"w2_raw"}, "w2");
  add_int_attr(add_node(g, "Gemm", {"input", "w1", "b1"}, "hidden1"), "transB", 1);
  add_node(g, "Relu", {"hidden1"}, "hidden1_relu");
  add_int_attr(add_node(g, "Gemm", {"hidden1_relu", "w2", "b2"}, "hidden2"), "transB", 1);
  add_node(g, "Relu", {"hidden2"}, "hidden2_relu");
  add_int_attr(add_node(g, "Gemm", {"hidden2_relu", "w3", "b3"}, "logits"), "transB", 1);
  add_int_attr(add_node(g, "Softmax", {"logits"}, "probabilities"), "axis", 1);
  return serialize(model);
}

namespace {

// Conv(3x3, stride 1, no padding) + Relu.
std::string add_conv(onnx::GraphProto& g, const std::string& in, const std::string& prefix,
                     int in_channels, int out_channels, const std::vector<float>& weights,
                     const std::vector<float>& bias) {
  constexpr int k = DemoCnn::kKernel;
  add_initializer(g, prefix + "_w", {out_channels, in_channels, k, k}, weights);
  add_initializer(g, prefix + "_b", {out_channels}, bias);
  auto* conv = add_node(g, "Conv", {in, prefix + "_w", prefix + "_b"}, prefix);
  add_ints_attr(conv, "kernel_shape", {k, k});
  add_ints_attr(conv, "pads", {0, 0, 0, 0});
  add_ints_attr(conv, "strides", {1, 1});
  add_node(g, "Relu", {prefix}, prefix + "_relu");
  return prefix + "_relu";
}

}  // namespace

std::string build_cnn_onnx(const DemoCnn& w) {
  auto model = new_model("synod_demo_cnn");
  auto& g = *model.mutable_graph();
  constexpr int kSide = DemoCnn::kSide;
  add_value(g.mutable_input(), "image", {-1, 1, kSide, kSide});
  add_value(g.mutable_output(), "probabilities", {-1, DemoCnn::kClasses});
  auto x = add_conv(g, "image", "conv1", 1, DemoCnn::kChannels1, w.conv1_w, w.conv1_b);
  x = add_conv(g, x, "conv2", DemoCnn::kChannels1, DemoCnn::kChannels2, w.conv2_w, w.conv2_b);
  auto* pool = add_node(g, "MaxPool", {x}, "pool");
  add_ints_attr(pool, "kernel_shape", {2, 2});
  add_ints_attr(pool, "strides", {2, 2});
  add_int_attr(add_node(g, "Flatten", {"pool"}, "flat"), "axis", 1);
  add_initializer(g, "fc1_w", {DemoCnn::kHidden, DemoCnn::kFlat}, w.fc1_w);
  add_initializer(g, "fc1_b", {DemoCnn::kHidden}, w.fc1_b);
  add_initializer(g, "fc2_w", {DemoCnn::kClasses, DemoCnn::kHidden}, w.fc2_w);
  add_initializer(g, "fc2_b", {DemoCnn::kClasses}, w.fc2_b);
  add_int_attr(add_node(g, "Gemm", {"flat", "fc1_w", "fc1_b"}, "hidden"), "transB", 1);
  add_node(g, "Relu", {"hidden"}, "hidden_relu");
  add_int_attr(add_node(g, "Gemm", {"hidden_relu", "fc2_w", "fc2_b"}, "logits"), "transB", 1);
  add_int_attr(add_node(g, "Softmax", {"logits"}, "probabilities"), "axis", 1);
  return serialize(model);
}

Tensor demo_input(const std::string& model, int rows) {
  const bool cnn = model.rfind("cnn", 0) == 0;
  Tensor t;
  t.name = cnn ? "image" : "input";
  t.shape = cnn ? Shape{rows, 1, DemoCnn::kSide, DemoCnn::kSide} : Shape{rows, DemoMlp::kIn};
  t.data.resize(element_count(t.shape));
  // Multiples of 1/8: exact in binary, so the JSON text stays short.
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    t.data[i] = static_cast<float>((i * 7) % 9) / 8.0f - 0.5f;
  }
  return t;
}

std::string demo_request_json(const std::string& model) {
  return encode_infer_request({demo_input(model)});
}

ModelConfig demo_config(bool dynamic_batching, const std::string& model) {
  ModelConfig c;
  c.max_batch_size = 64;
  c.dynamic_batching = dynamic_batching;
  c.max_queue_delay = std::chrono::microseconds(0);
  if (dynamic_batching) c.preferred_batch_sizes = {16};
  // One instance per core of a small machine; but a batched mlp computes a
  // row in less time than the node spends on its HTTP request, so one
  // instance taking everything queued keeps batches large and leaves the
  // other core to the event loop (measured: docs/inference.md).
  const bool mlp = model.rfind("mlp", 0) == 0;
  c.instance_count = dynamic_batching && mlp ? 1 : 2;
  c.threads = 1;
  c.timeout = std::chrono::milliseconds(10000);
  c.max_queue = 1024;
  c.load_balancing = "p2c_ewma";
  return c;
}

Status write_model_dir(const std::string& dir, const std::string& name,
                       const std::string& onnx_bytes, const ModelConfig& config) {
  namespace fs = std::filesystem;
  const fs::path model_dir = fs::path(dir) / name;
  std::error_code ec;
  fs::create_directories(model_dir / "1", ec);
  if (ec) return io_error("creating " + (model_dir / "1").string() + ": " + ec.message());
  {
    std::ofstream out(model_dir / "1" / "model.onnx", std::ios::binary | std::ios::trunc);
    out.write(onnx_bytes.data(), static_cast<std::streamsize>(onnx_bytes.size()));
    if (!out) return io_error("writing " + (model_dir / "1" / "model.onnx").string());
  }
  std::ofstream cfg(model_dir / "config.yaml", std::ios::trunc);
  cfg << "# Written by `synod models demo`; keys in docs/inference.md.\n"
      << model_config_yaml(config);
  if (!cfg) return io_error("writing " + (model_dir / "config.yaml").string());
  return Status::ok();
}

Status write_demo_repository(const std::string& dir, bool batching) {
  const auto mlp = build_mlp_onnx(demo_mlp_weights());
  const auto cnn = build_cnn_onnx(demo_cnn_weights());
  SYNOD_RETURN_IF_ERROR(write_model_dir(dir, "mlp", mlp, demo_config(batching, "mlp")));
  SYNOD_RETURN_IF_ERROR(write_model_dir(dir, "cnn", cnn, demo_config(batching, "cnn")));
  if (!batching) {
    SYNOD_RETURN_IF_ERROR(write_model_dir(dir, "mlp_batched", mlp, demo_config(true, "mlp")));
    SYNOD_RETURN_IF_ERROR(write_model_dir(dir, "cnn_batched", cnn, demo_config(true, "cnn")));
  }
  return Status::ok();
}

}  // namespace synod::inference
