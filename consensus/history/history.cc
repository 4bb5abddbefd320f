#include "consensus/history/history.h"

#include <utility>

namespace synod::consensus::history {
namespace {

std::string show(const std::optional<std::string>& v) { return v ? *v : std::string("<none>"); }

}  // namespace

std::string Operation::to_string() const {
  std::string out = "c" + std::to_string(client) + " #" + std::to_string(id) + " ";
  switch (kind) {
    case OpKind::kPut:
      out += "put(" + key + ", " + show(value) + ")";
      break;
    case OpKind::kDelete:
      out += "delete(" + key + ")";
      break;
    case OpKind::kGet:
      out += "get(" + key + ")";
      if (status == OpStatus::kOk) out += " = " + show(read);
      break;
    case OpKind::kCas:
      out += "cas(" + key + ", " + show(expected) + " -> " + show(value) + ")";
      if (status == OpStatus::kOk) out += cas_applied ? " = applied" : " = not applied";
      break;
  }
  out += " [" + std::to_string(invoked_at) + ", ";
  out += status == OpStatus::kOk ? std::to_string(completed_at) : std::string("?");
  out += "]";
  return out;
}

std::uint64_t HistoryRecorder::invoke(Operation op) {
  std::lock_guard lock(mutex_);
  op.id = ops_.size() + 1;
  op.invoked_at = ++clock_;
  ops_.push_back(std::move(op));
  failed_.push_back(false);
  return ops_.back().id;
}

namespace {

Operation new_operation(std::uint64_t client, OpKind kind, std::string key) {
  Operation op;
  op.client = client;
  op.kind = kind;
  op.key = std::move(key);
  return op;
}

}  // namespace

std::uint64_t HistoryRecorder::invoke_put(std::uint64_t client, std::string key,
                                          std::string value) {
  Operation op = new_operation(client, OpKind::kPut, std::move(key));
  op.value = std::move(value);
  return invoke(std::move(op));
}

std::uint64_t HistoryRecorder::invoke_get(std::uint64_t client, std::string key) {
  return invoke(new_operation(client, OpKind::kGet, std::move(key)));
}

std::uint64_t HistoryRecorder::invoke_cas(std::uint64_t client, std::string key,
                                          std::optional<std::string> expected, std::string value) {
  Operation op = new_operation(client, OpKind::kCas, std::move(key));
  op.expected = std::move(expected);
  op.value = std::move(value);
  return invoke(std::move(op));
}

std::uint64_t HistoryRecorder::invoke_delete(std::uint64_t client, std::string key) {
  return invoke(new_operation(client, OpKind::kDelete, std::move(key)));
}

// Callers hold mutex_. Unknown ids and double completions are ignored: the
// recorder is a test aid and must not be the thing that crashes.
Operation* HistoryRecorder::find(std::uint64_t id) {
  if (id == 0 || id > ops_.size()) return nullptr;
  Operation& op = ops_[id - 1];
  if (op.status != OpStatus::kPending || failed_[id - 1]) return nullptr;
  return &op;
}

void HistoryRecorder::complete_ok(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (Operation* op = find(id)) {
    op->status = OpStatus::kOk;
    op->completed_at = ++clock_;
  }
}

void HistoryRecorder::complete_get(std::uint64_t id, std::optional<std::string> read) {
  std::lock_guard lock(mutex_);
  if (Operation* op = find(id)) {
    op->status = OpStatus::kOk;
    op->read = std::move(read);
    op->completed_at = ++clock_;
  }
}

void HistoryRecorder::complete_cas(std::uint64_t id, bool applied) {
  std::lock_guard lock(mutex_);
  if (Operation* op = find(id)) {
    op->status = OpStatus::kOk;
    op->cas_applied = applied;
    op->completed_at = ++clock_;
  }
}

void HistoryRecorder::complete_failed(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (find(id) != nullptr) failed_[id - 1] = true;
}

void HistoryRecorder::complete_unknown(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (Operation* op = find(id)) op->status = OpStatus::kUnknown;
}

std::vector<Operation> HistoryRecorder::operations() const {
  std::lock_guard lock(mutex_);
  std::vector<Operation> out;
  out.reserve(ops_.size());
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (!failed_[i]) out.push_back(ops_[i]);
  }
  return out;
}

std::size_t HistoryRecorder::size() const {
  std::lock_guard lock(mutex_);
  return ops_.size();
}

}  // namespace synod::consensus::history
