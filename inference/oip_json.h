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
};

Result<DecodedRequest> decode_infer_request(std::string_view body, const LoadedModel& model);

// {"model_name", "model_version", "id", "outputs": [{name, datatype, shape, data}]}.
std::string encode_infer_response(const std::string& model_name, std::int64_t model_version,
                                  const std::string& id,
                                  const std::vector<Tensor>& outputs,
                                  const std::vector<std::string>& requested);

// Model metadata: {"name", "versions", "platform", "inputs", "outputs"}.
nlohmann::json model_metadata(const LoadedModel& model, const std::vector<std::int64_t>& versions);

// A request body for `inputs` (used by the CLI, tests and benchmarks).
std::string encode_infer_request(const std::vector<Tensor>& inputs);
// Parses the "outputs" of a response body back into tensors.
Result<std::vector<Tensor>> decode_infer_response(std::string_view body);

}  // namespace synod::inference
