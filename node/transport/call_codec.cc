#include "node/transport/call_codec.h"

#include <string>

namespace synod::node::transport {

Bytes encode_call(std::uint64_t call_id, ByteView body) {
  Bytes out;
  out.reserve(kCallIdBytes + body.size());
  put_u64(out, call_id);
  out.append(body);
  return out;
}

Bytes encode_call_failure(std::uint64_t call_id, const Status& status) {
  Bytes out;
  put_u64(out, call_id);
  put_u32(out, static_cast<std::uint32_t>(status.code()));
  out.append(status.message());
  return out;
}

Result<CallPayload> decode_call(ByteView payload) {
  ByteReader reader(payload);
  auto id = reader.u64();
  if (!id) return invalid_argument("call frame shorter than its 8-byte call id");
  return CallPayload{*id, payload.substr(kCallIdBytes)};
}

Status decode_call_failure(ByteView body) {
  ByteReader reader(body);
  auto code = reader.u32();
  if (!code) return internal_error("malformed failure response from peer");
  auto status_code = static_cast<StatusCode>(*code);
  if (status_code == StatusCode::kOk || *code > static_cast<std::uint32_t>(StatusCode::kInternal)) {
    status_code = StatusCode::kInternal;
  }
  return Status(status_code, std::string(body.substr(4)));
}

}  // namespace synod::node::transport
