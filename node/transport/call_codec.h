// The payload layout of call()/respond() frames (docs/wire.md, "Calls"):
//
//   request  (flags kRequest):            u64 call id | request body
//   response (flags kResponse):           u64 call id | response body
//   failure  (flags kResponse | kError):  u64 call id | u32 StatusCode | message
//
// Pure helpers; little-endian like the frame header.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::node::transport {

inline constexpr std::size_t kCallIdBytes = 8;

struct CallPayload {
  std::uint64_t call_id = 0;
  ByteView body;
};

Bytes encode_call(std::uint64_t call_id, ByteView body);
Bytes encode_call_failure(std::uint64_t call_id, const Status& status);
// Splits off the call id; fails on fewer than 8 bytes.
Result<CallPayload> decode_call(ByteView payload);
// The Status carried by a failure body (never OK: a code 0 becomes kInternal).
Status decode_call_failure(ByteView body);

}  // namespace synod::node::transport
