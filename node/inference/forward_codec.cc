#include "node/inference/forward_codec.h"

namespace synod::node::inference {

Bytes encode_forward_request(const ForwardRequest& request) {
  Bytes out;
  put_u8(out, static_cast<std::uint8_t>(request.kind));
  if (request.kind == ForwardKind::kStatus) return out;
  put_u8(out, static_cast<std::uint8_t>(request.op));
  put_bytes(out, request.model);
  put_bytes(out, request.version);
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
  if (!op || *op < 1 || *op > 3 || !model || !version) {
    return invalid_argument("infer frame: truncated model request");
  }
  out.op = static_cast<ModelOp>(*op);
  out.model = std::string(*model);
  out.version = std::string(*version);
  out.body = std::string(payload.substr(reader.position()));
  return out;
}

Bytes encode_forward_response(const ForwardResponse& response) {
  Bytes out;
  put_u16(out, static_cast<std::uint16_t>(response.status));
  put_bytes(out, response.served_by);
  out.append(response.body);
  return out;
}

Result<ForwardResponse> decode_forward_response(ByteView payload) {
  ByteReader reader(payload);
  auto status = reader.u16();
  auto served_by = reader.bytes();
  if (!status || !served_by) return invalid_argument("infer frame: truncated response");
  ForwardResponse out;
  out.status = *status;
  out.served_by = std::string(*served_by);
  out.body = std::string(payload.substr(reader.position()));
  return out;
}

}  // namespace synod::node::inference
