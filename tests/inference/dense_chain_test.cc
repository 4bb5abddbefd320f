// Dense chains (inference/dense_chain.h) and the OpenCV backend's
// convolution form of them: recognised only when the graph really is a
// chain, and the convolution form answers what OpenCV's own layers answer.
#include "inference/dense_chain.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>

#include "inference/backend.h"
#include "inference/demo_models.h"
#include "inference/onnx_model.h"
#include "tests/inference/reference.h"

namespace synod::inference {
namespace {

// A small ONNX graph, written node by node.
class Graph {
 public:
  explicit Graph(int features, int opset = 13) {
    model_.set_ir_version(7);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    auto* in = g().add_input();
    in->set_name("x");
    auto* t = in->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("batch");
    t->mutable_shape()->add_dim()->set_dim_value(features);
  }
  onnx::GraphProto& g() { return *model_.mutable_graph(); }
  // Weights filled from a fixed pattern; `raw` stores them as raw_data.
  void constant(const std::string& name, std::vector<std::int64_t> dims, bool raw = false) {
    auto* t = g().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    std::size_t n = 1;
    for (auto d : dims) {
      t->add_dims(d);
      n *= static_cast<std::size_t>(d);
    }
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = static_cast<float>((i * 29 + name.size() * 7) % 31) / 31.0f - 0.5f;
    }
    if (raw) {
      t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), n * sizeof(float)));
    } else {
      for (float f : v) t->add_float_data(f);
    }
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> inputs,
                        const std::string& output) {
    auto* n = g().add_node();
    n->set_op_type(op);
    n->set_name(output);
    for (auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  static void attr(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  std::string done(const std::string& output, int width) {
    auto* out = g().add_output();
    out->set_name(output);
    auto* t = out->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("batch");
    t->mutable_shape()->add_dim()->set_dim_value(width);
    std::string bytes;
    model_.SerializeToString(&bytes);
    return bytes;
  }

 private:
  onnx::ModelProto model_;
};

std::vector<float> pattern(std::size_t n, int seed) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>((i * 37 + static_cast<std::size_t>(seed) * 13) % 41) / 20.0f - 1.0f;
  }
  return v;
}

std::unique_ptr<Backend> load(const std::string& bytes, int dense_from) {
  auto prepared = prepare_onnx_model(bytes);
  EXPECT_TRUE(prepared.is_ok()) << prepared.status();
  auto backend = make_opencv_backend();
  BackendOptions options;
  options.dense_batch_from = dense_from;
  auto loaded = backend->load(prepared->bytes, prepared->signature, options);
  EXPECT_TRUE(loaded.is_ok()) << loaded;
  return backend;
}

// Runs `rows` rows through the plain network and through the convolution
// form (used from 1 row on) and expects the same numbers.
void expect_same_both_ways(const std::string& bytes, int features, int rows,
                           const std::string& input = "x") {
  auto plain = load(bytes, -1);
  auto conv = load(bytes, 1);
  Tensor in{input, DataType::kFp32, {rows, features},
            pattern(static_cast<std::size_t>(rows * features), rows)};
  auto a = plain->run({in});
  auto b = conv->run({in});
  ASSERT_TRUE(a.is_ok()) << a.status();
  ASSERT_TRUE(b.is_ok()) << b.status();
  ASSERT_EQ((*a)[0].shape, (*b)[0].shape);
  ASSERT_EQ((*a)[0].data.size(), (*b)[0].data.size());
  for (std::size_t i = 0; i < (*a)[0].data.size(); ++i) {
    EXPECT_NEAR((*a)[0].data[i], (*b)[0].data[i], 1e-5 * (1 + std::fabs((*a)[0].data[i])))
        << "element " << i << " of " << rows << " rows";
  }
}

