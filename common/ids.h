// Strong identifier types. A NodeId cannot be passed where a Term is wanted,
// and no arithmetic happens on an id unless the type allows it.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace synod {

// A value of type Rep tagged with Tag. Comparison, hashing and printing come
// for free; arithmetic is opt-in through Counter below.
template <typename Tag, typename Rep = std::uint64_t>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  [[nodiscard]] constexpr Rep value() const { return value_; }
  constexpr auto operator<=>(const StrongId&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const StrongId& id) { return os << id.value_; }
  [[nodiscard]] std::string to_string() const { return std::to_string(value_); }

 protected:
  Rep value_{};
};

// A StrongId that is also a monotonically advancing counter (terms, indexes).
template <typename Tag>
class Counter : public StrongId<Tag, std::uint64_t> {
 public:
  using StrongId<Tag, std::uint64_t>::StrongId;
  constexpr Counter next() const { return Counter(this->value_ + 1); }
  constexpr Counter prev() const { return Counter(this->value_ == 0 ? 0 : this->value_ - 1); }
  constexpr Counter operator+(std::uint64_t n) const { return Counter(this->value_ + n); }
  constexpr Counter operator-(std::uint64_t n) const { return Counter(this->value_ - n); }
  constexpr std::uint64_t operator-(Counter other) const { return this->value_ - other.value_; }
  constexpr Counter& operator++() {
    ++this->value_;
    return *this;
  }
  constexpr Counter& operator+=(std::uint64_t n) {
    this->value_ += n;
    return *this;
  }
  constexpr auto operator<=>(const Counter&) const = default;
};

struct NodeIdTag {};
struct TermTag {};
struct LogIndexTag {};

// A node's identity inside a cluster. 0 means "none" (no vote, no leader).
using NodeId = StrongId<NodeIdTag>;
// A Raft term (Raft paper §5.1). Starts at 0 and only grows.
using Term = Counter<TermTag>;
// A position in the replicated log; the first real entry has index 1.
using LogIndex = Counter<LogIndexTag>;

inline constexpr NodeId kNoNode{0};

}  // namespace synod

template <typename Tag, typename Rep>
struct std::hash<synod::StrongId<Tag, Rep>> {
  std::size_t operator()(const synod::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
template <typename Tag>
struct std::hash<synod::Counter<Tag>> {
  std::size_t operator()(const synod::Counter<Tag>& id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value());
  }
};
