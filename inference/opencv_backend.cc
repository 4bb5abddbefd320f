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

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>

#include "inference/backend.h"
#include "inference/dense_chain.h"

namespace synod::inference {
namespace {

// The dense chain as 1x1 convolutions over a [1, features, 1, batch] blob
// (dense_chain.h says why).
cv::dnn::Net build_dense_net(const DenseChain& chain) {
  cv::dnn::Net net;
  int index = 0;
  for (const auto& step : chain.steps) {
    cv::dnn::LayerParams lp;
    lp.name = "dense_chain_" + std::to_string(index++);
    switch (step.kind) {
      case DenseStep::Kind::kDense: {
        lp.type = "Convolution";
        lp.set("kernel_size", 1);
        lp.set("num_output", step.outputs);
        lp.set("bias_term", !step.bias.empty());
        const int dims[] = {step.outputs, step.inputs, 1, 1};
        cv::Mat weights(4, dims, CV_32F);
        std::memcpy(weights.ptr<float>(), step.weights.data(), step.weights.size() * sizeof(float));
        lp.blobs.push_back(weights);
        if (!step.bias.empty()) lp.blobs.push_back(cv::Mat(step.bias, true));
        break;
      }
      case DenseStep::Kind::kRelu:
        lp.type = "ReLU";
        break;
      case DenseStep::Kind::kLeakyRelu:
        lp.type = "ReLU";
        lp.set("negative_slope", step.alpha);
        break;
      case DenseStep::Kind::kSigmoid:
        lp.type = "Sigmoid";
        break;
      case DenseStep::Kind::kTanh:
        lp.type = "TanH";
        break;
      case DenseStep::Kind::kSoftmax:
      case DenseStep::Kind::kLogSoftmax:
        lp.type = "Softmax";
        lp.set("axis", 1);
        lp.set("log_softmax", step.kind == DenseStep::Kind::kLogSoftmax);
        break;
    }
    net.addLayerToPrev(lp.name, lp.type, lp);
  }
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

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

// The fastest of three runs of `f` (which returns success), in seconds;
// -1 if a run failed.
template <typename F>
double best_of_three(F&& f) {
  double best = 1e9;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!f()) return -1;
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
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
    dense_from_ = 0;
    if (options.dense_batch_from >= 0 && options.max_batch_size != 1) {
      if (auto chain = find_dense_chain(model_bytes)) {
        try {
          // The chain's weights now live in the network's blobs: keep only
          // its width.
          dense_net_ = build_dense_net(*chain);
          dense_features_ = chain->features;
          dense_from_ = options.dense_batch_from > 0
                            ? static_cast<std::size_t>(options.dense_batch_from)
                            : calibrate_dense(options.max_batch_size);
        } catch (const cv::Exception& e) {
          spdlog::warn("inference: dense layers kept as they are: {}", e.what());
          dense_from_ = 0;
        }
        if (dense_from_ == 0) dense_net_ = cv::dnn::Net();
      }
    }
    rows_separately_ = false;
    if (options.max_batch_size != 1 && dense_from_ == 0) {
      rows_separately_ = options.rows_separately > 0 ||
                         (options.rows_separately == 0 && calibrate_rows(options.max_batch_size));
    }
    return Status::ok();
  }

  // What this instance measured: further instances use the same threshold
  // (or none) without timing again.
  BackendOptions options_for_more_instances(const BackendOptions& loaded_with) const override {
    BackendOptions more = loaded_with;
    more.dense_batch_from = dense_from_ > 0 ? static_cast<int>(dense_from_) : -1;
    more.rows_separately = rows_separately_ ? 1 : -1;
    return more;
  }

  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) override {
    if (dense_from_ > 0 && inputs.size() == 1 && inputs[0].shape.size() == 2 &&
        inputs[0].shape[0] >= static_cast<std::int64_t>(dense_from_)) {
      try {
        return run_dense(inputs[0]);
      } catch (const cv::Exception& e) {
        return internal_error(std::string("OpenCV forward failed: ") + e.what());
      }
    }
    if (rows_separately_ && !inputs.empty() && !inputs[0].shape.empty() &&
        inputs[0].shape[0] > 1) {
      return run_rows(inputs);
    }
    return forward(inputs);
  }

  std::string_view name() const override { return "opencv"; }

