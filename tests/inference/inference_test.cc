#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include "inference/backend.h"
#include "inference/demo_models.h"
#include "inference/oip_json.h"
#include "inference/onnx_model.h"
#include "inference/repository.h"
#include "inference/scheduler.h"
#include "tests/inference/reference.h"

namespace synod::inference {
namespace {

namespace fs = std::filesystem;

std::vector<float> inputs_for(int rows, int per_row, int seed) {
  std::vector<float> out(static_cast<std::size_t>(rows * per_row));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<float>(((i * 37 + static_cast<std::size_t>(seed) * 11) % 23)) / 11.0f - 1.0f;
  }
  return out;
}

std::unique_ptr<Backend> load_backend(const std::string& bytes, ModelSignature* sig = nullptr) {
  auto prepared = prepare_onnx_model(bytes);
  EXPECT_TRUE(prepared.is_ok()) << prepared.status();
  auto backend = make_opencv_backend();
  EXPECT_TRUE(backend->load(prepared->bytes, prepared->signature, {}).is_ok());
  if (sig) *sig = prepared->signature;
  return backend;
}

Tensor tensor(const std::string& name, Shape shape, std::vector<float> data) {
  return Tensor{name, DataType::kFp32, std::move(shape), std::move(data)};
}

TEST(DemoModels, MlpMatchesThePlainLoopReferenceAtBatchOneAndEight) {
  const auto w = demo_mlp_weights();
  auto backend = load_backend(build_mlp_onnx(w));
  for (int rows : {1, 8}) {
    auto x = inputs_for(rows, DemoMlp::kIn, rows);
    auto out = backend->run({tensor("input", {rows, DemoMlp::kIn}, x)});
    ASSERT_TRUE(out.is_ok()) << out.status();
    ASSERT_EQ((*out)[0].shape, (Shape{rows, DemoMlp::kOut}));
    for (int r = 0; r < rows; ++r) {
      auto ref = testing::mlp_reference(w, &x[r * DemoMlp::kIn]);
      for (int k = 0; k < DemoMlp::kOut; ++k) {
        EXPECT_NEAR((*out)[0].data[r * DemoMlp::kOut + k], ref[k], 1e-5) << "row " << r;
      }
    }
  }
}

TEST(DemoModels, CnnMatchesThePlainLoopReferenceAtBatchOneAndEight) {
  const auto w = demo_cnn_weights();
  auto backend = load_backend(build_cnn_onnx(w));
  constexpr int kPixels = DemoCnn::kSide * DemoCnn::kSide;
  for (int rows : {1, 8}) {
    auto x = inputs_for(rows, kPixels, rows + 3);
    auto out = backend->run({tensor("image", {rows, 1, DemoCnn::kSide, DemoCnn::kSide}, x)});
    ASSERT_TRUE(out.is_ok()) << out.status();
    ASSERT_EQ((*out)[0].shape, (Shape{rows, DemoCnn::kClasses}));
    for (int r = 0; r < rows; ++r) {
      auto ref = testing::cnn_reference(w, &x[r * kPixels]);
      for (int k = 0; k < DemoCnn::kClasses; ++k) {
        EXPECT_NEAR((*out)[0].data[r * DemoCnn::kClasses + k], ref[k], 1e-5) << "row " << r;
      }
    }
  }
}

// A batch run row by row (what the backend does when batching saves a
// model nothing: OpenCV sets a network up again whenever the batch size
// changes) gives the outputs of the whole batch, whatever the sizes in turn.
TEST(DemoModels, BatchesRunRowByRowMatchWholeBatchesAndTheReference) {
  const auto w = demo_cnn_weights();
  auto prepared = prepare_onnx_model(build_cnn_onnx(w));
  ASSERT_TRUE(prepared.is_ok()) << prepared.status();
  BackendOptions by_rows, whole;
  by_rows.max_batch_size = whole.max_batch_size = 16;
  by_rows.rows_separately = 1;
  whole.rows_separately = -1;
  auto rows_backend = make_opencv_backend(), whole_backend = make_opencv_backend();
  ASSERT_TRUE(rows_backend->load(prepared->bytes, prepared->signature, by_rows).is_ok());
  ASSERT_TRUE(whole_backend->load(prepared->bytes, prepared->signature, whole).is_ok());
  EXPECT_EQ(rows_backend->options_for_more_instances(by_rows).rows_separately, 1);
  EXPECT_EQ(whole_backend->options_for_more_instances(whole).rows_separately, -1);
  constexpr int kPixels = DemoCnn::kSide * DemoCnn::kSide;
  for (int rows : {5, 1, 8, 3}) {
    auto x = inputs_for(rows, kPixels, rows * 7);
    const auto input = tensor("image", {rows, 1, DemoCnn::kSide, DemoCnn::kSide}, x);
    auto by_row = rows_backend->run({input});
    auto batch = whole_backend->run({input});
    ASSERT_TRUE(by_row.is_ok()) << by_row.status();
    ASSERT_TRUE(batch.is_ok()) << batch.status();
    ASSERT_EQ((*by_row)[0].shape, (Shape{rows, DemoCnn::kClasses}));
    ASSERT_EQ((*by_row)[0].data.size(), (*batch)[0].data.size());
    for (int r = 0; r < rows; ++r) {
      auto ref = testing::cnn_reference(w, &x[r * kPixels]);
      for (int k = 0; k < DemoCnn::kClasses; ++k) {
        const auto i = static_cast<std::size_t>(r * DemoCnn::kClasses + k);
        EXPECT_NEAR((*by_row)[0].data[i], (*batch)[0].data[i], 1e-6) << "row " << r;
        EXPECT_NEAR((*by_row)[0].data[i], ref[k], 1e-5) << "row " << r;
      }
    }
  }
  // Left to measure, the backend decides one way or the other and hands
  // the decision to the model's further instances.
  BackendOptions measure;
  measure.max_batch_size = 16;
  auto measured = make_opencv_backend();
  ASSERT_TRUE(measured->load(prepared->bytes, prepared->signature, measure).is_ok());
  EXPECT_NE(measured->options_for_more_instances(measure).rows_separately, 0);
}

TEST(DemoModels, IdentityOverAnInitializerIsFoldedAndReported) {
  auto prepared = prepare_onnx_model(build_mlp_onnx(demo_mlp_weights()));
  ASSERT_TRUE(prepared.is_ok());
  ASSERT_EQ(prepared->rewrites.size(), 1u);
  EXPECT_NE(prepared->rewrites[0].find("folded Identity 'w2'"), std::string::npos);
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(prepared->bytes));
  for (const auto& node : model.graph().node()) EXPECT_NE(node.op_type(), "Identity");
  ASSERT_EQ(prepared->signature.inputs.size(), 1u);
  EXPECT_EQ(prepared->signature.inputs[0].shape, (Shape{-1, DemoMlp::kIn}));
  EXPECT_EQ(prepared->signature.outputs[0].name, "probabilities");
}

