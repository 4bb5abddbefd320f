// Standard base64 (RFC 4648, with padding), as Consul uses for KV values.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace synod::node::http {

std::string base64_encode(std::string_view bytes);
// Accepts padded input (and unpadded input whose length allows it);
// InvalidArgument on any other character or a bad length.
Result<std::string> base64_decode(std::string_view text);

}  // namespace synod::node::http
