// The OpenCV DNN backend. OpenCV's headers warn under C++20 with our flags,
// so they are included here only and nowhere else in synod.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-enum-enum-conversion"
#pragma GCC diagnostic ignored "-Wdeprecated"
#endif
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <cmath>
#include <cstring>
#include <mutex>

#include "inference/backend.h"

namespace synod::inference {
namespace {

// cv::setNumThreads sets OpenCV's process-wide pool; instances ask for the
// largest value any model configured (docs/inference.md).
void raise_opencv_threads(std::uint32_t threads) {
  static std::mutex mutex;
  static std::uint32_t current = 0;
  std::lock_guard lock(mutex);
  if (threads > current) {
    current = threads;
    cv::setNumThreads(static_cast<int>(threads));
  }
}

class OpenCvBackend final : public Backend {
 public:
  Status load(std::string_view model_bytes, const ModelSignature& signature,
              const BackendOptions& options) override {
    signature_ = signature;
    raise_opencv_threads(options.threads == 0 ? 1 : options.threads);
    try {
      net_ = cv::dnn::readNetFromONNX(model_bytes.data(), model_bytes.size());
      net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    } catch (const cv::Exception& e) {
      return invalid_argument(std::string("OpenCV could not build the network: ") + e.what());
    }
    if (net_.empty()) return invalid_argument("OpenCV built an empty network");
    output_names_.clear();
    for (const auto& out : signature.outputs) output_names_.push_back(out.name);
    return Status::ok();
  }

  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) override {
    try {
      for (const auto& input : inputs) {
        std::vector<int> dims(input.shape.begin(), input.shape.end());
        if (dims.empty()) dims.push_back(1);
        // The Mat borrows the tensor's buffer; setInput copies it.
        cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F,
                     const_cast<float*>(input.data.data()));
        net_.setInput(blob, input.name);
      }
      std::vector<cv::Mat> outs;
      net_.forward(outs, output_names_);
      std::vector<Tensor> result;
      result.reserve(outs.size());
      for (std::size_t i = 0; i < outs.size(); ++i) {
        cv::Mat mat = outs[i];
        if (mat.depth() != CV_32F) mat.convertTo(mat, CV_32F);
        if (!mat.isContinuous()) mat = mat.clone();
        Tensor t;
        t.name = output_names_[i];
        t.datatype = signature_.outputs[i].datatype;
        for (int d = 0; d < mat.dims; ++d) t.shape.push_back(mat.size[d]);
        const auto* begin = mat.ptr<float>();
        t.data.assign(begin, begin + mat.total());
        if (is_integer(t.datatype)) {
          for (auto& v : t.data) v = std::nearbyint(v);
        }
        result.push_back(std::move(t));
      }
      return result;
    } catch (const cv::Exception& e) {
      return internal_error(std::string("OpenCV forward failed: ") + e.what());
    }
  }

  std::string_view name() const override { return "opencv"; }

 private:
  cv::dnn::Net net_;
  ModelSignature signature_;
  std::vector<cv::String> output_names_;
};

}  // namespace

std::unique_ptr<Backend> make_opencv_backend() { return std::make_unique<OpenCvBackend>(); }

}  // namespace synod::inference
