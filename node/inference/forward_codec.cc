#include "node/inference/forward_codec.h"

namespace synod::node::inference {

bool forward_as_binary(std::string_view body, bool has_json_length) {
  return has_json_length || body.find("binary_data") != std::string_view::npos ||
         body.find("\\u") != std::string_view::npos;
}

Bytes encode_forward_request(const ForwardRequest& request) {
  Bytes out;
  put_u8(out, static_cast<std::uint8_t>(request.kind));
  if (request.kind == ForwardKind::kStatus) return out;
  const bool binary = request.binary && request.op == ModelOp::kInfer;
  put_u8(out, binary ? kBinaryInferOp : static_cast<std::uint8_t>(request.op));
  put_bytes(out, request.model);
  put_bytes(out, request.version);
  if (binary) put_u32(out, request.json_length.value_or(kNoJsonLength));
  out.append(request.body);
  return out;
}

Result<ForwardRequest> decode_forward_request(ByteView payload) {
  ByteReader reader(payload);
  ForwardRequest out;
  auto kind = reader.u8();
  if (!kind || (*kind != 1 && *kind != 2)) return invalid_argument("infer frame: bad kind");
  out.kind = static_cast<ForwardKind>(*kind);
  if (out.kind == ForwardKind::kStatus) return out;
  auto op = reader.u8();
  auto model = reader.bytes();
  auto version = reader.bytes();
  if (!op || *op < 1 || *op > kBinaryInferOp || !model || !version) {
    return invalid_argument("infer frame: truncated model request");
  }
  out.op = static_cast<ModelOp>(*op);
  if (*op == kBinaryInferOp) {
    auto length = reader.u32();
    if (!length) return invalid_argument("infer frame: truncated binary infer request");
    out.op = ModelOp::kInfer;
    out.binary = true;
    if (*length != kNoJsonLength) out.json_length = *length;
  }
  out.model = std::string(*model);
  out.version = std::string(*version);
  out.body = std::string(payload.substr(reader.position()));
  return out;
}

Bytes encode_forward_response(const ForwardResponse& response, bool binary) {
  Bytes out;
  put_u16(out, static_cast<std::uint16_t>(response.status));
  put_bytes(out, response.served_by);
  if (binary) put_u32(out, response.json_length.value_or(kNoJsonLength));
  out.append(response.body);
  return out;
}

Result<ForwardResponse> decode_forward_response(ByteView payload, bool binary) {
  ByteReader reader(payload);
  auto status = reader.u16();
  auto served_by = reader.bytes();
  if (!status || !served_by) return invalid_argument("infer frame: truncated response");
  ForwardResponse out;
  if (binary) {
    auto length = reader.u32();
    if (!length) return invalid_argument("infer frame: truncated binary infer response");
    if (*length != kNoJsonLength) out.json_length = *length;
  }
  out.status = *status;
  out.served_by = std::string(*served_by);
  out.body = std::string(payload.substr(reader.position()));
  return out;
}

}  // namespace synod::node::inference
