// PUT /v1/txn: Consul's transaction endpoint, KV operations only.
//
// Request:  [{"KV": {"Verb": "set", "Key": "a", "Value": "<base64>", "Flags": 0,
//                    "Index": 0, "Session": ""}}, ...]
// Success:  200 {"Results": [{"KV": {...entry...}}], "Errors": null}
// Rollback: 409 {"Results": null, "Errors": [{"OpIndex": 0, "What": "..."}]}
// Values come back only for get / get-tree (Consul blanks the others).
#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "node/http/base64.h"
#include "node/http/consul.h"
#include "node/http/kv_handlers.h"
#include "node/http/kv_json.h"

namespace synod::node::http {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::array<std::pair<TxnVerb, std::string_view>, 12> kVerbs{{
    {TxnVerb::kSet, "set"},
    {TxnVerb::kCas, "cas"},
    {TxnVerb::kLock, "lock"},
    {TxnVerb::kUnlock, "unlock"},
    {TxnVerb::kGet, "get"},
    {TxnVerb::kGetTree, "get-tree"},
    {TxnVerb::kCheckIndex, "check-index"},
    {TxnVerb::kCheckSession, "check-session"},
    {TxnVerb::kCheckNotExists, "check-not-exists"},
    {TxnVerb::kDelete, "delete"},
    {TxnVerb::kDeleteTree, "delete-tree"},
    {TxnVerb::kDeleteCas, "delete-cas"},
}};

// Reads an unsigned field that Consul clients send as a number.
Result<std::uint64_t> u64_field(const json& kv, const char* name) {
  auto it = kv.find(name);
  if (it == kv.end() || it->is_null()) return std::uint64_t{0};
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (it->is_number_integer() && it->get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(it->get<std::int64_t>());
  }
  return invalid_argument(std::string(name) + " must be a non-negative integer");
}

Result<std::string> string_field(const json& kv, const char* name) {
  auto it = kv.find(name);
  if (it == kv.end() || it->is_null()) return std::string();
  if (!it->is_string()) return invalid_argument(std::string(name) + " must be a string");
  return it->get<std::string>();
}

Result<TxnOp> parse_op(const json& element) {
  if (!element.is_object()) return invalid_argument("operation must be an object");
  auto kv_it = element.find("KV");
  if (kv_it == element.end()) {
    return invalid_argument("only KV operations are supported");
  }
  const json& kv = *kv_it;
  if (!kv.is_object()) return invalid_argument("KV must be an object");
  TxnOp op;
  SYNOD_ASSIGN_OR_RETURN(std::string verb, string_field(kv, "Verb"));
  auto parsed = parse_txn_verb(verb);
  if (!parsed) return invalid_argument("unknown KV verb \"" + verb + "\"");
  op.verb = *parsed;
  SYNOD_ASSIGN_OR_RETURN(op.key, string_field(kv, "Key"));
  SYNOD_ASSIGN_OR_RETURN(std::string value64, string_field(kv, "Value"));
  auto value = base64_decode(value64);
  if (!value) return invalid_argument("Value is not valid base64");
  op.value = std::move(value).value();
  SYNOD_ASSIGN_OR_RETURN(op.flags, u64_field(kv, "Flags"));
  SYNOD_ASSIGN_OR_RETURN(op.index, u64_field(kv, "Index"));
  SYNOD_ASSIGN_OR_RETURN(op.session, string_field(kv, "Session"));
  if (op.key.empty() && op.verb != TxnVerb::kGetTree && op.verb != TxnVerb::kDeleteTree) {
    return invalid_argument("Key is required for verb \"" + verb + "\"");
  }
  if ((op.verb == TxnVerb::kLock || op.verb == TxnVerb::kUnlock ||
       op.verb == TxnVerb::kCheckSession) &&
      op.session.empty()) {
    return invalid_argument("Session is required for verb \"" + verb + "\"");
  }
  return op;
}

ordered_json render_result(const TxnResult& result, const std::vector<TxnOp>& ops) {
  ordered_json body;
  if (result.committed) {
    ordered_json results = ordered_json::array();
    for (const auto& r : result.results) {
      bool keep_value = r.op_index < ops.size() && (ops[r.op_index].verb == TxnVerb::kGet ||
                                                    ops[r.op_index].verb == TxnVerb::kGetTree);
      results.push_back(ordered_json{{"KV", kv_entry_json(r.entry, keep_value)}});
    }
    body["Results"] = results;
    body["Errors"] = nullptr;
  } else {
    ordered_json errors = ordered_json::array();
    for (const auto& e : result.errors) {
      errors.push_back(ordered_json{{"OpIndex", e.op_index}, {"What", e.what}});
    }
    body["Results"] = nullptr;
    body["Errors"] = errors;
  }
  return body;
}

}  // namespace

std::optional<TxnVerb> parse_txn_verb(std::string_view verb) {
  for (const auto& [v, name] : kVerbs) {
    if (name == verb) return v;
  }
  return std::nullopt;
}

std::string_view txn_verb_name(TxnVerb verb) {
  for (const auto& [v, name] : kVerbs) {
    if (v == verb) return name;
  }
  return "?";
}

bool txn_verb_is_read(TxnVerb verb) {
  switch (verb) {
    case TxnVerb::kGet:
    case TxnVerb::kGetTree:
    case TxnVerb::kCheckIndex:
    case TxnVerb::kCheckSession:
    case TxnVerb::kCheckNotExists:
      return true;
    default:
      return false;
  }
}

void txn_handler(KvBackend& backend, const KvHandlerOptions& limits, HttpRequest req,
                 Responder respond) {
  auto options = parse_query_options(req);
  if (!options) return respond(HttpResponse::from_status(options.status()));
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return respond(HttpResponse::error(400, "Failed to parse body: invalid JSON"));
  if (!body.is_array())
    return respond(
        HttpResponse::error(400, "Failed to parse body: expected a JSON array of operations"));
  if (body.size() > limits.max_txn_ops) {
    return respond(HttpResponse::error(413, "Transaction contains too many operations (" +
                                                std::to_string(body.size()) + " > " +
                                                std::to_string(limits.max_txn_ops) + ")"));
  }
  std::vector<TxnOp> ops;
  ops.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    auto op = parse_op(body[i]);
    if (!op) {
      return respond(HttpResponse::error(
          400, "Failed to parse operation " + std::to_string(i) + ": " + op.status().message()));
    }
    if (op->verb == TxnVerb::kSet || op->verb == TxnVerb::kCas || op->verb == TxnVerb::kLock) {
      if (op->value.size() > limits.max_value_bytes) {
        return respond(HttpResponse::error(
            413, "Value of operation " + std::to_string(i) +
                     " too large, max size: " + std::to_string(limits.max_value_bytes) + " bytes"));
      }
    }
    ops.push_back(std::move(op).value());
  }
  bool read_only = std::all_of(ops.begin(), ops.end(),
                               [](const TxnOp& op) { return txn_verb_is_read(op.verb); });
  auto shared_ops = std::make_shared<std::vector<TxnOp>>(ops);
  backend.txn(std::move(ops), options->consistency,
              [respond = std::move(respond), shared_ops, read_only](Result<TxnResult> result) {
                if (!result) return respond(HttpResponse::from_status(result.status()));
                auto response = ordered_json_response(render_result(*result, *shared_ops),
                                                      result->committed ? 200 : 409);
                if (read_only) set_consul_headers(response, result->index, result->leader);
                respond(std::move(response));
              });
}

}  // namespace synod::node::http
