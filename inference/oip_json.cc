#include "inference/oip_json.h"

#include <cmath>

namespace synod::inference {
namespace {

using nlohmann::json;

// Appends the numbers of a nested or flat array; false on a non-number.
bool flatten(const json& value, DataType type, std::vector<float>& out, std::string& why) {
  if (value.is_array()) {
    for (const auto& v : value) {
      if (!flatten(v, type, out, why)) return false;
    }
    return true;
  }
  double x = 0;
  if (value.is_boolean()) {
    if (type != DataType::kBool) {
      why = "a boolean in a " + std::string(datatype_name(type)) + " tensor";
      return false;
    }
    x = value.get<bool>() ? 1 : 0;
  } else if (value.is_number()) {
    x = value.get<double>();
    if (is_integer(type) && std::floor(x) != x) {
      why = "non-integer value " + value.dump() + " in a " + std::string(datatype_name(type)) +
            " tensor";
      return false;
    }
    if (x < datatype_min(type) || x > datatype_max(type)) {
      why = "value " + value.dump() + " out of range for " + std::string(datatype_name(type));
      return false;
    }
  } else {
    why = "non-numeric element " + value.dump().substr(0, 40);
    return false;
  }
  out.push_back(static_cast<float>(x));
  return true;
}

json shape_json(const Shape& shape) {
  json out = json::array();
  for (auto d : shape) out.push_back(d);
  return out;
}

json spec_json(const TensorSpec& spec) {
  return {{"name", spec.name}, {"datatype", datatype_name(spec.datatype)},
          {"shape", shape_json(spec.shape)}};
}

}  // namespace

Result<DecodedRequest> decode_infer_request(std::string_view body, const LoadedModel& model) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return invalid_argument("malformed JSON in the request body");
  if (!doc.is_object() || !doc.contains("inputs") || !doc["inputs"].is_array()) {
    return invalid_argument("the request must be a JSON object with an \"inputs\" array");
  }
  DecodedRequest out;
  if (doc.contains("id") && doc["id"].is_string()) out.id = doc["id"].get<std::string>();
  const auto& sig = model.signature;
  const std::uint32_t max_batch = model.config.max_batch_size;
  std::vector<const json*> by_spec(sig.inputs.size(), nullptr);
  for (const auto& input : doc["inputs"]) {
    if (!input.is_object() || !input.contains("name") || !input["name"].is_string()) {
      return invalid_argument("every input needs a \"name\"");
    }
    const auto name = input["name"].get<std::string>();
    std::size_t i = 0;
    while (i < sig.inputs.size() && sig.inputs[i].name != name) ++i;
    if (i == sig.inputs.size()) {
      std::string names;
      for (const auto& s : sig.inputs) names += (names.empty() ? "" : ", ") + s.name;
      return invalid_argument("unexpected input '" + name + "'; model " + model.name +
                              " has inputs: " + names);
    }
    if (by_spec[i]) return invalid_argument("input '" + name + "' given twice");
    by_spec[i] = &input;
  }
  std::optional<std::int64_t> batch;
  for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
    const TensorSpec& spec = sig.inputs[i];
    if (!by_spec[i]) return invalid_argument("missing input '" + spec.name + "'");
    const json& input = *by_spec[i];
    Tensor t;
    t.name = spec.name;
    if (!input.contains("datatype") || !input["datatype"].is_string()) {
      return invalid_argument("input '" + spec.name + "': missing \"datatype\"");
    }
    const auto dt_name = input["datatype"].get<std::string>();
    auto dt = parse_datatype(dt_name);
    if (!dt) return invalid_argument("input '" + spec.name + "': unknown datatype " + dt_name);
    if (*dt != spec.datatype) {
      return invalid_argument("input '" + spec.name + "': datatype " + dt_name +
                              " does not match the model's " +
                              std::string(datatype_name(spec.datatype)));
    }
    t.datatype = *dt;
    if (!input.contains("shape") || !input["shape"].is_array()) {
      return invalid_argument("input '" + spec.name + "': missing \"shape\"");
    }
    for (const auto& d : input["shape"]) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 0) {
        return invalid_argument("input '" + spec.name + "': shape must be non-negative integers");
      }
      t.shape.push_back(d.get<std::int64_t>());
    }
    if (!spec.shape.empty()) {
      bool match = t.shape.size() == spec.shape.size();
      for (std::size_t d = 0; match && d < t.shape.size(); ++d) {
        if (spec.shape[d] >= 0 && spec.shape[d] != t.shape[d]) match = false;
      }
      if (!match) {
        return invalid_argument("input '" + spec.name + "': shape " + shape_text(t.shape) +
                                " does not match the model's " + shape_text(spec.shape));
      }
    }
    if (max_batch > 0) {
      if (t.shape.empty() || t.shape[0] < 1) {
        return invalid_argument("input '" + spec.name + "': batch dimension must be >= 1");
      }
      if (t.shape[0] > static_cast<std::int64_t>(max_batch)) {
        return invalid_argument("input '" + spec.name + "': batch size " +
                                std::to_string(t.shape[0]) + " exceeds max_batch_size " +
                                std::to_string(max_batch));
      }
      if (batch && *batch != t.shape[0]) {
        return invalid_argument("inputs have different batch sizes");
      }
      batch = t.shape[0];
    }
    if (!input.contains("data")) return invalid_argument("input '" + spec.name + "': no data");
    const std::size_t expected = element_count(t.shape);
    t.data.reserve(expected);
    std::string why;
    if (!flatten(input["data"], t.datatype, t.data, why)) {
      return invalid_argument("input '" + spec.name + "': " + why);
    }
    if (t.data.size() != expected) {
      return invalid_argument("input '" + spec.name + "': shape " + shape_text(t.shape) +
                              " needs " + std::to_string(expected) + " values, data has " +
                              std::to_string(t.data.size()));
    }
    out.inputs.push_back(std::move(t));
  }
  out.rows = batch ? static_cast<std::size_t>(*batch) : 1;
  if (doc.contains("outputs") && doc["outputs"].is_array()) {
    for (const auto& o : doc["outputs"]) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
        return invalid_argument("every requested output needs a \"name\"");
      }
      auto name = o["name"].get<std::string>();
      bool known = false;
      for (const auto& s : sig.outputs) known = known || s.name == name;
      if (!known) return invalid_argument("unknown output '" + name + "'");
      out.outputs.push_back(std::move(name));
    }
  }
  return out;
}

