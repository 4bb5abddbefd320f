// Triton's binary tensor data extension (docs/inference.md "Binary tensor
// data"): request decoding, response encoding, their errors, and the
// forward frames that carry the JSON header length between nodes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "inference/backend.h"
#include "inference/demo_models.h"
#include "inference/oip_json.h"
#include "inference/onnx_model.h"
#include "node/inference/forward_codec.h"

namespace synod::inference {
namespace {

constexpr DataType kAllTypes[] = {DataType::kBool,  DataType::kUint8, DataType::kUint16,
                                  DataType::kUint32, DataType::kUint64, DataType::kInt8,
                                  DataType::kInt16, DataType::kInt32, DataType::kInt64,
                                  DataType::kFp16,  DataType::kFp32,  DataType::kFp64};

// Six values a datatype holds exactly (as float too), extremes included.
std::vector<float> values_for(DataType type) {
  switch (type) {
    case DataType::kBool: return {0, 1, 1, 0, 0, 1};
    case DataType::kUint8: return {0, 1, 2, 127, 128, 255};
    case DataType::kUint16: return {0, 1, 300, 32768, 40000, 65535};
    case DataType::kUint32: return {0, 1, 70000, 16777216, 2147483648.0f, 4294967040.0f};
    case DataType::kUint64: return {0, 1, 70000, 4294967296.0f, 1099511627776.0f, 1e18f};
    case DataType::kInt8: return {-128, -1, 0, 1, 100, 127};
    case DataType::kInt16: return {-32768, -300, 0, 1, 300, 32767};
    case DataType::kInt32: return {-2147483648.0f, -70000, 0, 1, 70000, 2147483520.0f};
    case DataType::kInt64: return {-9.2e18f, -70000, 0, 1, 70000, 9.2e18f};
    case DataType::kFp16: return {0, -2, 0.5f, 65504, std::ldexp(1.0f, -24), -0.0009765625f};
    case DataType::kFp32: return {0, -1.5f, 3.25e-20f, 1e30f, -7.0f / 3, 0.1f};
    case DataType::kFp64: return {0, -1.5f, 3.25e-20f, 1e30f, -7.0f / 3, 0.1f};
  }
  return {};
}

LoadedModel one_input_model(DataType type) {
  LoadedModel model;
  model.name = "m";
  model.config.max_batch_size = 4;
  model.signature.inputs = {{"x", type, {-1, 3}}};
  model.signature.outputs = {{"y", type, {-1, 3}}};
  return model;
}

Tensor tensor(const std::string& name, DataType type, Shape shape, std::vector<float> data) {
  return Tensor{name, type, std::move(shape), std::move(data)};
}

std::string bytes_of(const void* p, std::size_t n) {
  return std::string(static_cast<const char*>(p), n);
}

// A request with one FP32 input "x" [1,3]: `json` is its JSON text, the
// header length is its size, `tail` the bytes after it.
struct Body {
  std::string text;
  std::size_t json_length;
};
Body request_with(const std::string& input_json, const std::string& tail,
                  const std::string& extra = "") {
  const std::string json = R"({"inputs":[)" + input_json + "]" + extra + "}";
  return {json + tail, json.size()};
}
std::string floats(std::initializer_list<float> v) {
  return bytes_of(std::data(v), v.size() * sizeof(float));
}

class BinaryErrors : public ::testing::Test {
 protected:
  std::string error(const Body& body) { return error(body.text, body.json_length); }
  std::string error(const std::string& body, std::optional<std::size_t> json_length) {
    auto r = decode_infer_request(body, model_, json_length);
    EXPECT_FALSE(r.is_ok()) << body.substr(0, 200);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  }
  LoadedModel model_ = one_input_model(DataType::kFp32);
};

constexpr const char* kInput =
    R"({"name":"x","datatype":"FP32","shape":[1,3],"parameters":{"binary_data_size":12}})";

}  // namespace

TEST(BinaryData, EveryDatatypeRoundTripsThroughRequestAndResponse) {
  for (DataType type : kAllTypes) {
    SCOPED_TRACE(std::string(datatype_name(type)));
    const auto model = one_input_model(type);
    const Tensor input = tensor("x", type, {2, 3}, values_for(type));
    const auto encoded = encode_infer_request_binary({input}, true);
    ASSERT_TRUE(encoded.json_length);
    EXPECT_EQ(encoded.body.size() - *encoded.json_length, 6 * datatype_size(type));
    auto decoded = decode_infer_request(encoded.body, model, encoded.json_length);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status();
    EXPECT_EQ(decoded->rows, 2u);
    EXPECT_EQ(decoded->inputs[0].data, input.data);
    EXPECT_TRUE(decoded->binary_all);
    // The JSON request gives the same values.
    if (type != DataType::kFp16) {  // (JSON FP16 values are not rounded to half)
      auto json = decode_infer_request(encode_infer_request({input}), model);
      ASSERT_TRUE(json.is_ok()) << json.status();
      EXPECT_EQ(json->inputs[0].data, input.data);
    }
    // The response: raw bytes in the datatype, read back to the same values.
    const Tensor output = tensor("y", type, {2, 3}, values_for(type));
    auto response = encode_infer_response("m", 1, *decoded, {output});
    ASSERT_TRUE(response.json_length);
    EXPECT_EQ(response.body.size() - *response.json_length, 6 * datatype_size(type));
    EXPECT_EQ(response.body.substr(*response.json_length),
              encoded.body.substr(*encoded.json_length));
    auto back = decode_infer_response(response.body, response.json_length);
    ASSERT_TRUE(back.is_ok()) << back.status();
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].data, output.data);
    EXPECT_EQ((*back)[0].shape, (Shape{2, 3}));
  }
}

