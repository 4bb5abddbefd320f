#include "node/dictionary_service.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/metrics.h"
#include "compression/codec.h"
#include "consensus/state/dictionary_table.h"

namespace synod::node {
namespace {

metrics::Counter& trainings(std::string_view result) {
  return metrics::Registry::global().counter(
      "synod_compression_dictionary_trainings_total",
      "zstd dictionary trainings on the leader, by result", {{"result", std::string(result)}});
}

metrics::Gauge& installed_id() {
  return metrics::Registry::global().gauge(
      "synod_compression_dictionary_id",
      "Id of the shared zstd dictionary this node decodes (0: none)");
}

}  // namespace

DictionaryService::DictionaryService(asio::io_context& io, RaftNode& raft,
                                     std::shared_ptr<compression::Compressor> compressor,
                                     const config::CompressionSection& options)
    : io_(io), raft_(raft), compressor_(std::move(compressor)), options_(options) {}

DictionaryService::~DictionaryService() { stop(); }

void DictionaryService::start() {
  if (!raft_.state().dictionary().empty()) install();
}

void DictionaryService::stop() {
  alive_->store(false);
  if (trainer_.joinable()) trainer_.join();
}

void DictionaryService::on_entry(const Entry& entry) {
  if (!enabled() || entry.type != EntryType::kNormal || entry.data.empty()) return;
  if (!raft_.state().dictionary().empty()) return;
  if (samples_.size() < options_.zstd_dictionary_samples && entry.data.size() <= kMaxSampleBytes) {
    samples_.emplace_back(entry.data);
  }
  maybe_train();
}

void DictionaryService::maybe_train() {
  if (training_ || proposing_ || samples_.size() < options_.zstd_dictionary_samples) return;
  if (!raft_.is_leader() || !raft_.state().dictionary().empty()) return;
  training_ = true;
  if (trainer_.joinable()) trainer_.join();  // the previous run has posted its result
  trainer_ = std::thread([this, samples = samples_, size = options_.zstd_dictionary_bytes,
                          alive = alive_] {
    Result<Bytes> dictionary = compression::train_zstd_dictionary(samples, size);
    asio::post(io_, [this, alive, dictionary = std::move(dictionary)]() mutable {
      if (alive->load()) trained(std::move(dictionary));
    });
  });
}

void DictionaryService::trained(Result<Bytes> dictionary) {
  training_ = false;
  if (!dictionary.is_ok()) {
    trainings("error").inc();
    spdlog::warn("compression: zstd dictionary training failed, sampling again: {}",
                 dictionary.status().message());
    samples_.clear();
    return;
  }
  if (!raft_.is_leader() || !raft_.state().dictionary().empty()) return;
  proposing_ = true;
  const std::size_t bytes = dictionary->size();
  raft_.propose(consensus::state::make_dictionary_command(std::string(std::move(*dictionary))),
                [this, alive = alive_, bytes](Result<consensus::state::ApplyResult> result) {
                  if (!alive->load()) return;
                  proposing_ = false;
                  Status status = result.is_ok() ? result->status : result.status();
                  if (!status.is_ok()) {
                    trainings("proposal_failed").inc();
                    spdlog::warn("compression: proposing the zstd dictionary failed: {}",
                                 status.message());
                    return;
                  }
                  trainings("ok").inc();
                  spdlog::info("compression: proposed a {} byte zstd dictionary trained from {} "
                               "log entries",
                               bytes, options_.zstd_dictionary_samples);
                });
}

void DictionaryService::on_table_changed() {
  samples_.clear();
  samples_.shrink_to_fit();
  install();
}

void DictionaryService::install() {
  const consensus::state::DictionaryTable& table = raft_.state().dictionary();
  if (table.empty() || !compressor_) return;  // no compressor: channels are not encrypted
  Status status = compressor_->set_zstd_dictionary(table.dictionary());
  if (!status.is_ok()) {
    // Never advertised to peers, so nobody sends frames that need it.
    spdlog::error("compression: cannot load the shared zstd dictionary (id {}, set at index {}): "
                  "{}; peer channels keep plain zstd",
                  table.id(), table.set_at(), status.message());
    return;
  }
  installed_id().set(static_cast<double>(table.id()));
  spdlog::info("compression: shared zstd dictionary id {} ({} bytes) installed", table.id(),
               table.dictionary().size());
}

}  // namespace synod::node
