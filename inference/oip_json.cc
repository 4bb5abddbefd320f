#include "inference/oip_json.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

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
    why = "non-numeric element " +
          value.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 40);
    return false;
  }
  out.push_back(static_cast<float>(x));
  return true;
}

// Binary tensor data is little-endian; so is every machine synod builds for
// (the loops below copy the host's representation).
static_assert(std::endian::native == std::endian::little);

// IEEE 754 half <-> float.
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  const std::uint32_t bits =
      exp == 0x1F ? sign | 0x7F800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
  return std::bit_cast<float>(bits);
}

std::uint16_t float_to_half(float f) {  // round to nearest, ties to even
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return sign | 0x7E00u;             // NaN
  if (abs >= 0x477FF000u) return sign | 0x7C00u;            // >= 65520: infinity
  if (abs < 0x38800000u) {                                  // below 2^-14: subnormal
    const float scaled = std::bit_cast<float>(abs) * 16777216.0f;  // exact (times 2^24)
    return sign | static_cast<std::uint16_t>(std::nearbyint(scaled));
  }
  std::uint32_t h = (((abs >> 23) - 112) << 10) | ((abs >> 13) & 0x3FFu);
  const std::uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent
  return sign | static_cast<std::uint16_t>(h);
}

template <typename T>
void read_elements(const char* p, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

// A float as an integer of type T the way the JSON "data" prints it
// (truncated), clamped to T's range (NaN as 0).
template <typename T>
T to_integer(float v) {
  const double t = std::trunc(static_cast<double>(v));
  if (!(t == t)) return 0;
  // 2^63 and 2^64 are exact doubles; the largest T may not be.
  const double limit = std::ldexp(1.0, std::numeric_limits<T>::digits);
  if (t >= limit) return std::numeric_limits<T>::max();
  if (t <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
  return static_cast<T>(t);
}

template <typename T>
void write_integers(const std::vector<float>& values, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + values.size() * sizeof(T));
  char* p = out.data() + at;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const T v = to_integer<T>(values[i]);
    std::memcpy(p + i * sizeof(T), &v, sizeof(T));
  }
}

}  // namespace

std::size_t datatype_size(DataType type) {
  switch (type) {
    case DataType::kBool:
    case DataType::kUint8:
    case DataType::kInt8: return 1;
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kFp16: return 2;
    case DataType::kUint32:
    case DataType::kInt32:
    case DataType::kFp32: return 4;
    case DataType::kUint64:
    case DataType::kInt64:
    case DataType::kFp64: return 8;
  }
  return 4;
}

bool binary_to_values(std::string_view bytes, DataType type, std::vector<float>& out,
                      std::string& why) {
  const std::size_t n = bytes.size() / datatype_size(type);
  const std::size_t at = out.size();
  out.resize(at + n);
  float* dst = out.data() + at;
  const char* p = bytes.data();
  switch (type) {
    case DataType::kBool:
      for (std::size_t i = 0; i < n; ++i) {
        const auto b = static_cast<unsigned char>(p[i]);
        if (b > 1) {
          why = "BOOL element " + std::to_string(i) + " is byte " + std::to_string(b) +
                " (must be 0 or 1)";
          return false;
        }
        dst[i] = b;
      }
      return true;
    case DataType::kUint8: read_elements<std::uint8_t>(p, n, dst); return true;
    case DataType::kUint16: read_elements<std::uint16_t>(p, n, dst); return true;
    case DataType::kUint32: read_elements<std::uint32_t>(p, n, dst); return true;
    case DataType::kUint64: read_elements<std::uint64_t>(p, n, dst); return true;
    case DataType::kInt8: read_elements<std::int8_t>(p, n, dst); return true;
    case DataType::kInt16: read_elements<std::int16_t>(p, n, dst); return true;
    case DataType::kInt32: read_elements<std::int32_t>(p, n, dst); return true;
    case DataType::kInt64: read_elements<std::int64_t>(p, n, dst); return true;
    case DataType::kFp16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        dst[i] = half_to_float(h);
      }
      return true;
    case DataType::kFp32: std::memcpy(dst, p, n * sizeof(float)); return true;
    case DataType::kFp64: read_elements<double>(p, n, dst); return true;
  }
  return true;
}

