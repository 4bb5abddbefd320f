// RedisConnection: the one hiredis connection a redis backend uses,
// re-established by itself after an outage.
//
// Every call locks the connection, connects first if needed (at most once per
// reconnect_interval after a failure; AUTH and SELECT are sent on connect),
// and turns failures into Status: a lost connection or timeout becomes
// kUnavailable ("redis 127.0.0.1:6379: connection lost ...; will reconnect")
// and drops the connection so the next call reconnects; an error reply
// becomes kIoError quoting it.
//
// Threading: thread-safe; calls are serialised by one mutex.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace synod::persistence {

using RedisCommand = std::vector<std::string>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisConnection {
 public:
  RedisConnection(std::string address, std::uint32_t db, std::string password,
                  std::chrono::milliseconds reconnect_interval);
  ~RedisConnection();

  Status connect();
  // One command; an error reply is an error Status.
  Result<RedisReply> command(const RedisCommand& cmd);
  // Several commands pipelined in one round trip (no atomicity).
  Result<std::vector<RedisReply>> pipeline(const std::vector<RedisCommand>& cmds);
  // MULTI, the commands, EXEC in one round trip: all or nothing. The replies
  // of the commands inside (EXEC's array).
  Status transaction(const std::vector<RedisCommand>& cmds);

  [[nodiscard]] const std::string& where() const { return address_; }

 private:
  Status connect_locked();
  Status lost(const std::string& what);
  Result<std::vector<RedisReply>> pipeline_locked(const std::vector<RedisCommand>& cmds);

  std::string address_;
  std::string host_;
  int port_ = 6379;
  std::uint32_t db_;
  std::string password_;
  std::chrono::milliseconds reconnect_interval_;
  std::mutex mutex_;
  redisContext* context_ = nullptr;                              // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point last_failed_connect_{};  // GUARDED_BY(mutex_)
  Status last_connect_error_;                                    // GUARDED_BY(mutex_)
};

// The string of a bulk/status reply ("" for nil).
std::string reply_string(const redisReply* r);

}  // namespace synod::persistence