TEST(OnnxValidation, TruncatedAndNonOnnxFilesAreRejected) {
  const auto bytes = build_cnn_onnx(demo_cnn_weights());
  auto truncated = prepare_onnx_model(std::string_view(bytes).substr(0, bytes.size() / 2));
  ASSERT_FALSE(truncated.is_ok());
  EXPECT_NE(truncated.status().message().find("not an ONNX model"), std::string::npos);
  auto text = prepare_onnx_model("this is not a model at all, just text\n");
  ASSERT_FALSE(text.is_ok());
  EXPECT_NE(text.status().message().find("not an ONNX model"), std::string::npos);
  EXPECT_FALSE(prepare_onnx_model("").is_ok());
}

std::string model_with_ops(const std::vector<std::string>& ops) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  auto* g = model.mutable_graph();
  auto* in = g->add_input();
  in->set_name("x");
  in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  std::string prev = "x";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto* n = g->add_node();
    n->set_op_type(ops[i]);
    n->add_input(prev);
    prev = "t" + std::to_string(i);
    n->add_output(prev);
  }
  auto* out = g->add_output();
  out->set_name(prev);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return model.SerializeAsString();
}

TEST(OnnxValidation, UnsupportedOpsAreNamed) {
  auto r = prepare_onnx_model(model_with_ops({"Relu", "NonZero", "TopK", "NonZero"}));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unsupported ops"), std::string::npos);
  EXPECT_NE(r.status().message().find("NonZero, TopK"), std::string::npos);
  EXPECT_TRUE(prepare_onnx_model(model_with_ops({"Relu", "Sigmoid"})).is_ok());
}