TEST(BinaryData, BytesAreLittleEndianRowMajorInTheDatatypeSize) {
  auto r = encode_infer_request_binary(
      {tensor("x", DataType::kInt16, {1, 3}, {1, -2, 258})}, false);
  ASSERT_TRUE(r.json_length);
  EXPECT_EQ(r.body.substr(*r.json_length), std::string("\x01\x00\xfe\xff\x02\x01", 6));
  EXPECT_NE(r.body.find(R"("binary_data_size":6)"), std::string::npos);
  EXPECT_EQ(r.body.find("binary_data_output"), std::string::npos);
  EXPECT_EQ(r.body.find("\"data\""), std::string::npos);
}

TEST(BinaryData, Fp16ConvertsBothWaysRoundingToNearestEven) {
  const std::uint16_t halves[] = {0x3C00, 0x7BFF, 0x0001, 0xC000, 0x7C00, 0x8000, 0x3555};
  std::vector<float> v;
  std::string why;
  ASSERT_TRUE(binary_to_values(bytes_of(halves, sizeof halves), DataType::kFp16, v, why));
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], 65504.0f);
  EXPECT_EQ(v[2], std::ldexp(1.0f, -24));
  EXPECT_EQ(v[3], -2.0f);
  EXPECT_EQ(v[4], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::signbit(v[5]));
  EXPECT_EQ(v[6], 0.333251953125f);
  // 1 + 2^-11 is a tie (to 1.0, even); 1 + 3 * 2^-11 rounds up to 1 + 2^-9;
  // 65520 and above overflow to infinity; 2^-25 ties to zero.
  std::string out;
  append_binary(tensor("y", DataType::kFp16, {6},
                       {1 + std::ldexp(1.0f, -11), 1 + 3 * std::ldexp(1.0f, -11), 65519, 65520,
                        std::ldexp(1.0f, -25), std::ldexp(3.0f, -25)}),
                out);
  std::uint16_t h[6];
  ASSERT_EQ(out.size(), sizeof h);
  std::memcpy(h, out.data(), sizeof h);
  EXPECT_EQ(h[0], 0x3C00);
  EXPECT_EQ(h[1], 0x3C02);
  EXPECT_EQ(h[2], 0x7BFF);
  EXPECT_EQ(h[3], 0x7C00);
  EXPECT_EQ(h[4], 0x0000);
  EXPECT_EQ(h[5], 0x0002);
}

TEST(BinaryData, IntegerOutputsAreTruncatedAndClampedLikeTheJsonData) {
  std::string out;
  append_binary(tensor("y", DataType::kUint8, {4}, {2.7f, -3, 300, std::nanf("")}), out);
  EXPECT_EQ(out, std::string("\x02\x00\xff\x00", 4));
  out.clear();
  append_binary(tensor("y", DataType::kInt64, {2}, {-2.9f, 1e30f}), out);
  std::int64_t v[2];
  std::memcpy(v, out.data(), sizeof v);
  EXPECT_EQ(v[0], -2);
  EXPECT_EQ(v[1], std::numeric_limits<std::int64_t>::max());
}

