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
