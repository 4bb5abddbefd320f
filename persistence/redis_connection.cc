#include "persistence/redis_connection.h"

#include <sys/time.h>

namespace synod::persistence {
namespace {

constexpr timeval kTimeout{5, 0};

}  // namespace

std::string reply_string(const redisReply* r) {
  if (r == nullptr || r->str == nullptr) return {};
  return std::string(r->str, r->len);
}

RedisConnection::RedisConnection(std::string address, std::uint32_t db, std::string password,
                                 std::chrono::milliseconds reconnect_interval)
    : address_(std::move(address)),
      db_(db),
      password_(std::move(password)),
      reconnect_interval_(reconnect_interval) {
  auto colon = address_.rfind(':');
  host_ = colon == std::string::npos ? address_ : address_.substr(0, colon);
  if (colon != std::string::npos) port_ = std::atoi(address_.c_str() + colon + 1);
  if (host_.empty()) host_ = "127.0.0.1";
}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) redisFree(context_);
}

Status RedisConnection::connect() {
  std::lock_guard lock(mutex_);
  return connect_locked();
}

Status RedisConnection::connect_locked() {
  if (context_ != nullptr) return Status::ok();
  auto now = std::chrono::steady_clock::now();
  if (!last_connect_error_.is_ok() && now - last_failed_connect_ < reconnect_interval_) {
    return last_connect_error_;
  }
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, kTimeout);
  std::string error;
  if (c == nullptr) {
    error = "out of memory";
  } else if (c->err != 0) {
    error = c->errstr;
  } else {
    redisSetTimeout(c, kTimeout);
    std::vector<RedisCommand> setup;
    if (!password_.empty()) setup.push_back({"AUTH", password_});
    if (db_ != 0) setup.push_back({"SELECT", std::to_string(db_)});
    context_ = c;
    c = nullptr;
    auto replies = pipeline_locked(setup);
    if (!replies.is_ok()) error = replies.status().message();
  }
  if (c != nullptr) redisFree(c);
  if (error.empty()) {
    last_connect_error_ = Status::ok();
    return Status::ok();
  }
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
  last_failed_connect_ = now;
  last_connect_error_ =
      unavailable("redis " + address_ + ": cannot connect (" + error + "); will retry");
  return last_connect_error_;
}

Status RedisConnection::lost(const std::string& what) {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
  return unavailable("redis " + address_ + ": connection lost (" + what +
                     "); the write was not confirmed and will be retried after reconnecting");
}

Result<std::vector<RedisReply>> RedisConnection::pipeline_locked(
    const std::vector<RedisCommand>& cmds) {
  for (const RedisCommand& cmd : cmds) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& a : cmd) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      return lost(context_->errstr);
    }
  }
  std::vector<RedisReply> replies;
  Status first_error;
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      return lost(context_->err != 0 ? context_->errstr : "no reply");
    }
    RedisReply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR && first_error.is_ok()) {
      first_error = io_error("redis " + address_ + ": " + cmds[i][0] +
                             " failed: " + reply_string(reply.get()));
    }
    replies.push_back(std::move(reply));
  }
  if (!first_error.is_ok()) return first_error;
  return replies;
}

Result<std::vector<RedisReply>> RedisConnection::pipeline(const std::vector<RedisCommand>& cmds) {
  std::lock_guard lock(mutex_);
  SYNOD_RETURN_IF_ERROR(connect_locked());
  return pipeline_locked(cmds);
}

Result<RedisReply> RedisConnection::command(const RedisCommand& cmd) {
  SYNOD_ASSIGN_OR_RETURN(auto replies, pipeline({cmd}));
  return std::move(replies.front());
}

Status RedisConnection::transaction(const std::vector<RedisCommand>& cmds) {
  std::vector<RedisCommand> all;
  all.reserve(cmds.size() + 2);
  all.push_back({"MULTI"});
  all.insert(all.end(), cmds.begin(), cmds.end());
  all.push_back({"EXEC"});
  SYNOD_ASSIGN_OR_RETURN(auto replies, pipeline(all));
  const redisReply* exec = replies.back().get();
  if (exec->type != REDIS_REPLY_ARRAY) {
    return io_error("redis " + address_ + ": transaction aborted (EXEC returned no results)");
  }
  for (std::size_t i = 0; i < exec->elements; ++i) {
    if (exec->element[i]->type == REDIS_REPLY_ERROR) {
      return io_error("redis " + address_ + ": " + cmds[i][0] +
                      " inside MULTI failed: " + reply_string(exec->element[i]));
    }
  }
  return Status::ok();
}

}  // namespace synod::persistence