 private:
  // The batch through net_ as it is.
  Result<std::vector<Tensor>> forward(const std::vector<Tensor>& inputs) {
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

  // A batch as single-row forwards through net_, whose input shape then
  // never changes (rows_separately_: batching saves this model nothing, and
  // OpenCV sets the network up again whenever the batch size changes).
  // The outputs are those of the same rows sent one request each.
  Result<std::vector<Tensor>> run_rows(const std::vector<Tensor>& inputs) {
    const std::int64_t rows = inputs[0].shape[0];
    for (const Tensor& in : inputs) {
      if (in.shape.empty() || in.shape[0] != rows) {
        return invalid_argument("inputs disagree on the batch size");
      }
    }
    std::vector<Tensor> row(inputs.size());
    std::vector<Tensor> result;
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& in = inputs[i];
        const auto per_row = static_cast<std::ptrdiff_t>(in.data.size() / rows);
        row[i].name = in.name;
        row[i].datatype = in.datatype;
        row[i].shape = in.shape;
        row[i].shape[0] = 1;
        row[i].data.assign(in.data.begin() + r * per_row, in.data.begin() + (r + 1) * per_row);
      }
      auto out = forward(row);
      if (!out.is_ok()) return out.status();
      if (r == 0) {
        result = std::move(*out);
        for (auto& t : result) t.data.reserve(t.data.size() * static_cast<std::size_t>(rows));
        continue;
      }
      for (std::size_t o = 0; o < result.size(); ++o) {
        const Tensor& part = (*out)[o];
        if (result[o].shape.empty() || part.shape.empty() || part.shape[0] != 1) {
          return internal_error("an output has no batch dimension; cannot run the batch by rows");
        }
        result[o].data.insert(result[o].data.end(), part.data.begin(), part.data.end());
        result[o].shape[0] += 1;
      }
    }
    return result;
  }

  // Whether a batch costs this model as much per row as a single row (then
  // run() goes row by row). Times a batch of 8 (max_batch_size if smaller)
  // and one row, each set up first, best of 3; a model whose first batch
  // (setup included) takes over 50 ms, or whose inputs have other dynamic
  // dimensions, is not timed and keeps its batches.
  bool calibrate_rows(std::uint32_t max_batch) {
    using Clock = std::chrono::steady_clock;
    const std::int64_t rows = max_batch == 0 ? 8 : std::min<std::int64_t>(8, max_batch);
    if (rows < 2) return false;
    auto make = [&](std::int64_t n) -> std::optional<std::vector<Tensor>> {
      std::vector<Tensor> in;
      for (const auto& spec : signature_.inputs) {
        if (spec.shape.empty()) return std::nullopt;
        Tensor t{spec.name, spec.datatype, spec.shape, {}};
        t.shape[0] = n;
        for (std::size_t d = 1; d < t.shape.size(); ++d) {
          if (t.shape[d] < 1) return std::nullopt;
        }
        t.data.assign(element_count(t.shape), is_integer(spec.datatype) ? 0.0f : 0.5f);
        in.push_back(std::move(t));
      }
      return in;
    };
    const auto one = make(1), many = make(rows);
    if (!one || !many || one->empty()) return false;
    const auto first = Clock::now();
    if (!forward(*many).is_ok()) return false;  // sets the network up for `rows`
    if (Clock::now() - first > std::chrono::milliseconds(50)) return false;
    const double batch =
        best_of_three([&] { return forward(*many).is_ok(); }) / static_cast<double>(rows);
    if (!forward(*one).is_ok()) return false;  // and back to one row
    const double single = best_of_three([&] { return forward(*one).is_ok(); });
    if (batch < 0 || single <= 0) return false;
    const bool separately = batch >= 0.9 * single;
    if (separately) {
      spdlog::info(
          "inference: batches run row by row (a batch of {} costs {:.0f} us a row, one row {:.0f} us)",
          rows, batch * 1e6, single * 1e6);
    }
    return separately;
  }

  // One batch through the convolution form: rows x features in, transposed
  // to features x rows (the blob's channels x width) and back.
  Result<std::vector<Tensor>> run_dense(const Tensor& input) {
    const int rows = static_cast<int>(input.shape[0]);
    const int features = static_cast<int>(input.shape[1]);
    if (features != dense_features_) return invalid_argument("input width does not match");
    cv::Mat x(rows, features, CV_32F, const_cast<float*>(input.data.data()));
    const int dims[] = {1, features, 1, rows};
    cv::Mat blob(4, dims, CV_32F);
    cv::Mat columns(features, rows, CV_32F, blob.ptr<float>());
    cv::transpose(x, columns);
    dense_net_.setInput(blob);
    cv::Mat out = dense_net_.forward();  // [1, outputs, 1, rows]
    const int outputs = out.size[1];
    Tensor t;
    t.name = output_names_[0];
    t.datatype = signature_.outputs[0].datatype;
    t.shape = {rows, outputs};
    t.data.resize(static_cast<std::size_t>(rows) * static_cast<std::size_t>(outputs));
    cv::Mat by_row(rows, outputs, CV_32F, t.data.data());
    cv::transpose(cv::Mat(outputs, rows, CV_32F, out.ptr<float>()), by_row);
    std::vector<Tensor> result;
    result.push_back(std::move(t));
    return result;
  }

  // The smallest batch from which the convolution form beats OpenCV's
  // dense layers, timed on this machine (0: it never does). Starts at 16
  // and walks down while it still wins; stops after ~0.5 s for big models.
  std::size_t calibrate_dense(std::uint32_t max_batch) {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    std::size_t from = 0;
    for (std::size_t rows : {16, 8, 4, 2}) {
      if (max_batch != 0 && rows > max_batch) continue;
      Tensor in;
      in.name = signature_.inputs.empty() ? "" : signature_.inputs[0].name;
      in.shape = {static_cast<std::int64_t>(rows), dense_features_};
      in.data.assign(rows * static_cast<std::size_t>(dense_features_), 0.5f);
      const auto saved = dense_from_;
      dense_from_ = rows;
      const double dense = best_of_three([&] { return run({in}).is_ok(); });
      dense_from_ = rows + 1;
      const double plain = best_of_three([&] { return run({in}).is_ok(); });
      dense_from_ = saved;
      if (dense < 0 || plain < 0 || dense >= plain) break;
      from = rows;
      if (Clock::now() - started > std::chrono::milliseconds(500)) break;
    }
    if (from > 0) {
      spdlog::info("inference: dense layers run as 1x1 convolutions for batches of {}+", from);
    }
    return from;
  }

  cv::dnn::Net net_;
  cv::dnn::Net dense_net_;  // the convolution form, when dense_from_ > 0
  int dense_features_ = 0;
  std::size_t dense_from_ = 0;  // rows from which run() uses dense_net_; 0: never
  bool rows_separately_ = false;  // run() takes a batch row by row (run_rows)
  ModelSignature signature_;
  std::vector<cv::String> output_names_;
};

}  // namespace

std::unique_ptr<Backend> make_opencv_backend() { return std::make_unique<OpenCvBackend>(); }

}  // namespace synod::inference