TEST(OnnxValidation, IdentityBetweenNodesIsRemoved) {
  auto r = prepare_onnx_model(model_with_ops({"Relu", "Identity", "Sigmoid"}));
  ASSERT_TRUE(r.is_ok()) << r.status();
  ASSERT_EQ(r->rewrites.size(), 1u);
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(r->bytes));
  ASSERT_EQ(model.graph().node_size(), 2);
  EXPECT_EQ(model.graph().node(1).input(0), "t0");
}

// ------------------------------------------------------------- scheduler

class SchedulerTest : public ::testing::Test {
 protected:
  static std::vector<std::unique_ptr<Backend>> mlp_instances(int n) {
    std::vector<std::unique_ptr<Backend>> out;
    for (int i = 0; i < n; ++i) out.push_back(load_backend(build_mlp_onnx(demo_mlp_weights())));
    return out;
  }
  static std::future<Result<InferOutcome>> submit(ModelScheduler& s, std::vector<float> x,
                                                  int rows) {
    auto promise = std::make_shared<std::promise<Result<InferOutcome>>>();
    auto future = promise->get_future();
    InferRequest r;
    r.inputs = {tensor("input", {rows, DemoMlp::kIn}, std::move(x))};
    r.rows = static_cast<std::size_t>(rows);
    r.done = [promise](Result<InferOutcome> o) { promise->set_value(std::move(o)); };
    auto st = s.submit(std::move(r));
    if (!st.is_ok()) promise->set_value(st);
    return future;
  }
};

TEST_F(SchedulerTest, BatchedAndUnbatchedResultsAreIdentical) {
  SchedulerOptions unbatched{64, false};
  SchedulerOptions batched{64, true, std::chrono::microseconds(200000), {8}};
  ModelScheduler plain("mlp", unbatched, mlp_instances(1));
  ModelScheduler batching("mlp", batched, mlp_instances(1));
  std::vector<std::future<Result<InferOutcome>>> a, b;
  for (int i = 0; i < 8; ++i) {
    auto x = inputs_for(1, DemoMlp::kIn, i);
    a.push_back(submit(plain, x, 1));
    b.push_back(submit(batching, x, 1));
  }
  std::size_t max_batch = 0;
  const auto w = demo_mlp_weights();
  for (int i = 0; i < 8; ++i) {
    auto ra = a[i].get();
    auto rb = b[i].get();
    ASSERT_TRUE(ra.is_ok() && rb.is_ok());
    max_batch = std::max(max_batch, rb->batch_size);
    EXPECT_EQ(ra->outputs[0].shape, (Shape{1, DemoMlp::kOut}));
    EXPECT_EQ(rb->outputs[0].shape, (Shape{1, DemoMlp::kOut}));
    auto ref = testing::mlp_reference(w, inputs_for(1, DemoMlp::kIn, i).data());
    for (int k = 0; k < DemoMlp::kOut; ++k) {
      EXPECT_NEAR(ra->outputs[0].data[k], rb->outputs[0].data[k], 1e-6);
      EXPECT_NEAR(rb->outputs[0].data[k], ref[k], 1e-5);
    }
  }
  // The 200 ms window gathers all eight into one batch.
  EXPECT_EQ(max_batch, 8u);
}

// A backend that blocks until released, to fill queues deterministically.
class GateBackend final : public Backend {
 public:
  struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
    int entered = 0;
  };
  explicit GateBackend(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  Status load(std::string_view, const ModelSignature&, const BackendOptions&) override {
    return Status::ok();
  }
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) override {
    std::unique_lock lock(gate_->mutex);
    ++gate_->entered;
    gate_->cv.notify_all();
    gate_->cv.wait(lock, [&] { return gate_->open; });
    return inputs;
  }
  std::string_view name() const override { return "gate"; }

 private:
  std::shared_ptr<Gate> gate_;
};

