#include "consensus/state/session_table.h"

#include <algorithm>
#include <utility>

#include "consensus/state/catalog_table.h"
#include "consensus/state/registry_codec.h"
#include "consensus/state/registry_resources.h"

namespace synod::consensus::state {
namespace {

// Every check id the session is bound to (Checks, NodeChecks, ServiceChecks),
// sorted and unique.
std::vector<std::string> bound_checks(const proto::Session& session) {
  std::vector<std::string> ids(session.checks().begin(), session.checks().end());
  ids.insert(ids.end(), session.node_checks().begin(), session.node_checks().end());
  for (const auto& ref : session.service_checks()) ids.push_back(ref.id());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::string duration_text(std::uint64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Columns in persistence's sessions schema order (docs/state-machine.md).
StateRecord session_record(const proto::Session& session) {
  StateRecord record;
  record.key = session.id();
  std::string checks;
  for (const auto& id : bound_checks(session)) {
    if (!checks.empty()) checks.push_back(',');
    checks.append(id);
  }
  record.columns = {
      session.name().empty() ? RecordColumn{} : RecordColumn{session.name()},
      session.node(),
      session.ttl_ms() == 0 ? RecordColumn{} : RecordColumn{duration_text(session.ttl_ms())},
      std::string(session_behavior_name(session.behavior())),
      duration_text(session.lock_delay_ms()),
      checks,
      static_cast<std::int64_t>(session.create_index())};
  record.value = encode_deterministic(session);
  return record;
}

void erase_from(std::map<std::string, std::set<std::string, std::less<>>, std::less<>>& index,
                std::string_view key, std::string_view id) {
  auto it = index.find(key);
  if (it == index.end()) return;
  auto member = it->second.find(id);
  if (member != it->second.end()) it->second.erase(member);
  if (it->second.empty()) index.erase(it);
}

}  // namespace

SessionTable::SessionTable() : indexes_("session") {}

const proto::Session* SessionTable::find(std::string_view id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<const proto::Session*> SessionTable::list() const {
  std::vector<const proto::Session*> out;
  out.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) out.push_back(&session);
  return out;
}

std::vector<const proto::Session*> SessionTable::by_node(std::string_view node) const {
  std::vector<const proto::Session*> out;
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return out;
  for (const auto& id : it->second) out.push_back(find(id));
  return out;
}

std::vector<const proto::Session*> SessionTable::with_ttl() const {
  std::vector<const proto::Session*> out;
  out.reserve(with_ttl_.size());
  for (const auto& id : with_ttl_) out.push_back(find(id));
  return out;
}

std::vector<std::string> SessionTable::bound_to(std::string_view node,
                                                std::string_view check_id) const {
  auto it = by_check_.find(catalog_key(node, check_id));
  if (it == by_check_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::uint64_t SessionTable::index(std::string_view resource) const {
  std::uint64_t value = indexes_.get(resource);
  if (value == 0) value = indexes_.get(resources::kSessions);
  return std::max<std::uint64_t>(value, 1);
}

void SessionTable::index_session(const proto::Session& session) {
  by_node_[session.node()].insert(session.id());
  for (const auto& check_id : bound_checks(session)) {
    by_check_[catalog_key(session.node(), check_id)].insert(session.id());
  }
  if (session.ttl_ms() > 0) with_ttl_.insert(session.id());
}

void SessionTable::unindex_session(const proto::Session& session) {
  erase_from(by_node_, session.node(), session.id());
  for (const auto& check_id : bound_checks(session)) {
    erase_from(by_check_, catalog_key(session.node(), check_id), session.id());
  }
  auto ttl = with_ttl_.find(session.id());
  if (ttl != with_ttl_.end()) with_ttl_.erase(ttl);
}

void SessionTable::insert(proto::Session session, std::uint64_t index, ChangeSet& changes) {
  session.set_create_index(index);
  session.set_modify_index(index);
  index_session(session);
  const std::string id = session.id();
  const std::string node = session.node();
  sessions_.insert_or_assign(id, std::move(session));
  changes.mark(RecordTable::kSessions, id);
  indexes_.bump(resources::kSessions, index, changes);
  indexes_.bump(resources::session(id), index, changes);
  indexes_.bump(resources::node_sessions(node), index, changes);
}

std::optional<proto::Session> SessionTable::erase(std::string_view id, std::uint64_t index,
                                                  ChangeSet& changes) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  proto::Session session = std::move(it->second);
  sessions_.erase(it);
  unindex_session(session);
  changes.mark(RecordTable::kSessions, session.id());
  indexes_.bump(resources::kSessions, index, changes);
  indexes_.bump(resources::node_sessions(session.node()), index, changes);
  // Ids are never reused: forget the per-session index (index() falls back
  // to "sessions", which moved just now).
  indexes_.forget(resources::session(session.id()), changes);
  return session;
}

void SessionTable::emit_records(const RecordSink& sink) const {
  for (const auto& [id, session] : sessions_) sink(RecordTable::kSessions, session_record(session));
  indexes_.emit_records(sink);
}

void SessionTable::emit_keys(const KeySink& sink) const {
  for (const auto& [id, session] : sessions_) sink(RecordTable::kSessions, id);
  indexes_.emit_keys(sink);
}

void SessionTable::records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const {
  for (const auto& key : changes.keys(RecordTable::kSessions)) {
    RecordChange change{RecordTable::kSessions, key, std::nullopt};
    if (const proto::Session* session = find(key)) change.record = session_record(*session);
    out.push_back(std::move(change));
  }
  indexes_.records_for(changes, out);
}

Status SessionTable::load_record(RecordTable table, std::string_view key, ByteView value) {
  const std::string quoted_key = "\"" + std::string(key) + "\"";
  if (table == RecordTable::kMeta) {
    if (indexes_.owns_meta_key(key)) return indexes_.load_record(key, value);
    return corruption("unknown session meta record " + quoted_key);
  }
  if (table != RecordTable::kSessions) {
    return corruption("the session table does not store " + std::string(record_table_name(table)) +
                      " record " + quoted_key);
  }
  proto::Session session;
  if (!session.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return corruption("session record " + quoted_key + " does not decode");
  }
  if (session.id() != key || session.node().empty()) {
    return corruption("session record " + quoted_key + ": ID or node mismatch");
  }
  if (sessions_.contains(key)) return corruption("session record " + quoted_key + ": duplicate");
  index_session(session);
  sessions_.emplace(std::string(key), std::move(session));
  return Status::ok();
}

void SessionTable::clear() {
  sessions_.clear();
  by_node_.clear();
  by_check_.clear();
  with_ttl_.clear();
  indexes_.clear();
}

}  // namespace synod::consensus::state
