// JSON rendering of KV entries in Consul's field order (internal to node/http).
#pragma once

#include <nlohmann/json.hpp>

#include "node/http/kv_backend.h"

namespace synod::node::http {

// {"LockIndex","Key","Flags","Value" (base64; null when empty or when
// `with_value` is false),"Session" (only when held),"CreateIndex","ModifyIndex"}
nlohmann::ordered_json kv_entry_json(const KvEntry& entry, bool with_value);

// application/json response from an ordered_json value.
HttpResponse ordered_json_response(const nlohmann::ordered_json& body, int status = 200);

}  // namespace synod::node::http
