// libFuzzer target: an Open Inference Protocol request body as a client
// sends it (JSON, or JSON + binary tensor data with an
// Inference-Header-Content-Length), decoded against two models' signatures.
// Byte 0 picks the model, bytes 1-2 the header (bit 0 of byte 1: present;
// the rest: its value), the rest is the body. A decoded request must hold
// exactly what its shapes say, and its response must encode and decode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "inference/oip_json.h"

using namespace synod::inference;

namespace {

LoadedModel make_model(std::string name, std::vector<TensorSpec> inputs, std::uint32_t max_batch) {
  LoadedModel m;
  m.name = std::move(name);
  m.version = 1;
  m.config.max_batch_size = max_batch;
  m.signature.inputs = std::move(inputs);
  m.signature.outputs = {{"y", DataType::kFp32, {-1, 3}}};
  return m;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const LoadedModel models[] = {
      make_model("mlp", {{"input", DataType::kFp32, {-1, 4}}}, 8),
      make_model("mixed",
                 {{"ids", DataType::kInt64, {-1, 2}},
                  {"mask", DataType::kBool, {-1, 2}},
                  {"half", DataType::kFp16, {-1, 1}}},
                 4),
      make_model("fixed", {{"x", DataType::kUint8, {2, 2}}}, 0),
  };
  if (size < 3) return 0;
  const LoadedModel& model = models[data[0] % 3];
  std::optional<std::size_t> json_length;
  if (data[1] & 1) json_length = static_cast<std::size_t>((data[1] >> 1) | (data[2] << 7));
  const std::string_view body(reinterpret_cast<const char*>(data + 3), size - 3);
  if (json_length && *json_length > body.size()) return 0;  // the HTTP layer refuses these
  auto decoded = decode_infer_request(body, model, json_length);
  if (!decoded.is_ok()) {
    check(!decoded.status().message().empty());
    return 0;
  }
  check(decoded->inputs.size() == model.signature.inputs.size());
  for (const auto& t : decoded->inputs) {
    check(t.data.size() == element_count(t.shape));
    if (model.config.max_batch_size > 0) {
      check(!t.shape.empty() && t.shape[0] == static_cast<std::int64_t>(decoded->rows));
    }
  }
  // Answer with one output row per request row, the way the node would.
  Tensor y{"y", DataType::kFp32, {static_cast<std::int64_t>(decoded->rows), 3}, {}};
  y.data.assign(decoded->rows * 3, 0.5f);
  auto encoded = encode_infer_response(model.name, model.version, *decoded, {y});
  auto back = decode_infer_response(encoded.body, encoded.json_length);
  check(back.is_ok());
  return 0;
}