TEST(BinaryData, DemoModelsGiveIdenticalOutputsForBinaryAndJsonRequests) {
  for (const std::string name : {"mlp", "cnn"}) {
    SCOPED_TRACE(name);
    auto prepared = prepare_onnx_model(name == "mlp" ? build_mlp_onnx(demo_mlp_weights())
                                                     : build_cnn_onnx(demo_cnn_weights()));
    ASSERT_TRUE(prepared.is_ok()) << prepared.status();
    LoadedModel model;
    model.name = name;
    model.config = demo_config(false);
    model.signature = prepared->signature;
    auto backend = make_opencv_backend();
    ASSERT_TRUE(backend->load(prepared->bytes, prepared->signature, {}).is_ok());
    const Tensor input = demo_input(name, 3);
    auto json = decode_infer_request(encode_infer_request({input}), model);
    auto binary_body = encode_infer_request_binary({input}, true);
    auto binary = decode_infer_request(binary_body.body, model, binary_body.json_length);
    ASSERT_TRUE(json.is_ok()) << json.status();
    ASSERT_TRUE(binary.is_ok()) << binary.status();
    EXPECT_EQ(json->inputs[0].data, binary->inputs[0].data);
    auto a = backend->run(json->inputs);
    auto b = backend->run(binary->inputs);
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    // Answered in JSON and in binary, the client reads the same numbers.
    auto from_json = decode_infer_response(encode_infer_response(name, 1, *json, *a).body);
    auto encoded = encode_infer_response(name, 1, *binary, *b);
    auto from_binary = decode_infer_response(encoded.body, encoded.json_length);
    ASSERT_TRUE(from_json.is_ok() && from_binary.is_ok());
    ASSERT_EQ(from_binary->size(), 1u);
    EXPECT_EQ((*from_binary)[0].data, (*b)[0].data);
    ASSERT_EQ((*from_json)[0].data.size(), (*from_binary)[0].data.size());
    for (std::size_t i = 0; i < (*from_json)[0].data.size(); ++i) {
      EXPECT_FLOAT_EQ((*from_json)[0].data[i], (*from_binary)[0].data[i]);
    }
  }
}

TEST(BinaryData, InputsMixJsonAndBinaryAndBinaryFollowsRequestOrder) {
  LoadedModel model;
  model.name = "two";
  model.config.max_batch_size = 4;
  model.signature.inputs = {{"a", DataType::kFp32, {-1, 2}},
                            {"b", DataType::kInt32, {-1, 3}},
                            {"c", DataType::kUint8, {-1, 2}}};
  model.signature.outputs = {{"y", DataType::kFp32, {-1, 1}}};
  const std::int32_t b[] = {7, -8, 9};
  const std::uint8_t c[] = {250, 3};
  // "c" comes first in the request, so its bytes come first.
  const std::string json =
      R"({"inputs":[{"name":"c","datatype":"UINT8","shape":[1,2],"parameters":{"binary_data_size":2}},)"
      R"({"name":"a","datatype":"FP32","shape":[1,2],"data":[0.5,1.5]},)"
      R"({"name":"b","datatype":"INT32","shape":[1,3],"parameters":{"binary_data_size":12}}]})";
  const std::string body = json + bytes_of(c, sizeof c) + bytes_of(b, sizeof b);
  auto r = decode_infer_request(body, model, json.size());
  ASSERT_TRUE(r.is_ok()) << r.status();
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(r->inputs[1].data, (std::vector<float>{7, -8, 9}));
  EXPECT_EQ(r->inputs[2].data, (std::vector<float>{250, 3}));
  EXPECT_FALSE(r->binary_all);
}

TEST(BinaryData, AHeaderWithOnlyJsonAndBinaryOutputsForAJsonRequestAreAccepted) {
  auto model = one_input_model(DataType::kFp32);
  const std::string json =
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}],)"
      R"("outputs":[{"name":"y","parameters":{"binary_data":true}}]})";
  auto r = decode_infer_request(json, model, json.size());
  ASSERT_TRUE(r.is_ok()) << r.status();
  auto plain = decode_infer_request(json, model);
  ASSERT_TRUE(plain.is_ok()) << plain.status();
  EXPECT_TRUE(plain->output_binary("y"));
  EXPECT_FALSE(plain->binary_all);
}

