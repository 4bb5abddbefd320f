#include "persistence/postgres_connection.h"

namespace synod::persistence {
namespace {

// postgresql://user:secret@host:port/db?x -> host:port/db (never log a password).
std::string describe(const std::string& url) {
  std::string rest = url;
  auto scheme = rest.find("://");
  if (scheme != std::string::npos) rest = rest.substr(scheme + 3);
  auto at = rest.rfind('@', rest.find('/'));
  if (at != std::string::npos) rest = rest.substr(at + 1);
  auto query = rest.find('?');
  if (query != std::string::npos) rest = rest.substr(0, query);
  return rest.empty() ? "(default server)" : rest;
}

// Adds connect_timeout so an unreachable server fails in seconds, not minutes.
std::string with_timeout(const std::string& url) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  if (url.find("://") == std::string::npos) return url + " connect_timeout=5";
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=5";
}

}  // namespace

PostgresConnection::PostgresConnection(std::string url,
                                       std::chrono::milliseconds reconnect_interval)
    : url_(with_timeout(url)), where_(describe(url)), reconnect_interval_(reconnect_interval) {}

PostgresConnection::~PostgresConnection() = default;

void PostgresConnection::prepare(const std::string& name, const std::string& sql) {
  std::lock_guard lock(mutex_);
  statements_[name] = sql;
  if (connection_) connection_->prepare(name, sql);
}

Status PostgresConnection::connect() {
  std::lock_guard lock(mutex_);
  return connect_locked();
}

Status PostgresConnection::connect_locked() {
  if (connection_ && connection_->is_open()) return Status::ok();
  connection_.reset();
  auto now = std::chrono::steady_clock::now();
  if (!last_connect_error_.is_ok() && now - last_failed_connect_ < reconnect_interval_) {
    return last_connect_error_;
  }
  try {
    auto c = std::make_unique<pqxx::connection>(url_);
    pqxx::nontransaction setup(*c);
    setup.exec0("SET synchronous_commit = on");
    setup.commit();
    for (const auto& [name, sql] : statements_) c->prepare(name, sql);
    connection_ = std::move(c);
    last_connect_error_ = Status::ok();
    return Status::ok();
  } catch (const std::exception& e) {
    last_failed_connect_ = now;
    std::string what = e.what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    last_connect_error_ =
        unavailable("postgres " + where_ + ": cannot connect (" + what + "); will retry");
    return last_connect_error_;
  }
}

Status PostgresConnection::translate(const std::exception& e, bool connection_lost) {
  std::string what = e.what();
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  if (connection_lost || !connection_ || !connection_->is_open()) {
    connection_.reset();
    return unavailable("postgres " + where_ + ": connection lost (" + what +
                       "); the write was not confirmed and will be retried after reconnecting");
  }
  return io_error("postgres " + where_ + ": " + what);
}

Status PostgresConnection::run(const std::function<Status(pqxx::work&)>& body) {
  std::lock_guard lock(mutex_);
  SYNOD_RETURN_IF_ERROR(connect_locked());
  try {
    pqxx::work tx(*connection_);
    return body(tx);
  } catch (const pqxx::broken_connection& e) {
    return translate(e, true);
  } catch (const pqxx::in_doubt_error& e) {
    return translate(e, true);
  } catch (const pqxx::sql_error& e) {
    // Class 08 (connection exception) and 57P (operator intervention, e.g.
    // the server shutting down) mean the server went away.
    const std::string& state = e.sqlstate();
    return translate(e, state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0);
  } catch (const std::exception& e) {
    return translate(e, false);
  }
}

std::string bytea(const pqxx::field& field) {
  if (field.is_null()) return {};
  pqxx::binarystring bin(field);
  return bin.str();
}

}  // namespace synod::persistence
