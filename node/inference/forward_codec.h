// The payloads of MessageType::kInfer (docs/inference.md "Forwarding"):
//
//   request  u8 kind            1 = model request, 2 = status (models ready)
//            kind 1: u8 op (1 infer, 2 metadata, 3 ready, 4 binary infer),
//                    bytes model, bytes version,
//                    op 4 only: u32 json_length,
//                    then the HTTP body to the end
//   response kind 1: u16 HTTP status, bytes served_by,
//                    to op 4 only: u32 json_length,
//                    then the body
//            kind 2: JSON {"node": name, "models": [{"name", "strategy"}]}
//
// ("bytes" is a u32 length and the bytes, common/bytes.h.) Op 4 is an infer
// request that may carry or ask for binary tensor data (docs/inference.md
// "Binary tensor data"): json_length is the Inference-Header-Content-Length
// of the request, and of the response, kNoJsonLength when there is none
// (the body is all JSON). Ops 1-3 and their responses are unchanged, so
// nodes that predate op 4 still serve every JSON request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::node::inference {

enum class ForwardKind : std::uint8_t { kModel = 1, kStatus = 2 };
enum class ModelOp : std::uint8_t { kInfer = 1, kMetadata = 2, kReady = 3 };
// The wire op of a binary infer request (decoded as kInfer with binary set).
inline constexpr std::uint8_t kBinaryInferOp = 4;
inline constexpr std::uint32_t kNoJsonLength = 0xFFFFFFFF;

struct ForwardRequest {
  ForwardKind kind = ForwardKind::kModel;
  ModelOp op = ModelOp::kInfer;
  std::string model;
  std::string version;
  std::string body;
  // op kInfer only: sent as op 4, with json_length (nullopt: all JSON).
  bool binary = false;
  std::optional<std::uint32_t> json_length;
};

struct ForwardResponse {
  int status = 200;
  std::string served_by;
  std::string body;
  std::optional<std::uint32_t> json_length;  // only carried in answers to op 4
};

// Whether an infer request goes to a peer as op 4: it carries binary tensor
// data (`has_json_length`), or its JSON may ask for binary outputs. JSON
// asks through a "binary_data..." key, which it may also spell with \u
// escapes, so a body with any \u escape goes as op 4 too. (Op 4 is right
// for every infer request; op 1 only keeps plain JSON ones servable by
// nodes that predate op 4.)
bool forward_as_binary(std::string_view body, bool has_json_length);

Bytes encode_forward_request(const ForwardRequest& request);
Result<ForwardRequest> decode_forward_request(ByteView payload);
// `binary`: the answer to an op 4 request (carries json_length).
Bytes encode_forward_response(const ForwardResponse& response, bool binary = false);
Result<ForwardResponse> decode_forward_response(ByteView payload, bool binary = false);

}  // namespace synod::node::inference