void append_binary(const Tensor& t, std::string& out) {
  const auto& v = t.data;
  switch (t.datatype) {
    case DataType::kBool:
      for (float x : v) out.push_back(x != 0 ? '\x01' : '\x00');
      return;
    case DataType::kUint8: return write_integers<std::uint8_t>(v, out);
    case DataType::kUint16: return write_integers<std::uint16_t>(v, out);
    case DataType::kUint32: return write_integers<std::uint32_t>(v, out);
    case DataType::kUint64: return write_integers<std::uint64_t>(v, out);
    case DataType::kInt8: return write_integers<std::int8_t>(v, out);
    case DataType::kInt16: return write_integers<std::int16_t>(v, out);
    case DataType::kInt32: return write_integers<std::int32_t>(v, out);
    case DataType::kInt64: return write_integers<std::int64_t>(v, out);
    case DataType::kFp16:
      for (float x : v) {
        const std::uint16_t h = float_to_half(x);
        out.append(reinterpret_cast<const char*>(&h), 2);
      }
      return;
    case DataType::kFp32:
      out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
      return;
    case DataType::kFp64:
      for (float x : v) {
        const double d = x;
        out.append(reinterpret_cast<const char*>(&d), sizeof d);
      }
      return;
  }
}

Result<std::size_t> parse_json_length(std::string_view header, std::size_t body_size) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), n);
  if (header.empty() || ec != std::errc() || end != header.data() + header.size()) {
    return invalid_argument("Inference-Header-Content-Length '" +
                            std::string(header.substr(0, 40)) + "' is not a number");
  }
  if (n > body_size) {
    return invalid_argument("Inference-Header-Content-Length " + std::to_string(n) +
                            " is larger than the " + std::to_string(body_size) + "-byte body");
  }
  return static_cast<std::size_t>(n);
}

namespace {

json shape_json(const Shape& shape) {
  json out = json::array();
  for (auto d : shape) out.push_back(d);
  return out;
}

json spec_json(const TensorSpec& spec) {
  return {{"name", spec.name}, {"datatype", datatype_name(spec.datatype)},
          {"shape", shape_json(spec.shape)}};
}

// The response is written straight into its string: it is made once per
// request on the instance thread, and building a nlohmann DOM (a std::map
// per object, a node per number) then dumping it cost more than the rest of
// the instance's per-request work (docs/inference.md "Performance"). The
// text is what the DOM printed: keys in the same (sorted) order, numbers as
// the shortest text that reads back as the same double, integral floats
// with ".0", NaN and infinities as null.

// A JSON string. Names and ids are nearly always plain ASCII and are copied
// as they are; anything else is escaped by nlohmann, replacing bytes that
// are not UTF-8 (model files are not checked for it) rather than throwing.
void append_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
  });
  if (!plain) {
    out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

void append_integer(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  // Shortest text; from 1e16 on in exponent form, as nlohmann prints it
  // (to_chars alone would write 3e20 as 21 digits).
  const double d = v;
  auto [end, ec] = std::fabs(d) >= 1e16
                       ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific)
                       : std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

// The response for `outputs`: those not `requested` (empty: all) are left
// out; those `binary` says are sent as raw bytes after the JSON.
template <typename Binary>
EncodedBody encode_response(const std::string& model_name, std::int64_t model_version,
                            const std::string& id, const std::vector<Tensor>& outputs,
                            const std::vector<std::string>& requested, Binary&& binary) {
  std::string out;
  std::size_t values = 0;
  for (const auto& t : outputs) values += t.data.size();
  out.reserve(160 + 24 * values);
  std::string bytes;
  bool any_binary = false;
  out += '{';
  if (!id.empty()) {
    out += "\"id\":";
    append_string(out, id);
    out += ',';
  }
  out += "\"model_name\":";
  append_string(out, model_name);
  out += ",\"model_version\":\"";
  append_integer(out, model_version);
  out += "\",\"outputs\":[";
  bool first = true;
  for (const auto& t : outputs) {
    if (!requested.empty() &&
        std::find(requested.begin(), requested.end(), t.name) == requested.end()) {
      continue;
    }
    if (!first) out += ',';
    first = false;
    const bool as_binary = binary(t.name);
    out += '{';
    if (!as_binary) {
      out += "\"data\":[";
      const bool integers = is_integer(t.datatype);
      for (std::size_t i = 0; i < t.data.size(); ++i) {
        if (i > 0) out += ',';
        if (integers) {
          append_integer(out, static_cast<std::int64_t>(t.data[i]));
        } else {
          append_float(out, t.data[i]);
        }
      }
      out += "],";
    }
    out += "\"datatype\":\"";
    out += datatype_name(t.datatype);
    out += "\",\"name\":";
    append_string(out, t.name);
    if (as_binary) {
      any_binary = true;
      const std::size_t before = bytes.size();
      append_binary(t, bytes);
      out += ",\"parameters\":{\"binary_data_size\":";
      append_integer(out, static_cast<std::int64_t>(bytes.size() - before));
      out += '}';
    }
    out += ",\"shape\":[";
    for (std::size_t i = 0; i < t.shape.size(); ++i) {
      if (i > 0) out += ',';
      append_integer(out, t.shape[i]);
    }
    out += "]}";
  }
  out += "]}";
  EncodedBody encoded{std::move(out), std::nullopt};
  if (any_binary) {
    encoded.json_length = encoded.body.size();
    encoded.body += bytes;
  }
  return encoded;
}

}  // namespace

