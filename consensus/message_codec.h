// Wire and record encodings of the consensus types, through the protobuf
// schema in proto/raft.proto. Decoders take untrusted bytes (a peer frame, a
// stored record) and fail with InvalidArgument, never crash or assert.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "consensus/message.h"
#include "consensus/types.h"

namespace synod::consensus {

[[nodiscard]] std::string encode_message(const Message& message);
[[nodiscard]] Result<Message> decode_message(std::string_view bytes);

// Payload of an EntryType::kConfChange entry.
[[nodiscard]] std::string encode_conf_change(const ConfChange& change);
[[nodiscard]] Result<ConfChange> decode_conf_change(std::string_view bytes);

// SnapshotMeta::configuration. Empty bytes decode to the empty config.
[[nodiscard]] std::string encode_config(const ClusterConfig& config);
[[nodiscard]] Result<ClusterConfig> decode_config(std::string_view bytes);

}  // namespace synod::consensus
