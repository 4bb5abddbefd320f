// The schema table: every config key, its type, limits and description.
// This is the one place to add a key after adding its field to
// config/node_config.h; everything else (parsing, env names, validation,
// default_yaml(), docs/config.md) follows from the entry.
#include "config/schema.h"

namespace synod::config {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
constexpr long double kKiB = 1024;
constexpr long double kMiB = 1024 * kKiB;
constexpr long double kGiB = 1024 * kMiB;

// Chained setters so the table below reads one key per statement.
struct Key {
  KeyInfo info;
  Key(std::string_view path, FieldRef (*field)(NodeConfig&),
      ConstFieldRef (*const_field)(const NodeConfig&), Kind kind, std::string_view doc) {
    info.path = path;
    info.field = field;
    info.const_field = const_field;
    info.kind = kind;
    info.doc = doc;
  }
  Key&& range(long double min, long double max) && {
    info.min = min;
    info.max = max;
    return std::move(*this);
  }
  Key&& at_least(long double min) && {
    info.min = min;
    return std::move(*this);
  }
  Key&& range(Millis min, Millis max) && {
    return std::move(*this).range(static_cast<long double>(min.count()),
                                  static_cast<long double>(max.count()));
  }
  Key&& at_least(Millis min) && { return std::move(*this).at_least(min.count()); }
  Key&& one_of(std::vector<std::string_view> values) && {
    info.allowed = std::move(values);
    return std::move(*this);
  }
  Key&& required() && {
    info.required = true;
    return std::move(*this);
  }
  Key&& secret(Secrecy secrecy = Secrecy::kSecret) && {
    info.secrecy = secrecy;
    return std::move(*this);
  }
};

// SYNOD_FIELD(raft.heartbeat_interval) expands to the path string and the
// two accessors, so the path in the table cannot disagree with the struct.
// clang-format off
#define SYNOD_FIELD(member)                                     \
  #member,                                                      \
  [](NodeConfig& c) -> FieldRef { return &c.member; },          \
  [](const NodeConfig& c) -> ConstFieldRef { return &c.member; }
// clang-format on

// Load-balancing strategy names (loadbalance/ registers one per name).
const std::vector<std::string_view> kStrategies = {
    "round_robin",
    "weighted_round_robin",
    "random",
    "weighted_random",
    "least_connections",
    "least_response_time",
    "p2c_ewma",
    "ip_hash",
    "consistent_hash",
    "maglev",
};

std::vector<KeyInfo> build_schema() {
  using K = Kind;
  std::vector<Key> keys = {
      // node
      Key(SYNOD_FIELD(node.id), K::kInteger,
          "Node id, unique in the cluster; 0 derives it from node.name (FNV-1a 64)"),
      Key(SYNOD_FIELD(node.name), K::kString,
          "Node name, unique in the cluster; empty uses the host name"),
      Key(SYNOD_FIELD(node.datacenter), K::kString, "Datacenter this node reports").required(),
      Key(SYNOD_FIELD(node.data_dir), K::kString,
          "Directory for the log, snapshots, keys and local state")
          .required(),
      // addresses
      Key(SYNOD_FIELD(addresses.peer), K::kAddress, "Listen address for Raft and forwarding (TCP)")
          .required(),
      Key(SYNOD_FIELD(addresses.http), K::kAddress,
          "Listen address for the HTTP API (Consul, inference, metrics)")
          .required(),
      Key(SYNOD_FIELD(addresses.gossip), K::kAddress,
          "Listen address for gossip (UDP) and push-pull (TCP)")
          .required(),
      Key(SYNOD_FIELD(addresses.advertise_peer), K::kAddress,
          "Peer address other nodes use to reach this one; empty: addresses.peer"),
      Key(SYNOD_FIELD(addresses.advertise_http), K::kAddress,
          "HTTP address other nodes use to reach this one; empty: addresses.http"),
      // cluster
      Key(SYNOD_FIELD(cluster.name), K::kString,
          "Cluster name; peers whose handshake names another cluster are refused")
          .required(),
      Key(SYNOD_FIELD(cluster.seeds), K::kAddressList,
          "Peer addresses (host:port, or id@host:port naming the node) to join at start"),
      Key(SYNOD_FIELD(cluster.bootstrap_expect), K::kInteger,
          "Voters to wait for before the first election")
          .range(1, 99),
      Key(SYNOD_FIELD(cluster.join), K::kBool,
          "Join a running cluster via the seeds (learner, then voter) instead of bootstrapping"),
      Key(SYNOD_FIELD(cluster.max_voters), K::kInteger,
          "Largest voter count; must be odd, further nodes stay non-voters"),
      Key(SYNOD_FIELD(cluster.dead_server_cleanup_after), K::kDuration,
          "Remove a server from the Raft configuration after it is dead this long")
          .at_least(seconds(1)),
      // raft
      Key(SYNOD_FIELD(raft.heartbeat_interval), K::kDuration,
          "Leader heartbeat period; must be below raft.election_timeout")
          .range(Millis(1), minutes(1)),
      Key(SYNOD_FIELD(raft.election_timeout), K::kDuration,
          "Base election timeout, randomised in [t, 2t)")
          .range(Millis(1), minutes(10)),
      Key(SYNOD_FIELD(raft.pre_vote), K::kBool, "Run a pre-vote before starting an election"),
      Key(SYNOD_FIELD(raft.check_quorum), K::kBool,
          "Leader steps down when it has not heard from a quorum for an election timeout"),
      Key(SYNOD_FIELD(raft.lease_read), K::kBool,
          "Serve linearizable reads from a leader lease instead of a heartbeat round"),
      Key(SYNOD_FIELD(raft.snapshot_threshold), K::kInteger,
          "Take a snapshot after this many entries since the last one")
          .at_least(1),
      Key(SYNOD_FIELD(raft.snapshot_trailing), K::kInteger,
          "Entries kept in the log behind a snapshot; at most raft.snapshot_threshold"),
      Key(SYNOD_FIELD(raft.max_append_bytes), K::kByteSize,
          "Largest AppendEntries payload; below transport.max_frame_bytes")
          .at_least(1),
      Key(SYNOD_FIELD(raft.max_inflight_messages), K::kInteger,
          "Unacknowledged AppendEntries per follower")
          .at_least(1),
      Key(SYNOD_FIELD(raft.max_inflight_bytes), K::kByteSize,
          "Unacknowledged AppendEntries bytes per follower")
          .at_least(1),
      Key(SYNOD_FIELD(raft.snapshot_chunk_bytes), K::kByteSize,
          "Snapshot transfer chunk size; below transport.max_frame_bytes")
          .at_least(1),
      // persistence
      Key(SYNOD_FIELD(persistence.backend), K::kEnum, "Storage backend for log and snapshots")
          .one_of({"file", "sqlite", "postgres", "redis", "memory"}),
      Key(SYNOD_FIELD(persistence.snapshots_retained), K::kInteger,
          "Snapshots kept on disk (the newest first)")
          .range(1, 100),
      Key(SYNOD_FIELD(persistence.file.segment_bytes), K::kByteSize,
          "file backend: log segment size before rolling to a new one")
          .range(4 * kKiB, 16 * kGiB),
      Key(SYNOD_FIELD(persistence.sqlite.path), K::kString,
          "sqlite backend: database file; empty: <data_dir>/synod.db"),
      Key(SYNOD_FIELD(persistence.postgres.url), K::kString,
          "postgres backend: libpq connection URL; its password is redacted in output")
          .secret(Secrecy::kUrlPassword),
      Key(SYNOD_FIELD(persistence.postgres.reconnect_interval), K::kDuration,
          "postgres backend: wait between reconnect attempts")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(persistence.redis.address), K::kAddress, "redis backend: server host:port"),
      Key(SYNOD_FIELD(persistence.redis.db), K::kInteger, "redis backend: database number")
          .range(0, 65535),
      Key(SYNOD_FIELD(persistence.redis.password), K::kString,
          "redis backend: AUTH password; empty: no AUTH")
          .secret(),
      Key(SYNOD_FIELD(persistence.redis.reconnect_interval), K::kDuration,
          "redis backend: wait between reconnect attempts")
          .at_least(Millis(1)),
      // transport
      Key(SYNOD_FIELD(transport.max_frame_bytes), K::kByteSize,
          "Largest peer frame accepted; larger frames close the connection")
          .range(kKiB, kGiB),
      Key(SYNOD_FIELD(transport.max_queue_bytes), K::kByteSize,
          "Outbound bytes queued per peer before messages are dropped")
          .at_least(kKiB),
      Key(SYNOD_FIELD(transport.reconnect_min), K::kDuration, "First reconnect backoff to a peer")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(transport.reconnect_max), K::kDuration,
          "Largest reconnect backoff; at least transport.reconnect_min")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(transport.connect_timeout), K::kDuration, "Peer TCP connect timeout")
          .at_least(Millis(1)),
      // crypto
      Key(SYNOD_FIELD(crypto.enabled), K::kBool, "Encrypt and authenticate peer traffic"),
      Key(SYNOD_FIELD(crypto.cluster_key), K::kString,
          "Cluster key, base64 of 32 bytes; alternative to crypto.cluster_key_file")
          .secret(),
      Key(SYNOD_FIELD(crypto.cluster_key_file), K::kString,
          "File holding the base64 cluster key; alternative to crypto.cluster_key"),
      Key(SYNOD_FIELD(crypto.node_key_file), K::kString,
          "This node's key pair file; empty: <data_dir>/node.key"),
      Key(SYNOD_FIELD(crypto.cipher), K::kEnum, "AEAD cipher for peer sessions")
          .one_of({"xchacha20poly1305", "chacha20poly1305", "aes256gcm"}),
      Key(SYNOD_FIELD(crypto.rekey_interval), K::kDuration, "Rotate session keys this often")
          .at_least(seconds(1)),
      Key(SYNOD_FIELD(crypto.rekey_bytes), K::kByteSize,
          "Rotate session keys after this many bytes")
          .at_least(kMiB),
      Key(SYNOD_FIELD(crypto.rekey_grace), K::kDuration,
          "Old session keys stay valid this long after a rekey; below crypto.rekey_interval")
          .at_least(Millis(0)),
      Key(SYNOD_FIELD(crypto.allowed_peers), K::kStringList,
          "Base64 public keys of nodes allowed to connect; empty: any holder of the cluster key"),
      // compression
      Key(SYNOD_FIELD(compression.codec), K::kEnum, "Codec for peer frames and snapshots")
          .one_of({"none", "lz4", "zstd", "snappy", "gzip"}),
      Key(SYNOD_FIELD(compression.min_bytes), K::kByteSize,
          "Payloads smaller than this are sent uncompressed"),
      Key(SYNOD_FIELD(compression.zstd_level), K::kInteger, "zstd compression level").range(-7, 22),
      Key(SYNOD_FIELD(compression.adaptive), K::kBool,
          "Skip compression for payloads that do not shrink"),
      Key(SYNOD_FIELD(compression.max_decompressed_bytes), K::kByteSize,
          "Largest decompressed payload accepted (decompression-bomb guard)")
          .at_least(kKiB),
      Key(SYNOD_FIELD(compression.zstd_dictionary), K::kBool,
          "Share a zstd dictionary trained from the log via Raft; needs codec zstd"),
      Key(SYNOD_FIELD(compression.zstd_dictionary_bytes), K::kByteSize,
          "Size of the trained zstd dictionary")
          .range(kKiB, 256 * kKiB),
      Key(SYNOD_FIELD(compression.zstd_dictionary_samples), K::kInteger,
          "Log entries (of at most 4 KiB) the leader collects before it trains")
          .range(100, 100000),
      // gossip
      Key(SYNOD_FIELD(gossip.enabled), K::kBool, "Run SWIM gossip membership"),
      Key(SYNOD_FIELD(gossip.encrypt), K::kBool, "Seal gossip packets with the cluster keyring"),
      Key(SYNOD_FIELD(gossip.probe_interval), K::kDuration, "Period between failure probes")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(gossip.probe_timeout), K::kDuration,
          "Wait for a probe ack; below gossip.probe_interval")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(gossip.indirect_checks), K::kInteger,
          "Members asked to probe indirectly after a direct probe fails")
          .range(0, 64),
      Key(SYNOD_FIELD(gossip.suspicion_multiplier), K::kInteger,
          "Suspicion timeout in probe intervals, scaled by log(cluster size)")
          .range(1, 100),
      Key(SYNOD_FIELD(gossip.gossip_interval), K::kDuration, "Period between gossip rounds")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(gossip.gossip_nodes), K::kInteger, "Members sent each gossip round")
          .range(1, 64),
      Key(SYNOD_FIELD(gossip.push_pull_interval), K::kDuration,
          "Period of full state sync with a random member (TCP)")
          .at_least(seconds(1)),
      Key(SYNOD_FIELD(gossip.join_retry_max), K::kDuration, "Largest backoff between join retries")
          .at_least(Millis(1)),
      // loadbalance
      Key(SYNOD_FIELD(loadbalance.default_strategy), K::kEnum,
          "Strategy for services and models without their own entry")
          .one_of(kStrategies),
      Key(SYNOD_FIELD(loadbalance.services), K::kStringMap,
          "Per service or model strategy (name: strategy)")
          .one_of(kStrategies),
      Key(SYNOD_FIELD(loadbalance.outlier.consecutive_failures), K::kInteger,
          "Failures in a row that eject an endpoint")
          .at_least(1),
      Key(SYNOD_FIELD(loadbalance.outlier.base_ejection_time), K::kDuration,
          "First ejection length; grows with repeat ejections")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(loadbalance.outlier.max_ejection_percent), K::kInteger,
          "Largest share of endpoints ejected at once")
          .range(0, 100),
      Key(SYNOD_FIELD(loadbalance.outlier.panic_threshold_percent), K::kInteger,
          "Below this healthy share, ignore health and use every endpoint")
          .range(0, 100),
      Key(SYNOD_FIELD(loadbalance.retries), K::kInteger,
          "Retries on another endpoint after a failure")
          .range(0, 10),
      Key(SYNOD_FIELD(loadbalance.hedge_percentile), K::kDouble,
          "Send a hedged request after this latency percentile; 0: off")
          .range(0, 100),
      // inference
      Key(SYNOD_FIELD(inference.enabled), K::kBool, "Serve models from inference.model_repository"),
      Key(SYNOD_FIELD(inference.model_repository), K::kString,
          "Model repository directory; empty: no models"),
      Key(SYNOD_FIELD(inference.route), K::kEnum,
          "local: serve on this node; cluster: route to the best node that has the model")
          .one_of({"local", "cluster"}),
      Key(SYNOD_FIELD(inference.threads), K::kInteger,
          "Inference worker threads; 0: hardware concurrency")
          .range(0, 1024),
      Key(SYNOD_FIELD(inference.max_queue), K::kInteger, "Default per-model queue limit")
          .at_least(1),
      Key(SYNOD_FIELD(inference.default_timeout), K::kDuration,
          "Inference request timeout when the request sets none")
          .at_least(Millis(1)),
      // http
      Key(SYNOD_FIELD(http.max_header_bytes), K::kByteSize, "Largest HTTP request header")
          .range(kKiB, kMiB),
      Key(SYNOD_FIELD(http.max_body_bytes), K::kByteSize, "Largest HTTP request body")
          .range(kKiB, 4 * kGiB),
      Key(SYNOD_FIELD(http.idle_timeout), K::kDuration, "Close idle keep-alive connections after")
          .at_least(Millis(1)),
      Key(SYNOD_FIELD(http.max_connections), K::kInteger, "Concurrent HTTP connections")
          .at_least(1),
      // checks
      Key(SYNOD_FIELD(checks.enable_script), K::kBool,
          "Allow script health checks (runs registered commands)"),
      // log
      Key(SYNOD_FIELD(log.level), K::kEnum, "Lowest level written")
          .one_of({"trace", "debug", "info", "warn", "error", "off"}),
      Key(SYNOD_FIELD(log.format), K::kEnum, "text: human lines; json: one JSON object per line")
          .one_of({"text", "json"}),
      Key(SYNOD_FIELD(log.file), K::kString, "Log file; empty: stderr"),
      // debug
      Key(SYNOD_FIELD(debug.fault_injection), K::kBool,
          "Enable the fault-injection HTTP endpoints (tests only)"),
  };
  std::vector<KeyInfo> out;
  out.reserve(keys.size());
  for (Key& key : keys) out.push_back(std::move(key.info));
  return out;
}

#undef SYNOD_FIELD

}  // namespace

const std::vector<KeyInfo>& schema() {
  static const std::vector<KeyInfo> table = build_schema();
  return table;
}

}  // namespace synod::config