std::string encode_infer_response(const std::string& model_name, std::int64_t model_version,
                                  const std::string& id,
                                  const std::vector<Tensor>& outputs,
                                  const std::vector<std::string>& requested) {
  return encode_response(model_name, model_version, id, outputs, requested,
                         [](const std::string&) { return false; })
      .body;
}

EncodedBody encode_infer_response(const std::string& model_name, std::int64_t model_version,
                                  const DecodedRequest& request,
                                  const std::vector<Tensor>& outputs) {
  return encode_response(model_name, model_version, request.id, outputs, request.outputs,
                         [&](const std::string& name) { return request.output_binary(name); });
}

bool DecodedRequest::output_binary(const std::string& name) const {
  for (const auto& [output, binary] : binary_override) {
    if (output == name) return binary;
  }
  return binary_all;
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

EncodedBody encode_infer_request_binary(const std::vector<Tensor>& inputs, bool binary_outputs) {
  json ins = json::array();
  std::string bytes;
  for (const auto& t : inputs) {
    const std::size_t before = bytes.size();
    append_binary(t, bytes);
    ins.push_back({{"name", t.name},
                   {"datatype", datatype_name(t.datatype)},
                   {"shape", shape_json(t.shape)},
                   {"parameters", {{"binary_data_size", bytes.size() - before}}}});
  }
  json doc = {{"inputs", ins}};
  if (binary_outputs) doc["parameters"] = {{"binary_data_output", true}};
  EncodedBody out{doc.dump(), std::nullopt};
  out.json_length = out.body.size();
  out.body += bytes;
  return out;
}

Result<std::vector<Tensor>> decode_infer_response(std::string_view body,
                                                  std::optional<std::size_t> json_length) {
  if (json_length && *json_length > body.size()) {
    return invalid_argument("Inference-Header-Content-Length " + std::to_string(*json_length) +
                            " is larger than the " + std::to_string(body.size()) + "-byte body");
  }
  const std::string_view text = json_length ? body.substr(0, *json_length) : body;
  std::string_view binary = json_length ? body.substr(*json_length) : std::string_view();
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("outputs")) {
    return invalid_argument("not an inference response: " + std::string(text.substr(0, 200)));
  }
  std::vector<Tensor> out;
  for (const auto& o : doc["outputs"]) {
    Tensor t;
    t.name = o.value("name", "");
    t.datatype = parse_datatype(o.value("datatype", "FP32")).value_or(DataType::kFp32);
    for (const auto& d : o["shape"]) t.shape.push_back(d.get<std::int64_t>());
    std::string why;
    const json* size = nullptr;
    if (auto p = o.find("parameters"); p != o.end() && p->is_object()) {
      if (auto b = p->find("binary_data_size"); b != p->end()) size = &*b;
    }
    if (size) {
      if (!size->is_number_unsigned() || size->get<std::uint64_t>() > binary.size() ||
          size->get<std::uint64_t>() % datatype_size(t.datatype) != 0) {
        return invalid_argument("output '" + t.name + "': binary_data_size " + size->dump() +
                                " does not fit the " + std::to_string(binary.size()) +
                                " bytes left after the JSON");
      }
      const auto n = static_cast<std::size_t>(size->get<std::uint64_t>());
      if (!binary_to_values(binary.substr(0, n), t.datatype, t.data, why)) {
        return invalid_argument("output '" + t.name + "': " + why);
      }
      binary.remove_prefix(n);
    } else if (!flatten(o["data"], DataType::kFp64, t.data, why)) {
      return invalid_argument(why);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace synod::inference
