// The payloads of MessageType::kInfer (docs/inference.md "Forwarding"):
//
//   request  u8 kind            1 = model request, 2 = status (models ready)
//            kind 1: u8 op (1 infer, 2 metadata, 3 ready), bytes model,
//                    bytes version, then the HTTP body to the end
//   response kind 1: u16 HTTP status, bytes served_by, then the body
//            kind 2: JSON {"node": name, "models": [{"name", "strategy"}]}
//
// ("bytes" is a u32 length and the bytes, common/bytes.h.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::node::inference {

enum class ForwardKind : std::uint8_t { kModel = 1, kStatus = 2 };
enum class ModelOp : std::uint8_t { kInfer = 1, kMetadata = 2, kReady = 3 };

struct ForwardRequest {
  ForwardKind kind = ForwardKind::kModel;
  ModelOp op = ModelOp::kInfer;
  std::string model;
  std::string version;
  std::string body;
};

struct ForwardResponse {
  int status = 200;
  std::string served_by;
  std::string body;
};

Bytes encode_forward_request(const ForwardRequest& request);
Result<ForwardRequest> decode_forward_request(ByteView payload);
Bytes encode_forward_response(const ForwardResponse& response);
Result<ForwardResponse> decode_forward_response(ByteView payload);

}  // namespace synod::node::inference
