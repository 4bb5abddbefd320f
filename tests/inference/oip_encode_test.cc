// The infer response is written straight into a string (oip_json.cc). These
// tests hold it to what the nlohmann DOM it replaced printed: the same JSON
// value for every kind of output, and the same text where the numbers print
// the same way in both.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "inference/oip_json.h"

namespace synod::inference {
namespace {

using nlohmann::json;

Tensor tensor(std::string name, DataType type, Shape shape, std::vector<float> data) {
  return Tensor{std::move(name), type, std::move(shape), std::move(data)};
}

// The response as the DOM encoder built it (all outputs as JSON).
json dom_response(const std::string& model, std::int64_t version, const std::string& id,
                  const std::vector<Tensor>& outputs) {
  json outs = json::array();
  for (const auto& t : outputs) {
    json data = json::array();
    for (float v : t.data) {
      if (is_integer(t.datatype)) {
        data.push_back(static_cast<std::int64_t>(v));
      } else {
        data.push_back(v);
      }
    }
    outs.push_back({{"name", t.name},
                    {"datatype", datatype_name(t.datatype)},
                    {"shape", t.shape},
                    {"data", data}});
  }
  json doc = {{"model_name", model},
              {"model_version", std::to_string(version)},
              {"outputs", outs}};
  if (!id.empty()) doc["id"] = id;
  return doc;
}

std::vector<Tensor> mixed_outputs() {
  return {tensor("probabilities", DataType::kFp32, {2, 3}, {0.1f, 0.25f, 1.0f, -3.5f, 1e-7f, 3e20f}),
          tensor("labels", DataType::kInt64, {3}, {-2, 0, 123456}),
          tensor("flags", DataType::kBool, {2}, {0, 1}),
          tensor("scalar", DataType::kFp64, {}, {2.0f})};
}

TEST(OipEncode, TextIsWhatTheDomPrinted) {
  const auto outputs = mixed_outputs();
  for (const std::string id : {"", "req-7"}) {
    const auto body = encode_infer_response("mlp", 3, id, outputs, {});
    EXPECT_EQ(body, dom_response("mlp", 3, id, outputs).dump()) << "id '" << id << "'";
  }
}

TEST(OipEncode, EveryFloatReadsBackAsTheSameValue) {
  // Values whose shortest text differs between printers are still the same
  // number once parsed.
  std::vector<float> values;
  std::uint32_t seed = 12345;
  for (int i = 0; i < 2000; ++i) {
    seed = seed * 1664525u + 1013904223u;
    float v;
    std::uint32_t bits = seed;
    std::memcpy(&v, &bits, sizeof v);
    if (std::isfinite(v)) values.push_back(v);
  }
  values.push_back(std::numeric_limits<float>::min());
  values.push_back(std::numeric_limits<float>::denorm_min());
  values.push_back(std::numeric_limits<float>::max());
  values.push_back(-0.0f);
  const std::vector<Tensor> outputs = {
      tensor("y", DataType::kFp32, {static_cast<std::int64_t>(values.size())}, values)};
  const auto parsed = json::parse(encode_infer_response("m", 1, "", outputs, {}));
  EXPECT_EQ(parsed, dom_response("m", 1, "", outputs));
  const auto& data = parsed["outputs"][0]["data"];
  ASSERT_EQ(data.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(data[i].get<double>(), static_cast<double>(values[i])) << i;
    EXPECT_TRUE(data[i].is_number_float()) << "value " << i << " printed as an integer";
  }
}

TEST(OipEncode, NonFiniteValuesAreNull) {
  const std::vector<Tensor> outputs = {tensor(
      "y", DataType::kFp32, {3},
      {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), 1.5f})};
  const auto parsed = json::parse(encode_infer_response("m", 1, "", outputs, {}));
  EXPECT_EQ(parsed["outputs"][0]["data"], json::parse("[null, null, 1.5]"));
}

TEST(OipEncode, StringsAreEscapedAndBadUtf8Replaced) {
  // An output name from a model file may hold anything.
  const std::string name = std::string("a\"b\\c\n\x01 \xC3\xA9 ") + "\xFF";
  const std::vector<Tensor> outputs = {tensor(name, DataType::kFp32, {1}, {1})};
  const auto body = encode_infer_response("m\"x", 1, "id\t1", outputs, {});
  const auto parsed = json::parse(body);  // valid JSON, no throw
  EXPECT_EQ(parsed["model_name"], "m\"x");
  EXPECT_EQ(parsed["id"], "id\t1");
  EXPECT_EQ(parsed["outputs"][0]["name"], "a\"b\\c\n\x01 \xC3\xA9 \xEF\xBF\xBD");
}

TEST(OipEncode, RequestedOutputsAndBinaryParts) {
  const auto outputs = mixed_outputs();
  DecodedRequest request;
  request.outputs = {"labels", "probabilities"};
  request.binary_override = {{"probabilities", true}};
  const auto encoded = encode_infer_response("m", 2, request, outputs);
  ASSERT_TRUE(encoded.json_length.has_value());
  const auto header = json::parse(encoded.body.substr(0, *encoded.json_length));
  ASSERT_EQ(header["outputs"].size(), 2u);  // in the model's order, unrequested left out
  EXPECT_EQ(header["outputs"][0]["name"], "probabilities");
  EXPECT_FALSE(header["outputs"][0].contains("data"));
  EXPECT_EQ(header["outputs"][0]["parameters"]["binary_data_size"], 6 * 4);
  EXPECT_EQ(header["outputs"][0]["shape"], json::parse("[2, 3]"));
  EXPECT_EQ(header["outputs"][1]["data"], json::parse("[-2, 0, 123456]"));
  ASSERT_EQ(encoded.body.size(), *encoded.json_length + 6 * 4);
  float first;
  std::memcpy(&first, encoded.body.data() + *encoded.json_length, sizeof first);
  EXPECT_EQ(first, 0.1f);
}

}  // namespace
}  // namespace synod::inference