TEST(DenseChain, TheDemoMlpIsAChainWithItsWeights) {
  const auto w = demo_mlp_weights();
  auto prepared = prepare_onnx_model(build_mlp_onnx(w));
  ASSERT_TRUE(prepared.is_ok());
  auto chain = find_dense_chain(prepared->bytes);
  ASSERT_TRUE(chain.has_value());
  EXPECT_EQ(chain->input, "input");
  EXPECT_EQ(chain->output, "probabilities");
  EXPECT_EQ(chain->features, DemoMlp::kIn);
  ASSERT_EQ(chain->steps.size(), 6u);  // dense relu dense relu dense softmax
  EXPECT_EQ(chain->steps[0].kind, DenseStep::Kind::kDense);
  EXPECT_EQ(chain->steps[0].outputs, DemoMlp::kHidden1);
  EXPECT_EQ(chain->steps[0].weights, w.w1);  // Gemm transB=1: already [out, in]
  EXPECT_EQ(chain->steps[0].bias, w.b1);
  EXPECT_EQ(chain->steps[1].kind, DenseStep::Kind::kRelu);
  EXPECT_EQ(chain->steps[4].outputs, DemoMlp::kOut);
  EXPECT_EQ(chain->steps[5].kind, DenseStep::Kind::kSoftmax);
}

TEST(DenseChain, OtherGraphsAreNotChains) {
  EXPECT_FALSE(find_dense_chain(build_cnn_onnx(demo_cnn_weights())).has_value());
  EXPECT_FALSE(find_dense_chain("not a model").has_value());
  {
    // A residual branch: x feeds the Gemm and the Add.
    Graph g(4);
    g.constant("w", {4, 4});
    g.node("Gemm", {"x", "w"}, "h");
    g.node("Add", {"h", "x"}, "y");
    EXPECT_FALSE(find_dense_chain(g.done("y", 4)).has_value());
  }
  {
    // Softmax over the batch axis mixes rows.
    Graph g(4);
    g.constant("w", {4, 3});
    g.node("MatMul", {"x", "w"}, "h");
    Graph::attr(g.node("Softmax", {"h"}, "y"), "axis", std::int64_t{0});
    EXPECT_FALSE(find_dense_chain(g.done("y", 3)).has_value());
  }
  {
    // Activations only: nothing to batch.
    Graph g(4);
    g.node("Relu", {"x"}, "y");
    EXPECT_FALSE(find_dense_chain(g.done("y", 4)).has_value());  // no dense layer at all
  }
}

TEST(DenseChain, ConvolutionFormMatchesTheDemoMlpReference) {
  const auto w = demo_mlp_weights();
  auto prepared = prepare_onnx_model(build_mlp_onnx(w));
  ASSERT_TRUE(prepared.is_ok());
  auto backend = make_opencv_backend();
  BackendOptions options;
  options.dense_batch_from = 2;
  ASSERT_TRUE(backend->load(prepared->bytes, prepared->signature, options).is_ok());
  for (int rows : {1, 2, 8, 33}) {
    auto x = pattern(static_cast<std::size_t>(rows) * DemoMlp::kIn, rows);
    auto out = backend->run({Tensor{"input", DataType::kFp32, {rows, DemoMlp::kIn}, x}});
    ASSERT_TRUE(out.is_ok()) << out.status();
    ASSERT_EQ((*out)[0].shape, (Shape{rows, DemoMlp::kOut}));
    for (int r = 0; r < rows; ++r) {
      auto ref = testing::mlp_reference(w, &x[static_cast<std::size_t>(r) * DemoMlp::kIn]);
      for (int k = 0; k < DemoMlp::kOut; ++k) {
        EXPECT_NEAR((*out)[0].data[static_cast<std::size_t>(r * DemoMlp::kOut + k)], ref[k], 1e-5)
            << rows << " rows, row " << r;
      }
    }
  }
  for (int rows : {2, 16}) expect_same_both_ways(prepared->bytes, DemoMlp::kIn, rows, "input");
}

TEST(DenseChain, MatMulWithAnAddedBiasAndRawWeights) {
  Graph g(6);
  g.constant("w", {6, 5}, /*raw=*/true);
  g.constant("b", {5});
  g.node("MatMul", {"x", "w"}, "h");
  g.node("Add", {"b", "h"}, "hb");  // bias first: Add is commutative
  g.node("Tanh", {"hb"}, "y");
  const auto bytes = g.done("y", 5);
  auto chain = find_dense_chain(bytes);
  ASSERT_TRUE(chain.has_value());
  ASSERT_EQ(chain->steps.size(), 2u);
  EXPECT_EQ(chain->steps[0].bias.size(), 5u);
  for (int rows : {1, 3, 9}) expect_same_both_ways(bytes, 6, rows);
}

