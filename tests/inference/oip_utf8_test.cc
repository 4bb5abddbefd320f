// Request strings must be UTF-8 (JSON text is): a body with a malformed
// sequence in any string is a 400, never a response the encoder throws on
// (found by tests/fuzz/inference: an id of one byte 0xB4 used to reach the
// instance thread and abort the node when the response was encoded).
#include <gtest/gtest.h>

#include "inference/oip_json.h"

namespace synod::inference {
namespace {

LoadedModel model() {
  LoadedModel m;
  m.name = "m";
  m.version = 1;
  m.config.max_batch_size = 4;
  m.signature.inputs = {{"x", DataType::kFp32, {-1, 2}}};
  m.signature.outputs = {{"y", DataType::kFp32, {-1, 2}}};
  return m;
}

std::string body_with_id(const std::string& id) {
  return R"({"id": ")" + id + R"(", "inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})";
}

TEST(OipUtf8, MalformedSequencesInStringsAreRejected) {
  const auto m = model();
  for (const std::string bad : {"\xB4", "a\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                "\xE2\x28\xA1", "\xFF"}) {
    auto r = decode_infer_request(body_with_id(bad), m);
    EXPECT_FALSE(r.is_ok()) << "id bytes of length " << bad.size();
    if (!r.is_ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
  // In a tensor name too.
  auto r = decode_infer_request(
      R"({"inputs": [{"name": "x)" + std::string("\xB4") +
          R"(", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]})",
      m);
  EXPECT_FALSE(r.is_ok());
}

TEST(OipUtf8, WellFormedUtf8RoundTripsIntoTheResponse) {
  const auto m = model();
  for (const std::string good : {"caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\\u00e9"}) {
    auto r = decode_infer_request(body_with_id(good), m);
    ASSERT_TRUE(r.is_ok()) << r.status();
    Tensor y{"y", DataType::kFp32, {1, 2}, {0.25f, 0.75f}};
    auto encoded = encode_infer_response(m.name, m.version, *r, {y});
    EXPECT_NE(encoded.body.find(good == "\\u00e9" ? "\xC3\xA9" : good), std::string::npos)
        << encoded.body;
  }
}

}  // namespace
}  // namespace synod::inference