TEST_F(SchedulerTest, FullQueueIsRefusedAtOnceAndExpiredOrCancelledRequestsDoNotRun) {
  auto gate = std::make_shared<GateBackend::Gate>();
  std::vector<std::unique_ptr<Backend>> instances;
  instances.push_back(std::make_unique<GateBackend>(gate));
  ModelScheduler s("gate", SchedulerOptions{0, false, {}, {}, 2}, std::move(instances));
  auto first = submit(s, inputs_for(1, 16, 0), 1);
  {
    std::unique_lock lock(gate->mutex);
    gate->cv.wait(lock, [&] { return gate->entered == 1; });
  }
  // Two queued behind the running one: one expired, one cancelled.
  auto promise_expired = std::make_shared<std::promise<Result<InferOutcome>>>();
  InferRequest expired;
  expired.inputs = {tensor("input", {1, 16}, inputs_for(1, 16, 1))};
  expired.deadline = MonoTime(std::chrono::steady_clock::now().time_since_epoch());
  expired.done = [promise_expired](Result<InferOutcome> o) { promise_expired->set_value(o); };
  ASSERT_TRUE(s.submit(std::move(expired)).is_ok());
  auto promise_cancelled = std::make_shared<std::promise<Result<InferOutcome>>>();
  InferRequest gone;
  gone.inputs = {tensor("input", {1, 16}, inputs_for(1, 16, 2))};
  gone.cancelled = std::make_shared<std::atomic<bool>>(true);
  gone.done = [promise_cancelled](Result<InferOutcome> o) { promise_cancelled->set_value(o); };
  ASSERT_TRUE(s.submit(std::move(gone)).is_ok());
  auto full = submit(s, inputs_for(1, 16, 3), 1).get();
  ASSERT_FALSE(full.is_ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  {
    std::lock_guard lock(gate->mutex);
    gate->open = true;
  }
  gate->cv.notify_all();
  EXPECT_TRUE(first.get().is_ok());
  EXPECT_EQ(promise_expired->get_future().get().status().code(), StatusCode::kTimeout);
  EXPECT_EQ(promise_cancelled->get_future().get().status().code(), StatusCode::kCancelled);
  EXPECT_EQ(gate->entered, 1);
}

// ------------------------------------------------------- request checks

class RequestCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_.name = "mlp";
    model_.config.max_batch_size = 8;
    model_.signature.inputs = {{"input", DataType::kFp32, {-1, 16}}};
    model_.signature.outputs = {{"probabilities", DataType::kFp32, {-1, 4}}};
  }
  std::string error(const std::string& body) {
    auto r = decode_infer_request(body, model_);
    EXPECT_FALSE(r.is_ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  }
  static std::string body(const std::string& name, const std::string& datatype,
                          const std::string& shape, int values) {
    std::string data;
    for (int i = 0; i < values; ++i) data += (i ? "," : "") + std::to_string(i % 3);
    return R"({"inputs":[{"name":")" + name + R"(","datatype":")" + datatype +
           R"(","shape":)" + shape + R"(,"data":[)" + data + "]}]}";
  }
  LoadedModel model_;
};

TEST_F(RequestCheckTest, AValidRequestDecodesNestedOrFlat) {
  auto flat = decode_infer_request(body("input", "FP32", "[2,16]", 32), model_);
  ASSERT_TRUE(flat.is_ok()) << flat.status();
  EXPECT_EQ(flat->rows, 2u);
  std::string nested = R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,16],"data":[[)";
  for (int i = 0; i < 16; ++i) nested += (i ? "," : "") + std::to_string(i);
  nested += "]]}]}";
  auto n = decode_infer_request(nested, model_);
  ASSERT_TRUE(n.is_ok()) << n.status();
  EXPECT_EQ(n->inputs[0].data[15], 15.0f);
}

TEST_F(RequestCheckTest, EachBadInputHasItsOwnError) {
  EXPECT_NE(error("{\"inputs\": [").find("malformed JSON"), std::string::npos);
  EXPECT_NE(error(body("input", "FP32", "[1,15]", 15)).find("does not match the model's [-1,16]"),
            std::string::npos);
  EXPECT_NE(error(body("input", "INT32", "[1,16]", 16)).find("datatype INT32"),
            std::string::npos);
  EXPECT_NE(error(R"({"inputs":[]})").find("missing input 'input'"), std::string::npos);
  EXPECT_NE(error(body("other", "FP32", "[1,16]", 16)).find("unexpected input 'other'"),
            std::string::npos);
  EXPECT_NE(error(body("input", "FP32", "[9,16]", 144)).find("exceeds max_batch_size 8"),
            std::string::npos);
  EXPECT_NE(error(body("input", "FP32", "[1,16]", 15)).find("needs 16 values"),
            std::string::npos);
  EXPECT_NE(error(R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,16],"data":["a"]}]})")
                .find("non-numeric"),
            std::string::npos);
}

