#include "inference/tensor.h"

#include <array>
#include <limits>
#include <utility>

namespace synod::inference {
namespace {

constexpr std::array<std::pair<DataType, std::string_view>, 12> kNames{{
    {DataType::kBool, "BOOL"},
    {DataType::kUint8, "UINT8"},
    {DataType::kUint16, "UINT16"},
    {DataType::kUint32, "UINT32"},
    {DataType::kUint64, "UINT64"},
    {DataType::kInt8, "INT8"},
    {DataType::kInt16, "INT16"},
    {DataType::kInt32, "INT32"},
    {DataType::kInt64, "INT64"},
    {DataType::kFp16, "FP16"},
    {DataType::kFp32, "FP32"},
    {DataType::kFp64, "FP64"},
}};

}  // namespace

std::string_view datatype_name(DataType type) {
  for (const auto& [t, name] : kNames) {
    if (t == type) return name;
  }
  return "FP32";
}

std::optional<DataType> parse_datatype(std::string_view name) {
  for (const auto& [t, n] : kNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

bool is_integer(DataType type) {
  return type != DataType::kFp16 && type != DataType::kFp32 && type != DataType::kFp64;
}

double datatype_min(DataType type) {
  switch (type) {
    case DataType::kBool:
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
    case DataType::kUint64: return 0;
    case DataType::kInt8: return std::numeric_limits<std::int8_t>::min();
    case DataType::kInt16: return std::numeric_limits<std::int16_t>::min();
    case DataType::kInt32: return std::numeric_limits<std::int32_t>::min();
    case DataType::kInt64: return static_cast<double>(std::numeric_limits<std::int64_t>::min());
    case DataType::kFp16: return -65504.0;
    case DataType::kFp32: return -std::numeric_limits<float>::max();
    case DataType::kFp64: return -std::numeric_limits<double>::max();
  }
  return 0;
}

double datatype_max(DataType type) {
  switch (type) {
    case DataType::kBool: return 1;
    case DataType::kUint8: return std::numeric_limits<std::uint8_t>::max();
    case DataType::kUint16: return std::numeric_limits<std::uint16_t>::max();
    case DataType::kUint32: return std::numeric_limits<std::uint32_t>::max();
    case DataType::kUint64: return static_cast<double>(std::numeric_limits<std::uint64_t>::max());
    case DataType::kInt8: return std::numeric_limits<std::int8_t>::max();
    case DataType::kInt16: return std::numeric_limits<std::int16_t>::max();
    case DataType::kInt32: return std::numeric_limits<std::int32_t>::max();
    case DataType::kInt64: return static_cast<double>(std::numeric_limits<std::int64_t>::max());
    case DataType::kFp16: return 65504.0;
    case DataType::kFp32: return std::numeric_limits<float>::max();
    case DataType::kFp64: return std::numeric_limits<double>::max();
  }
  return 0;
}

std::size_t element_count(const Shape& shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d < 0 ? 0 : d);
  return n;
}

std::string shape_text(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

}  // namespace synod::inference