TEST(DenseChain, GemmAttributesAndEveryActivation) {
  // Every Gemm form exporters write: alpha, beta, transB = 0, a [1, N] or
  // scalar bias (prepare_onnx_model folds them so OpenCV 4.6 runs them).
  Graph g(7, /*opset=*/11);
  g.constant("w1", {7, 8});  // transB = 0: [in, out]
  g.constant("c1", {1, 8});
  auto* gemm = g.node("Gemm", {"x", "w1", "c1"}, "h1");
  Graph::attr(gemm, "alpha", 0.5f);
  Graph::attr(gemm, "beta", 2.0f);
  Graph::attr(g.node("LeakyRelu", {"h1"}, "a1"), "alpha", 0.2f);
  g.constant("w2", {6, 8});
  g.constant("c2", {1});  // a scalar bias, broadcast
  Graph::attr(g.node("Gemm", {"a1", "w2", "c2"}, "h2"), "transB", std::int64_t{1});
  g.node("Sigmoid", {"h2"}, "a2");
  g.node("Identity", {"a2"}, "a3");
  g.constant("w3", {6, 4});
  g.node("Gemm", {"a3", "w3"}, "h3");
  g.node("Relu", {"h3"}, "a4");
  g.node("LogSoftmax", {"a4"}, "y");  // opset 11: axis defaults to 1
  auto prepared = prepare_onnx_model(g.done("y", 4));
  ASSERT_TRUE(prepared.is_ok()) << prepared.status();
  ASSERT_TRUE(find_dense_chain(prepared->bytes).has_value());
  for (int rows : {1, 4, 17}) expect_same_both_ways(prepared->bytes, 7, rows);
}

TEST(GemmRewrite, OpenCvComputesWhatOnnxDefines) {
  // y = alpha * x * B + beta * C with B [in, out] (transB = 0) and a [1, N]
  // C: OpenCV 4.6 alone ignores alpha and beta and fails on this layout.
  Graph g(3);
  g.constant("w", {3, 2});
  g.constant("c", {1, 2});
  auto* gemm = g.node("Gemm", {"x", "w", "c"}, "y");
  Graph::attr(gemm, "alpha", 0.5f);
  Graph::attr(gemm, "beta", 3.0f);
  const auto bytes = g.done("y", 2);
  onnx::ModelProto original;
  ASSERT_TRUE(original.ParseFromString(bytes));
  const auto& w = original.graph().initializer(0).float_data();
  const auto& c = original.graph().initializer(1).float_data();

  auto prepared = prepare_onnx_model(bytes);
  ASSERT_TRUE(prepared.is_ok()) << prepared.status();
  ASSERT_EQ(prepared->rewrites.size(), 1u);
  EXPECT_NE(prepared->rewrites[0].find("alpha, beta and transB folded"), std::string::npos);
  auto backend = load(prepared->bytes, -1);
  const std::vector<float> x{1.0f, -2.0f, 0.5f};
  auto out = backend->run({Tensor{"x", DataType::kFp32, {1, 3}, x}});
  ASSERT_TRUE(out.is_ok()) << out.status();
  for (int j = 0; j < 2; ++j) {
    float expected = 3.0f * c[j];
    for (int i = 0; i < 3; ++i) expected += 0.5f * x[static_cast<std::size_t>(i)] * w[i * 2 + j];
    EXPECT_NEAR((*out)[0].data[static_cast<std::size_t>(j)], expected, 1e-6) << "output " << j;
  }
}

TEST(DenseChain, MeasuredChoiceStillAnswersCorrectly) {
  // dense_batch_from = 0: the backend times both forms and picks; whatever
  // it picks, every batch size gives the plain network's numbers.
  const auto bytes = build_mlp_onnx(demo_mlp_weights());
  auto measured = load(bytes, 0);
  auto plain = load(bytes, -1);
  for (int rows : {1, 4, 16, 40}) {
    Tensor in{"input", DataType::kFp32, {rows, DemoMlp::kIn},
              pattern(static_cast<std::size_t>(rows) * DemoMlp::kIn, rows)};
    auto a = plain->run({in});
    auto b = measured->run({in});
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    for (std::size_t i = 0; i < (*a)[0].data.size(); ++i) {
      EXPECT_NEAR((*a)[0].data[i], (*b)[0].data[i], 1e-6);
    }
  }
}

}  // namespace
}  // namespace synod::inference