TEST_F(RequestCheckTest, TheStreamingDecoderAcceptsAnyValidJsonLayout) {
  // Keys in any order, data before datatype, escapes, whitespace, and
  // members the protocol allows but synod ignores ("parameters").
  std::string data;
  for (int i = 0; i < 16; ++i) data += (i ? " , " : "") + std::to_string(i) + (i % 2 ? ".5" : "e0");
  const std::string body = " {\"id\" : \"r\\u00e9q\\n\", \"parameters\": {\"x\": [null, true, {}]},\n"
                           "  \"inputs\": [ {\"data\": [ " + data + " ], \"shape\": [1, 16],"
                           " \"parameters\": {}, \"datatype\": \"FP\\u0033\\u0032\", \"name\": \"in\\u0070ut\"} ],"
                           " \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {}}] } ";
  auto r = decode_infer_request(body, model_);
  ASSERT_TRUE(r.is_ok()) << r.status();
  EXPECT_EQ(r->id, "r\xc3\xa9q\n");
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].data[0], 0.0f);
  EXPECT_EQ(r->inputs[0].data[3], 3.5f);
  EXPECT_EQ(r->outputs, std::vector<std::string>{"probabilities"});
}

TEST_F(RequestCheckTest, NumbersParseExactlyAsStrtodDoes) {
  std::vector<std::string> numbers = {"0", "-0", "0.1", "-0.125", "2.5e-3", "1E5", "1e+2",
                                      "123456789012345678", "9007199254740993", "1e22", "1e23",
                                      "0.000000000000000000000000001234", "3.4028234e38",
                                      "1.00000000000000000000001", "-7.5e-40", "65504.0001"};
  std::uint64_t x = 12345;
  for (int i = 0; i < 64; ++i) {  // and random decimals of every length
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    std::string n = std::to_string(x >> (x % 40));
    n.insert(n.size() / 2, ".");
    numbers.push_back((i % 2 ? "-" : "") + n + (i % 3 ? "" : "e-" + std::to_string(i % 30)));
  }
  for (std::size_t at = 0; at + 16 <= numbers.size(); at += 16) {
    std::string data;
    for (std::size_t i = at; i < at + 16; ++i) data += (i > at ? "," : "") + numbers[i];
    auto r = decode_infer_request(
        R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,16],"data":[)" + data + "]}]}",
        model_);
    ASSERT_TRUE(r.is_ok()) << r.status();
    for (std::size_t i = at; i < at + 16; ++i) {
      EXPECT_EQ(r->inputs[0].data[i - at], static_cast<float>(std::strtod(numbers[i].c_str(), nullptr)))
          << numbers[i];
    }
  }
}

TEST_F(RequestCheckTest, MalformedBodiesAreReportedAsSuchAndNeverCrash) {
  const std::string valid = body("input", "FP32", "[1,16]", 16);
  for (const std::string& bad :
       {valid + "x", valid.substr(0, valid.size() - 1), std::string(""), std::string("[1,2"),
        std::string(R"({"inputs":[{"name":"input","data":[1,2,]}]})"),
        std::string(R"({"inputs":[{"name":"input","data":[01]}]})"),
        std::string(R"({"inputs":[{"name":"input","data":[1.]}]})"),
        std::string(R"({"inputs":[{"name":"in\qput"}]})"), std::string("{\"inputs\":[\"\x01\"]}"),
        std::string(100000, '['), R"({"inputs":)" + std::string(5000, '[') + "1" +
                                      std::string(5000, ']') + "}"}) {
    EXPECT_NE(error(bad).find("malformed JSON"), std::string::npos) << bad.substr(0, 80);
  }
  // A semantic problem before a syntax error still reads as malformed JSON.
  EXPECT_NE(error(R"({"inputs":[{"name":"other"}], "x": })").find("malformed JSON"),
            std::string::npos);
  EXPECT_NE(error(R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,-16],"data":[]}]})")
                .find("non-negative integers"),
            std::string::npos);
  EXPECT_NE(error(R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,16],"data":[1e999]}]})")
                .find("out of range for FP32"),
            std::string::npos);
  EXPECT_NE(error(R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,16],"data":[true]}]})")
                .find("a boolean in a FP32 tensor"),
            std::string::npos);
  EXPECT_NE(error(R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,16],"data":[)"
                  R"(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}],"outputs":[{"name":"nope"}]})")
                .find("unknown output 'nope'"),
            std::string::npos);
  EXPECT_NE(error(R"({"inputs":{}})").find("\"inputs\" array"), std::string::npos);
  EXPECT_NE(error(R"({"inputs":[{"name":1}]})").find("needs a \"name\""), std::string::npos);
}

