// PostgresConnection: the one libpqxx connection a postgres backend uses,
// re-established by itself after an outage.
//
// run(body) locks the connection, connects first if needed (at most once per
// reconnect_interval after a failure), opens a transaction and calls body.
// libpqxx exceptions never escape: a lost connection or a commit in doubt
// becomes kUnavailable ("postgres 127.0.0.1:5432/synod: connection lost ...;
// will reconnect") and drops the connection so the next call reconnects; any
// other SQL error becomes kIoError quoting the server's message. Every
// statement is prepared once per connection (prepare()).
//
// Threading: thread-safe; calls are serialised by one mutex.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>

#include "common/status.h"

namespace synod::persistence {

class PostgresConnection {
 public:
  PostgresConnection(std::string url, std::chrono::milliseconds reconnect_interval);
  ~PostgresConnection();

  // Registers a prepared statement (prepared on every (re)connect).
  void prepare(const std::string& name, const std::string& sql);

  // Connects now (start-up): the error if the server cannot be reached.
  Status connect();

  // Runs body in a transaction on the live connection. body commits itself
  // (tx.commit()) if it writes. Statuses returned by body pass through.
  Status run(const std::function<Status(pqxx::work&)>& body);

  // "host:port/db" without credentials, for messages.
  [[nodiscard]] const std::string& where() const { return where_; }

 private:
  Status connect_locked();
  Status translate(const std::exception& e, bool connection_lost);

  std::string url_;
  std::string where_;
  std::chrono::milliseconds reconnect_interval_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> connection_;                 // GUARDED_BY(mutex_)
  std::map<std::string, std::string> statements_;                // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point last_failed_connect_{};  // GUARDED_BY(mutex_)
  Status last_connect_error_;                                    // GUARDED_BY(mutex_)
};

// The bytes of a BYTEA field.
std::string bytea(const pqxx::field& field);

}  // namespace synod::persistence
