// Maps the node config's persistence section to the backend factory's
// options (persistence/ must not depend on config/).
#pragma once

#include "config/node_config.h"
#include "persistence/backend.h"

namespace synod::node {

inline persistence::BackendOptions backend_options(const config::NodeConfig& config) {
  persistence::BackendOptions options;
  const auto& p = config.persistence;
  options.backend = p.backend;
  options.node_id = NodeId{config.node.id};
  options.data_dir = config.node.data_dir;
  options.segment_bytes = p.file.segment_bytes;
  options.snapshots_retained = p.snapshots_retained;
  options.sqlite_path = p.sqlite.path;
  options.postgres_url = p.postgres.url;
  options.redis_address = p.redis.address;
  options.redis_db = p.redis.db;
  options.redis_password = p.redis.password;
  options.reconnect_interval =
      p.backend == "redis" ? p.redis.reconnect_interval : p.postgres.reconnect_interval;
  return options;
}

}  // namespace synod::node
