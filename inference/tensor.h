// Tensors as the inference layer passes them around: a name, an Open
// Inference Protocol datatype, a shape and the values.
//
// Values are held as float32 whatever the datatype: OpenCV 4.6's DNN module
// computes in float32 and converts every input to it, so a wider copy would
// buy nothing. Integer datatypes are checked to be whole numbers in range at
// decode time (oip_json.h) and rounded back on output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synod::inference {

enum class DataType {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
};

// "FP32", "INT64", ... (the OIP spelling).
std::string_view datatype_name(DataType type);
std::optional<DataType> parse_datatype(std::string_view name);
[[nodiscard]] bool is_integer(DataType type);
// The smallest and largest value a datatype holds (as double).
double datatype_min(DataType type);
double datatype_max(DataType type);

// A dimension of -1 is dynamic (any size).
using Shape = std::vector<std::int64_t>;
// Product of the dimensions (every one must be >= 0).
std::size_t element_count(const Shape& shape);
// "[-1,16]".
std::string shape_text(const Shape& shape);

struct Tensor {
  std::string name;
  DataType datatype = DataType::kFp32;
  Shape shape;
  std::vector<float> data;  // row-major, element_count(shape) values
};

// What a model declares for one input or output.
struct TensorSpec {
  std::string name;
  DataType datatype = DataType::kFp32;
  Shape shape;  // -1 for dynamic dimensions
};

struct ModelSignature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

}  // namespace synod::inference