TEST(BinaryData, ResponsesHonourBinaryDataOutputAndPerOutputBinaryData) {
  const std::vector<Tensor> outputs = {tensor("p", DataType::kFp32, {1, 2}, {0.25f, 0.75f}),
                                       tensor("q", DataType::kInt32, {1, 1}, {3})};
  DecodedRequest all;
  all.binary_all = true;
  all.binary_override = {{"q", false}};  // "binary_data": false overrides binary_data_output
  auto r = encode_infer_response("m", 2, all, outputs);
  ASSERT_TRUE(r.json_length);
  auto doc = nlohmann::json::parse(r.body.substr(0, *r.json_length));
  EXPECT_EQ(doc["outputs"][0]["parameters"]["binary_data_size"], 8);
  EXPECT_FALSE(doc["outputs"][0].contains("data"));
  EXPECT_EQ(doc["outputs"][1]["data"], nlohmann::json::array({3}));
  EXPECT_FALSE(doc["outputs"][1].contains("parameters"));
  EXPECT_EQ(r.body.substr(*r.json_length), floats({0.25f, 0.75f}));

  DecodedRequest one;  // only "q" in binary, and only "q" requested
  one.outputs = {"q"};
  one.binary_override = {{"q", true}};
  r = encode_infer_response("m", 2, one, outputs);
  ASSERT_TRUE(r.json_length);
  doc = nlohmann::json::parse(r.body.substr(0, *r.json_length));
  ASSERT_EQ(doc["outputs"].size(), 1u);
  EXPECT_EQ(doc["outputs"][0]["name"], "q");
  EXPECT_EQ(doc["outputs"][0]["parameters"]["binary_data_size"], 4);
  const std::int32_t three = 3;
  EXPECT_EQ(r.body.substr(*r.json_length), bytes_of(&three, 4));

  DecodedRequest none;  // no binary asked: plain JSON, no header
  r = encode_infer_response("m", 2, none, outputs);
  EXPECT_FALSE(r.json_length);
  EXPECT_EQ(r.body, encode_infer_response("m", 2, "", outputs, {}));
}

TEST(BinaryData, DecodedOutputFlagsFollowTheRequest) {
  auto model = one_input_model(DataType::kFp32);
  auto body = request_with(kInput, floats({1, 2, 3}),
                           R"(,"parameters":{"binary_data_output":true,"other":[1]},)"
                           R"("outputs":[{"name":"y","parameters":{"binary_data":false}}])");
  auto r = decode_infer_request(body.text, model, body.json_length);
  ASSERT_TRUE(r.is_ok()) << r.status();
  EXPECT_TRUE(r->binary_all);
  EXPECT_FALSE(r->output_binary("y"));
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{1, 2, 3}));
}

TEST_F(BinaryErrors, TheHeaderMustBeANumberNoLargerThanTheBody) {
  EXPECT_EQ(parse_json_length(" 12 ", 20).value(), 12u);
  auto bad = parse_json_length("12x", 20);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("'12x' is not a number"), std::string::npos);
  EXPECT_FALSE(parse_json_length("", 20).is_ok());
  EXPECT_FALSE(parse_json_length("-1", 20).is_ok());
  EXPECT_FALSE(parse_json_length("99999999999999999999999", 20).is_ok());
  auto big = parse_json_length("21", 20);
  ASSERT_FALSE(big.is_ok());
  EXPECT_NE(big.status().message().find("21 is larger than the 20-byte body"), std::string::npos);
  EXPECT_NE(error(std::string("{}"), 3).find("larger than the 2-byte body"), std::string::npos);
}

