// SessionTable: the replicated sessions (Consul's /v1/session model), and
// the SessionChecker the KV table asks before a lock acquire.
//
// Records: kSessions key "<id>", value proto::Session; indexes as kMeta
// "session/index/<resource>" (registry_resources.h).
//
// TTLs: the table stores ttl_ms but never expires anything (it sees no
// clock). The leader runs one timer per session with a TTL (with_ttl()
// lists them, e.g. to restart every timer at full length after a leader
// change); a SessionRenew command (from any node) changes nothing but marks
// the session's kSessions key, so every changed kSessions key in a batch
// means "(re)start this session's timer, or cancel it if the session is
// gone"; an expired timer proposes SessionInvalidate (registry_codec.h).
//
// Reads return pointers valid until the next write. Threading: as StateStore.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "consensus/state/change_set.h"
#include "consensus/state/commands_pb.h"
#include "consensus/state/resource_indexes.h"
#include "consensus/state/session_checker.h"
#include "consensus/state/state_table.h"

namespace synod::consensus::state {

class SessionTable final : public StateTable, public SessionChecker {
 public:
  SessionTable();

  // ---- Reads ----
  [[nodiscard]] const proto::Session* find(std::string_view id) const;
  // /v1/session/list, ascending by id.
  [[nodiscard]] std::vector<const proto::Session*> list() const;
  // /v1/session/node/:node, ascending by id.
  [[nodiscard]] std::vector<const proto::Session*> by_node(std::string_view node) const;
  // Every session with a TTL, ascending by id (the leader's timers).
  [[nodiscard]] std::vector<const proto::Session*> with_ttl() const;
  // The sessions bound to check `check_id` of `node` (Checks, NodeChecks,
  // ServiceChecks), ascending.
  [[nodiscard]] std::vector<std::string> bound_to(std::string_view node,
                                                  std::string_view check_id) const;
  [[nodiscard]] std::size_t size() const { return sessions_.size(); }
  [[nodiscard]] bool is_valid(std::string_view session) const override {
    return find(session) != nullptr;
  }

  // X-Consul-Index for a resource: its index, else the "sessions" index;
  // never 0.
  [[nodiscard]] std::uint64_t index(std::string_view resource) const;
  [[nodiscard]] std::uint64_t raw_index(std::string_view resource) const {
    return indexes_.get(resource);
  }

  // ---- Writes (registry apply path only) ----
  // Adds a new session (id unused; create/modify index set to `index`).
  void insert(proto::Session session, std::uint64_t index, ChangeSet& changes);
  // Removes the session; the removed record, or nullopt if there was none.
  std::optional<proto::Session> erase(std::string_view id, std::uint64_t index, ChangeSet& changes);

  // ---- StateTable ----
  [[nodiscard]] std::string_view owner() const override { return "session"; }
  [[nodiscard]] bool owns(RecordTable table) const override {
    return table == RecordTable::kSessions;
  }
  void emit_records(const RecordSink& sink) const override;
  void emit_keys(const KeySink& sink) const override;
  void records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const override;
  Status load_record(RecordTable table, std::string_view key, ByteView value) override;
  void clear() override;

 private:
  void index_session(const proto::Session& session);
  void unindex_session(const proto::Session& session);

  std::map<std::string, proto::Session, std::less<>> sessions_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> by_node_;
  // "<node>/<check id>" -> sessions bound to it.
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> by_check_;
  std::set<std::string, std::less<>> with_ttl_;
  ResourceIndexes indexes_;
};

}  // namespace synod::consensus::state
