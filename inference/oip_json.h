// The JSON side of the Open Inference Protocol (KServe v2) for one model:
// decoding and checking an inference request against the model's
// signature, and encoding responses and model metadata.
//
// Request checks, each an InvalidArgument naming the tensor:
//   malformed JSON, missing "inputs", an input the model lacks (extra), an
//   input the model needs that is absent (missing), a datatype other than the
//   model's, a shape of another rank or fixed dimension, a batch above
//   max_batch_size, inputs with different batch sizes, a data element count
//   that does not match the shape, values that are not numbers or do not fit
//   the datatype, an unknown requested output.
//
// Triton's binary tensor data extension (docs/inference.md "Binary tensor
// data"): with an Inference-Header-Content-Length of N, the body is N bytes
// of JSON followed by the raw bytes of every input whose "parameters" has
// "binary_data_size", in the order those inputs appear in the request
// (little-endian, row-major, the datatype's size per element; BOOL one byte
// 0 or 1; FP16 IEEE half). Its own checks, each naming the input: both
// "data" and "binary_data_size", binary_data_size not shape x element size,
// binary data without the header, binary BYTES, and the sizes not adding up
// to the bytes after the JSON. Outputs are answered in binary when the
// request's "parameters" say "binary_data_output": true or the requested
// output's say "binary_data": true (which overrides the former).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "inference/repository.h"
#include "inference/tensor.h"

namespace synod::inference {

struct DecodedRequest {
  std::string id;
  std::vector<Tensor> inputs;  // signature order
  std::size_t rows = 1;        // batch size (1 when the model does not batch)
  std::vector<std::string> outputs;  // requested output names; empty: all
  // Which outputs go back as binary tensor data: binary_all for every
  // output unless `binary_override` (requested outputs with a
  // "binary_data" parameter) says otherwise.
  bool binary_all = false;
  std::vector<std::pair<std::string, bool>> binary_override;
  [[nodiscard]] bool output_binary(const std::string& name) const;
};

// `json_length`: the request's Inference-Header-Content-Length (nullopt
// without the header: the whole body is JSON).
Result<DecodedRequest> decode_infer_request(std::string_view body, const LoadedModel& model,
                                            std::optional<std::size_t> json_length = std::nullopt);

// The value of an Inference-Header-Content-Length header for a body of
// `body_size` bytes: a decimal number no larger than the body.
Result<std::size_t> parse_json_length(std::string_view header, std::size_t body_size);

// Bytes per element of a datatype in binary tensor data.
std::size_t datatype_size(DataType type);
// Binary tensor data <-> values: `bytes` (a whole number of elements of
// `type`) appended to `out` (false with `why` on a BOOL byte other than 0
// or 1); the values of `t` appended to `out` in its datatype.
bool binary_to_values(std::string_view bytes, DataType type, std::vector<float>& out,
                      std::string& why);
void append_binary(const Tensor& t, std::string& out);

// {"model_name", "model_version", "id", "outputs": [{name, datatype, shape, data}]}.
std::string encode_infer_response(const std::string& model_name, std::int64_t model_version,
                                  const std::string& id,
                                  const std::vector<Tensor>& outputs,
                                  const std::vector<std::string>& requested);

// A response body that may end in binary tensor data.
struct EncodedBody {
  std::string body;
  // Set when binary data follows the JSON: the Inference-Header-Content-Length.
  std::optional<std::size_t> json_length;
};
// The same, with the outputs `request` asks for in binary as raw bytes in
// their datatype (integers truncated as the JSON "data" is), each with
// "parameters": {"binary_data_size": n} instead of "data".
EncodedBody encode_infer_response(const std::string& model_name, std::int64_t model_version,
                                  const DecodedRequest& request,
                                  const std::vector<Tensor>& outputs);

// Model metadata: {"name", "versions", "platform", "inputs", "outputs"}.
nlohmann::json model_metadata(const LoadedModel& model, const std::vector<std::int64_t>& versions);

// A request body for `inputs` (used by the CLI, tests and benchmarks).
std::string encode_infer_request(const std::vector<Tensor>& inputs);
// The same in binary tensor data (json_length is the header to send);
// `binary_outputs` asks for every output in binary ("binary_data_output").
EncodedBody encode_infer_request_binary(const std::vector<Tensor>& inputs, bool binary_outputs);
// Parses the "outputs" of a response body back into tensors; `json_length`
// (the response's Inference-Header-Content-Length) when binary data follows.
Result<std::vector<Tensor>> decode_infer_response(
    std::string_view body, std::optional<std::size_t> json_length = std::nullopt);

}  // namespace synod::inference