TEST_F(BinaryErrors, EachProblemHasItsOwnMessageNamingTheInput) {
  const std::string data = floats({1, 2, 3});
  // binary_data_size not shape x element size.
  EXPECT_NE(error(request_with(
                      R"({"name":"x","datatype":"FP32","shape":[1,3],"parameters":{"binary_data_size":8}})",
                      data.substr(0, 8)))
                .find("input 'x': binary_data_size 8 does not match shape [1,3] x 4 bytes (FP32) = 12"),
            std::string::npos);
  // The sizes add up to less than the bytes after the JSON.
  EXPECT_NE(error(request_with(kInput, data + "zz"))
                .find("binary_data_size add up to 12 bytes but 14 bytes follow the JSON"),
            std::string::npos);
  // ... or to more.
  EXPECT_NE(error(request_with(kInput, data.substr(0, 10)))
                .find("input 'x': its 12 bytes of binary data run past the end of the body (10"),
            std::string::npos);
  // Both "data" and binary_data_size.
  EXPECT_NE(error(request_with(
                      R"({"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3],"parameters":{"binary_data_size":12}})",
                      data))
                .find("input 'x': has both \"data\" and a binary_data_size"),
            std::string::npos);
  // Binary data without the header.
  EXPECT_NE(error(request_with(kInput, "").text, std::nullopt)
                .find("input 'x': binary_data_size without an Inference-Header-Content-Length"),
            std::string::npos);
  // BYTES.
  EXPECT_NE(error(request_with(
                      R"({"name":"x","datatype":"BYTES","shape":[1,3],"parameters":{"binary_data_size":12}})",
                      data))
                .find("input 'x': BYTES tensors are not supported"),
            std::string::npos);
  // Sizes that are not non-negative integers.
  for (const std::string size : {"-12", "12.5", "\"12\"", "null"}) {
    EXPECT_NE(error(request_with(
                        R"({"name":"x","datatype":"FP32","shape":[1,3],"parameters":{"binary_data_size":)" +
                            size + "}}",
                        data))
                  .find("input 'x': binary_data_size must be a non-negative integer"),
              std::string::npos)
        << size;
  }
  // Flags that are not booleans.
  EXPECT_NE(error(request_with(kInput, data, R"(,"parameters":{"binary_data_output":1})"))
                .find("must be true or false"),
            std::string::npos);
  // The JSON checks still apply to binary inputs (shape, datatype, names).
  EXPECT_NE(error(request_with(
                      R"({"name":"x","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":16}})",
                      data + "abcd"))
                .find("does not match the model's [-1,3]"),
            std::string::npos);
  EXPECT_NE(error(request_with(
                      R"({"name":"x","datatype":"INT32","shape":[1,3],"parameters":{"binary_data_size":12}})",
                      data))
                .find("datatype INT32"),
            std::string::npos);
  // A header length that cuts the JSON short.
  auto whole = request_with(kInput, data);
  EXPECT_NE(error(whole.text, whole.json_length - 1).find("malformed JSON"), std::string::npos);
  // Shapes whose byte count overflows.
  LoadedModel open;
  open.name = "open";
  open.signature.inputs = {{"x", DataType::kFp32, {-1, -1}}};
  const std::string huge =
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[4294967296,4294967296],"parameters":{"binary_data_size":0}}]})";
  auto overflow = decode_infer_request(huge, open, huge.size());
  ASSERT_FALSE(overflow.is_ok());
  EXPECT_NE(overflow.status().message().find("does not match shape"), std::string::npos);
}

TEST_F(BinaryErrors, BoolBytesMustBeZeroOrOne) {
  model_ = one_input_model(DataType::kBool);
  EXPECT_NE(error(request_with(
                      R"({"name":"x","datatype":"BOOL","shape":[1,3],"parameters":{"binary_data_size":3}})",
                      std::string("\x01\x00\x02", 3)))
                .find("input 'x': BOOL element 2 is byte 2 (must be 0 or 1)"),
            std::string::npos);
}

TEST_F(BinaryErrors, CorruptedBodiesNeverCrash) {
  auto good = encode_infer_request_binary({tensor("x", DataType::kFp32, {2, 3}, {1, 2, 3, 4, 5, 6})},
                                          true);
  ASSERT_TRUE(decode_infer_request(good.body, model_, good.json_length).is_ok());
  std::uint64_t seed = 7;
  for (int i = 0; i < 3000; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    std::string body = good.body;
    std::size_t length = *good.json_length;
    switch (i % 3) {
      case 0: body[(seed >> 33) % body.size()] = static_cast<char>(seed >> 20); break;
      case 1: body.resize((seed >> 33) % body.size()); break;
      default: length = (seed >> 33) % (body.size() + 1); break;
    }
    length = std::min(length, body.size());
    (void)decode_infer_request(body, model_, length);
    (void)decode_infer_response(body, length);
  }
}

}  // namespace synod::inference

