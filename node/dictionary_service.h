// DictionaryService: the shared zstd dictionary of compression.zstd_dictionary
// (docs/compression.md, "zstd dictionaries").
//
// - Sampling (every node): the first compression.zstd_dictionary_samples
//   applied entries of at most kMaxSampleBytes are kept, so a newly elected
//   leader already has samples.
// - Training (leader only, once per cluster): when the replicated table holds
//   no dictionary and enough samples are in, a background thread trains
//   (ZDICT) and the loop proposes the result (Command.compression_dictionary).
//   A failed training is logged and counted; sampling starts over.
// - Installing (every node): when the table changes (apply, restore) or at
//   start, the dictionary goes into the shared Compressor. Peer channels use
//   it only once both ends hold it (node/transport/secure_channel.h).
//
// Metrics: synod_compression_dictionary_trainings_total{result} (ok | error |
// proposal_failed), synod_compression_dictionary_id (gauge: the installed id,
// 0: none). Threading: every method on the loop thread; training runs on its
// own thread and posts back.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "common/asio.h"
#include "common/bytes.h"
#include "common/raft_types.h"
#include "compression/compressor.h"
#include "config/node_config.h"
#include "node/raft_node.h"

namespace synod::node {

class DictionaryService {
 public:
  static constexpr std::size_t kMaxSampleBytes = 4096;

  DictionaryService(asio::io_context& io, RaftNode& raft,
                    std::shared_ptr<compression::Compressor> compressor,
                    const config::CompressionSection& options);
  ~DictionaryService();
  DictionaryService(const DictionaryService&) = delete;
  DictionaryService& operator=(const DictionaryService&) = delete;

  // Installs the dictionary the state already holds (after recovery).
  void start();
  void stop();

  // One applied entry (RaftNode's entry observer).
  void on_entry(const Entry& entry);
  // The replicated table changed (consensus::state::dictionary_changed).
  void on_table_changed();

 private:
  [[nodiscard]] bool enabled() const { return options_.zstd_dictionary && compressor_; }
  void maybe_train();
  void trained(Result<Bytes> dictionary);
  void install();

  asio::io_context& io_;
  RaftNode& raft_;
  std::shared_ptr<compression::Compressor> compressor_;
  config::CompressionSection options_;
  std::vector<Bytes> samples_;
  bool training_ = false;
  bool proposing_ = false;
  std::thread trainer_;
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace synod::node
