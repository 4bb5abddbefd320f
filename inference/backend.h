// Backend: runs one loaded model. One Backend object is one model instance;
// the scheduler gives each instance its own thread, so an implementation
// need not be thread-safe, but several instances of the same model run at
// once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "inference/tensor.h"

namespace synod::inference {

struct BackendOptions {
  std::uint32_t threads = 1;  // compute threads this instance may use
  // The largest batch run() will see: 1 for a model without a batch
  // dimension, 0 when unknown.
  std::uint32_t max_batch_size = 0;
  // Dense-layer models (dense_chain.h): the batch size from which run()
  // uses the 1x1-convolution network. 0: measure both when loading and pick;
  // > 0: from that many rows; < 0: never.
  int dense_batch_from = 0;
  // Whether run() executes a batch of N rows as N single-row forwards:
  // 0: measure both when loading and pick (OpenCV's network is set up
  // again, ~0.3 ms for the demo cnn, whenever the batch size changes, and
  // a convolution net computes a batch of 8 no cheaper per row than one
  // row); > 0: always; < 0: never.
  int rows_separately = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Loads the model from its (already validated and rewritten) file bytes.
  // `signature` is what onnx_model.h read from the file. Called once, before
  // run(); errors name what failed (InvalidArgument for a model the backend
  // cannot build).
  virtual Status load(std::string_view model_bytes, const ModelSignature& signature,
                      const BackendOptions& options) = 0;

  // Runs one batch. `inputs` are in signature order with their final
  // shapes (batch dimension included when the model batches). Returns the
  // outputs in signature order. Called from the instance's thread only.
  virtual Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) = 0;

  // The options further instances of the same model should load with:
  // `loaded_with` plus whatever this instance measured while loading, so
  // they need not measure again (the OpenCV backend's dense-layer choice).
  virtual BackendOptions options_for_more_instances(const BackendOptions& loaded_with) const {
    return loaded_with;
  }

  virtual std::string_view name() const = 0;
};

// OpenCV 4.6 DNN (cv::dnn::readNetFromONNX); one cv::dnn::Net per object.
std::unique_ptr<Backend> make_opencv_backend();

}  // namespace synod::inference