namespace synod::node::inference {

// A JSON request that asks for binary outputs must go as op 4 (whose answer
// carries the JSON length) however the key is spelled.
TEST(ForwardCodec, RequestsThatMayAskForBinaryOutputsGoAsOp4) {
  const std::string plain =
      R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]})";
  EXPECT_FALSE(forward_as_binary(plain, false));
  EXPECT_TRUE(forward_as_binary(plain, true));
  EXPECT_TRUE(forward_as_binary(
      R"({"inputs":[],"parameters":{"binary_data_output":true}})", false));
  // The same key with a JSON escape: the decoder reads it as binary_data_output.
  const std::string escaped = R"({"inputs":[],"parameters":{"binary_data_output":true}})";
  EXPECT_TRUE(forward_as_binary(escaped, false));
  synod::inference::LoadedModel m;
  m.name = "m";
  m.signature.inputs = {{"x", synod::inference::DataType::kFp32, {1}}};
  m.signature.outputs = {{"y", synod::inference::DataType::kFp32, {1}}};
  auto decoded = synod::inference::decode_infer_request(
      R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],)"
      R"("parameters":{"binary_data_output":true}})",
      m);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_TRUE(decoded->binary_all);
}

TEST(ForwardCodec, OldFramesStillDecodeAndOp4CarriesTheJsonLength) {
  // An op 1 frame as nodes before binary tensor data wrote it.
  Bytes old;
  put_u8(old, 1);
  put_u8(old, 1);
  put_bytes(old, "mlp");
  put_bytes(old, "");
  old.append("{\"inputs\":[]}");
  auto r = decode_forward_request(old);
  ASSERT_TRUE(r.is_ok()) << r.status();
  EXPECT_EQ(r->op, ModelOp::kInfer);
  EXPECT_FALSE(r->binary);
  EXPECT_FALSE(r->json_length);
  EXPECT_EQ(r->body, "{\"inputs\":[]}");
  // Plain requests are still written as op 1, byte for byte.
  ForwardRequest plain;
  plain.model = "mlp";
  plain.body = "{\"inputs\":[]}";
  EXPECT_EQ(encode_forward_request(plain), old);

  ForwardRequest binary = plain;
  binary.binary = true;
  binary.json_length = 13;
  binary.body += std::string("\x00\x01", 2);
  const Bytes frame = encode_forward_request(binary);
  EXPECT_EQ(static_cast<std::uint8_t>(frame[1]), kBinaryInferOp);
  r = decode_forward_request(frame);
  ASSERT_TRUE(r.is_ok()) << r.status();
  EXPECT_EQ(r->op, ModelOp::kInfer);
  EXPECT_TRUE(r->binary);
  EXPECT_EQ(r->json_length, 13u);
  EXPECT_EQ(r->body, binary.body);
  binary.json_length.reset();  // binary outputs asked in a JSON body
  r = decode_forward_request(encode_forward_request(binary));
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->binary);
  EXPECT_FALSE(r->json_length);
  // Truncated before the u32.
  EXPECT_FALSE(decode_forward_request(frame.substr(0, 2 + 4 + 3 + 4 + 2)).is_ok());
  Bytes bad_op;
  put_u8(bad_op, 1);
  put_u8(bad_op, 5);
  put_bytes(bad_op, "mlp");
  put_bytes(bad_op, "");
  EXPECT_FALSE(decode_forward_request(bad_op).is_ok());
}

TEST(ForwardCodec, ResponsesToOp4CarryTheJsonLengthAndOldOnesAreUnchanged) {
  ForwardResponse response{200, "node1", std::string("{}\x01\x02", 4), 2};
  auto old = decode_forward_response(encode_forward_response(response));
  ASSERT_TRUE(old.is_ok());
  EXPECT_EQ(old->body, response.body);
  EXPECT_FALSE(old->json_length);
  Bytes hand;  // the old layout, by hand
  put_u16(hand, 200);
  put_bytes(hand, "node1");
  hand.append(response.body);
  EXPECT_EQ(encode_forward_response(response), hand);

  auto with = decode_forward_response(encode_forward_response(response, true), true);
  ASSERT_TRUE(with.is_ok()) << with.status();
  EXPECT_EQ(with->json_length, 2u);
  EXPECT_EQ(with->body, response.body);
  EXPECT_EQ(with->served_by, "node1");
  response.json_length.reset();
  with = decode_forward_response(encode_forward_response(response, true), true);
  ASSERT_TRUE(with.is_ok());
  EXPECT_FALSE(with->json_length);
  EXPECT_FALSE(decode_forward_response(hand.substr(0, 2 + 4 + 5 + 2), true).is_ok());
}

}  // namespace synod::node::inference
