// Load-time checks and rewrites of an ONNX file, done with the ONNX protobuf
// classes (Debian's libonnx) before OpenCV sees the model.
//
// prepare_onnx_model():
//  - parses the ModelProto (a truncated or non-ONNX file is InvalidArgument
//    "not an ONNX model: ...");
//  - reads the graph inputs and outputs (name, element type, shape; symbolic
//    or missing dimensions are -1);
//  - rejects ops from other domains than the default one and ops OpenCV 4.6
//    cannot import, naming all of them ("unsupported ops: NonZero, TopK");
//  - applies the rewrites OpenCV 4.6 needs for common exporter output (each
//    one applied is listed in PreparedModel::rewrites, docs/inference.md):
//      * an Identity whose input is an initializer becomes an initializer
//        under the Identity's output name (OpenCV 4.6 fails on Identity over
//        a constant: "Blob ... not found");
//      * any other Identity not producing a graph output is removed and its
//        consumers read its input directly;
//      * a Gemm over constant weights gets alpha, beta and transB = 0
//        folded into new initializers (transB = 1, bias shaped [N]):
//        OpenCV 4.6 ignores alpha and beta, mis-sizes transB = 0 and
//        rejects a scalar or [1, N] bias;
//      * initializers that are also listed as graph inputs (IR < 4 exports)
//        are dropped from the inputs, so clients are not asked for weights.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "inference/tensor.h"

namespace synod::inference {

struct PreparedModel {
  std::string bytes;  // the (possibly rewritten) serialised model
  ModelSignature signature;
  std::vector<std::string> op_types;  // distinct, sorted
  std::vector<std::string> rewrites;  // human-readable, one per change
};

Result<PreparedModel> prepare_onnx_model(std::string_view bytes);

// The op types this build accepts (those OpenCV 4.6's ONNX importer maps).
const std::vector<std::string>& supported_onnx_ops();

}  // namespace synod::inference