TEST(IntegerDatatypes, ValuesAreCheckedAgainstTheDatatype) {
  LoadedModel model;
  model.name = "ints";
  model.signature.inputs = {{"ids", DataType::kUint8, {2}}};
  auto ok = decode_infer_request(
      R"({"inputs":[{"name":"ids","datatype":"UINT8","shape":[2],"data":[0,255]}]})", model);
  EXPECT_TRUE(ok.is_ok());
  auto range = decode_infer_request(
      R"({"inputs":[{"name":"ids","datatype":"UINT8","shape":[2],"data":[0,256]}]})", model);
  EXPECT_FALSE(range.is_ok());
  auto frac = decode_infer_request(
      R"({"inputs":[{"name":"ids","datatype":"UINT8","shape":[2],"data":[0,1.5]}]})", model);
  EXPECT_FALSE(frac.is_ok());
}

// ------------------------------------------------------------ repository

TEST(Repository, ABrokenModelDoesNotStopTheOthers) {
  const fs::path root = fs::temp_directory_path() / ("synod-repo-" + std::to_string(::getpid()));
  fs::remove_all(root);
  ASSERT_TRUE(write_demo_repository(root.string(), true).is_ok());
  const auto cnn = build_cnn_onnx(demo_cnn_weights());
  ASSERT_TRUE(write_model_dir(root.string(), "truncated", cnn.substr(0, 100), demo_config(false)).is_ok());
  ASSERT_TRUE(write_model_dir(root.string(), "topk", model_with_ops({"TopK"}), ModelConfig{}).is_ok());
  ModelRepository repo(root.string(), {});
  EXPECT_EQ(repo.load_all(), 2u);
  std::map<std::string, ModelIndexEntry> index;
  for (auto& e : repo.index()) index[e.name] = e;
  EXPECT_EQ(index["mlp"].state, "READY");
  EXPECT_EQ(index["cnn"].state, "READY");
  EXPECT_EQ(index["truncated"].state, "UNAVAILABLE");
  EXPECT_NE(index["truncated"].reason.find("not an ONNX model"), std::string::npos);
  EXPECT_NE(index["topk"].reason.find("unsupported ops (OpenCV 4.6 cannot run them): TopK"),
            std::string::npos);
  ASSERT_NE(repo.find("mlp"), nullptr);
  EXPECT_EQ(repo.find("nope"), nullptr);
  EXPECT_EQ(repo.load("nope").code(), StatusCode::kNotFound);

  // Unload then reload at run time; a new version replaces the old one.
  ASSERT_TRUE(repo.unload("mlp").is_ok());
  EXPECT_EQ(repo.find("mlp"), nullptr);
  fs::copy(root / "mlp" / "1", root / "mlp" / "2", fs::copy_options::recursive);
  ASSERT_TRUE(repo.load("mlp").is_ok());
  ASSERT_NE(repo.find("mlp"), nullptr);
  EXPECT_EQ(repo.find("mlp")->version, 2);
  EXPECT_EQ(repo.find("mlp", "1"), nullptr);
  repo.unload_all();
  fs::remove_all(root);
}

TEST(ModelConfigFile, UnknownKeysAndBadValuesAreNamed) {
  EXPECT_FALSE(parse_model_config("max_batch: 3\n", "c.yaml").is_ok());
  EXPECT_FALSE(parse_model_config("instance_count: 0\n", "c.yaml").is_ok());
  EXPECT_FALSE(parse_model_config("dynamic_batching: {}\n", "c.yaml").is_ok());
  auto ok = parse_model_config(
      "max_batch_size: 8\ndynamic_batching:\n  max_queue_delay_us: 50\n"
      "  preferred_batch_sizes: [4, 8]\n",
      "c.yaml");
  ASSERT_TRUE(ok.is_ok()) << ok.status();
  EXPECT_TRUE(ok->dynamic_batching);
  EXPECT_EQ(ok->max_queue_delay.count(), 50);
  auto round_trip = parse_model_config(model_config_yaml(*ok), "again");
  ASSERT_TRUE(round_trip.is_ok());
  EXPECT_EQ(round_trip->preferred_batch_sizes, ok->preferred_batch_sizes);
}

}  // namespace
}  // namespace synod::inference