std::string encode_infer_response(const std::string& model_name, std::int64_t model_version,
                                  const std::string& id,
                                  const std::vector<Tensor>& outputs,
                                  const std::vector<std::string>& requested) {
  json outs = json::array();
  for (const auto& t : outputs) {
    if (!requested.empty() &&
        std::find(requested.begin(), requested.end(), t.name) == requested.end()) {
      continue;
    }
    json data = json::array();
    if (is_integer(t.datatype)) {
      for (float v : t.data) data.push_back(static_cast<std::int64_t>(v));
    } else {
      for (float v : t.data) data.push_back(v);
    }
    outs.push_back({{"name", t.name},
                    {"datatype", datatype_name(t.datatype)},
                    {"shape", shape_json(t.shape)},
                    {"data", std::move(data)}});
  }
  json doc = {{"model_name", model_name},
              {"model_version", std::to_string(model_version)},
              {"outputs", std::move(outs)}};
  if (!id.empty()) doc["id"] = id;
  return doc.dump();
}

json model_metadata(const LoadedModel& model, const std::vector<std::int64_t>& versions) {
  json v = json::array();
  for (auto x : versions) v.push_back(std::to_string(x));
  json inputs = json::array();
  json outputs = json::array();
  for (const auto& s : model.signature.inputs) inputs.push_back(spec_json(s));
  for (const auto& s : model.signature.outputs) outputs.push_back(spec_json(s));
  return {{"name", model.name},     {"versions", v},        {"platform", "onnx_opencv"},
          {"inputs", inputs},       {"outputs", outputs},
          {"max_batch_size", model.config.max_batch_size}};
}

std::string encode_infer_request(const std::vector<Tensor>& inputs) {
  json ins = json::array();
  for (const auto& t : inputs) {
    ins.push_back({{"name", t.name},
                   {"datatype", datatype_name(t.datatype)},
                   {"shape", shape_json(t.shape)},
                   {"data", t.data}});
  }
  return json{{"inputs", ins}}.dump();
}

Result<std::vector<Tensor>> decode_infer_response(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("outputs")) {
    return invalid_argument("not an inference response: " + std::string(body.substr(0, 200)));
  }
  std::vector<Tensor> out;
  for (const auto& o : doc["outputs"]) {
    Tensor t;
    t.name = o.value("name", "");
    t.datatype = parse_datatype(o.value("datatype", "FP32")).value_or(DataType::kFp32);
    for (const auto& d : o["shape"]) t.shape.push_back(d.get<std::int64_t>());
    std::string why;
    if (!flatten(o["data"], DataType::kFp64, t.data, why)) return invalid_argument(why);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace synod::inference
