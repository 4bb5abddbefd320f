// The node configuration: one YAML file per node (docs/config.md).
//
// Every field has a default (the initialisers below are the single source of
// truth for them; `synod config default` prints them). Precedence, lowest
// first: defaults < file < SYNOD_<SECTION>_<KEY> environment variables <
// command-line flags (`--set section.key=value`).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace synod::config {

using Millis = std::chrono::milliseconds;

struct NodeSection {
  std::uint64_t id = 0;            // 0: derived from name (stable hash)
  std::string name;                // "": the host name
  std::string datacenter = "dc1";
  std::string data_dir = "./synod-data";
};

struct AddressesSection {
  std::string peer = "127.0.0.1:8300";    // Raft + forwarding (TCP)
  std::string http = "127.0.0.1:8500";    // HTTP API (Consul + OIP + metrics)
  std::string gossip = "127.0.0.1:8301";  // SWIM gossip (UDP) and push-pull (TCP)
  std::string advertise_peer;             // "": same as peer
  std::string advertise_http;             // "": same as http
};

struct ClusterSection {
  std::string name = "synod";             // peers whose handshake names another cluster are refused
  std::vector<std::string> seeds;         // gossip/peer addresses to join at start
  std::uint32_t bootstrap_expect = 1;     // voters to wait for before the first election
  bool join = false;                      // join an existing cluster via seeds, never bootstrap
  std::uint32_t max_voters = 5;
  Millis dead_server_cleanup_after{std::chrono::minutes(5)};
};

struct RaftSection {
  Millis heartbeat_interval{30};
  Millis election_timeout{150};           // randomised in [t, 2t)
  bool pre_vote = true;
  bool check_quorum = true;
  bool lease_read = false;
  std::uint64_t snapshot_threshold = 65536;  // entries since the last snapshot
  std::uint64_t snapshot_trailing = 2048;    // entries kept behind a snapshot
  std::uint64_t max_append_bytes = 1 << 20;  // per AppendEntries message
  std::uint32_t max_inflight_messages = 256; // per follower
  std::uint64_t max_inflight_bytes = 32 << 20;
  std::uint64_t snapshot_chunk_bytes = 1 << 20;
};

struct FileBackendSection {
  std::uint64_t segment_bytes = 64ull << 20;
};
struct SqliteBackendSection {
  std::string path;                       // "": <data_dir>/synod.db
};
struct PostgresBackendSection {
  std::string url = "postgresql://127.0.0.1:5432/synod";
  Millis reconnect_interval{500};
};
struct RedisBackendSection {
  std::string address = "127.0.0.1:6379";
  std::uint32_t db = 0;
  std::string password;                   // secret: never logged
  Millis reconnect_interval{500};
};
struct PersistenceSection {
  std::string backend = "file";           // file | sqlite | postgres | redis | memory
  std::uint32_t snapshots_retained = 2;
  FileBackendSection file;
  SqliteBackendSection sqlite;
  PostgresBackendSection postgres;
  RedisBackendSection redis;
};

struct TransportSection {
  std::uint64_t max_frame_bytes = 16ull << 20;
  std::uint64_t max_queue_bytes = 64ull << 20;  // per peer outbound
  Millis reconnect_min{50};
  Millis reconnect_max{2000};
  Millis connect_timeout{1000};
};

struct CryptoSection {
  bool enabled = true;
  std::string cluster_key;                // base64 32 bytes; secret: never logged
  std::string cluster_key_file;           // alternative to cluster_key
  std::string node_key_file;              // "": <data_dir>/node.key
  std::string cipher = "xchacha20poly1305";  // | chacha20poly1305 | aes256gcm
  Millis rekey_interval{std::chrono::seconds(120)};
  std::uint64_t rekey_bytes = 1ull << 30;
  Millis rekey_grace{std::chrono::seconds(10)};
  std::vector<std::string> allowed_peers; // base64 node public keys; empty: any
};

struct CompressionSection {
  std::string codec = "lz4";              // none | lz4 | zstd | snappy | gzip
  std::uint64_t min_bytes = 256;
  std::int32_t zstd_level = 3;
  bool adaptive = true;
  std::uint64_t max_decompressed_bytes = 64ull << 20;
  bool zstd_dictionary = false;                    // needs codec zstd (docs/compression.md)
  std::uint64_t zstd_dictionary_bytes = 16 * 1024;  // size the leader trains
  std::uint32_t zstd_dictionary_samples = 1000;     // small log entries it trains from
};

struct GossipSection {
  bool enabled = true;
  bool encrypt = true;                    // seal packets with the cluster keyring
  Millis probe_interval{200};
  Millis probe_timeout{100};
  std::uint32_t indirect_checks = 3;
  std::uint32_t suspicion_multiplier = 4;
  Millis gossip_interval{100};
  std::uint32_t gossip_nodes = 3;
  Millis push_pull_interval{std::chrono::seconds(30)};
  Millis join_retry_max{std::chrono::seconds(30)};
};

struct OutlierSection {
  std::uint32_t consecutive_failures = 5;
  Millis base_ejection_time{std::chrono::seconds(30)};
  std::uint32_t max_ejection_percent = 50;
  std::uint32_t panic_threshold_percent = 50;
};
struct LoadBalanceSection {
  std::string default_strategy = "p2c_ewma";
  std::map<std::string, std::string> services;  // service or model name -> strategy
  OutlierSection outlier;
  std::uint32_t retries = 1;
  double hedge_percentile = 0;            // 0: hedging off; e.g. 95
};

struct InferenceSection {
  bool enabled = true;
  std::string model_repository;           // "": no models
  std::string route = "local";            // local | cluster
  std::uint32_t threads = 0;              // 0: hardware concurrency
  std::uint32_t max_queue = 1024;         // default per-model queue limit
  Millis default_timeout{std::chrono::seconds(30)};
};

struct HttpSection {
  std::uint64_t max_header_bytes = 16 << 10;
  std::uint64_t max_body_bytes = 8 << 20;
  Millis idle_timeout{std::chrono::seconds(60)};
  std::uint32_t max_connections = 16384;
};

struct ChecksSection {
  bool enable_script = false;
};

struct LogSection {
  std::string level = "info";             // trace | debug | info | warn | error | off
  std::string format = "text";            // text | json
  std::string file;                       // "": stderr
};

struct DebugSection {
  bool fault_injection = false;
};

struct NodeConfig {
  NodeSection node;
  AddressesSection addresses;
  ClusterSection cluster;
  RaftSection raft;
  PersistenceSection persistence;
  TransportSection transport;
  CryptoSection crypto;
  CompressionSection compression;
  GossipSection gossip;
  LoadBalanceSection loadbalance;
  InferenceSection inference;
  HttpSection http;
  ChecksSection checks;
  LogSection log;
  DebugSection debug;
};

}  // namespace synod::config
