// Status and Result<T>: the error style of the whole data path.
//
// A Status is a code plus a human message. It is cheap to copy when OK (no
// allocation). Result<T> holds either a value or a non-OK Status. Both are
// [[nodiscard]]: ignoring an error is a compile error under -Werror.
// Exceptions are used only at start-up and config parsing (DESIGN.md).
#pragma once

#include <cassert>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace synod {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller's input is wrong; retrying will not help
  kNotFound,           // the named thing does not exist
  kAlreadyExists,      // the thing to create exists
  kFailedPrecondition, // the system is not in a state that allows this (e.g. CAS mismatch)
  kNotLeader,          // this node is not the Raft leader; message may name the leader
  kUnavailable,        // try again later (no quorum, backend down, connection lost)
  kTimeout,            // a deadline passed
  kResourceExhausted,  // a queue or limit is full
  kCorruption,         // stored data is damaged: fail-stop territory
  kIoError,            // the OS reported an I/O failure
  kPermissionDenied,   // authentication or policy refused
  kCancelled,          // the operation was abandoned
  kAborted,            // the operation conflicted and was rolled back
  kOutOfRange,         // an index or offset outside the valid range
  kUnimplemented,      // not supported (by this backend / build)
  kInternal,           // a broken invariant
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  [[nodiscard]] bool is_ok() const { return code_ == StatusCode::kOk; }
  [[nodiscard]] StatusCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  // "NotFound: key foo" or "OK".
  [[nodiscard]] std::string to_string() const;

  // Prefix the message with context, keeping the code: "reading seg 3: <msg>".
  [[nodiscard]] Status with_context(std::string_view context) const;

  bool operator==(const Status& other) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.to_string(); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Shorthands: synod::invalid_argument("bad ttl") etc.
Status invalid_argument(std::string message);
Status not_found(std::string message);
Status already_exists(std::string message);
Status failed_precondition(std::string message);
Status unavailable(std::string message);
Status timeout_error(std::string message);
Status resource_exhausted(std::string message);
Status corruption(std::string message);
Status io_error(std::string message);
Status internal_error(std::string message);
Status unimplemented(std::string message);
Status cancelled(std::string message);
Status out_of_range(std::string message);
Status permission_denied(std::string message);
Status aborted(std::string message);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Status status) : storage_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(storage_).is_ok() && "Result built from an OK status");
  }

  [[nodiscard]] bool is_ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return is_ok(); }

  [[nodiscard]] Status status() const { return is_ok() ? Status::ok() : std::get<1>(storage_); }

  T& value() & {
    assert(is_ok());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    assert(is_ok());
    return std::get<0>(storage_);
  }
  T&& value() && {
    assert(is_ok());
    return std::get<0>(std::move(storage_));
  }
  T value_or(T fallback) const { return is_ok() ? std::get<0>(storage_) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace synod

#define SYNOD_CONCAT_INNER(a, b) a##b
#define SYNOD_CONCAT(a, b) SYNOD_CONCAT_INNER(a, b)

// Return the Status from the enclosing function if `expr` is not OK.
#define SYNOD_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::synod::Status synod_status_ = (expr);         \
    if (!synod_status_.is_ok()) return synod_status_; \
  } while (0)

// `SYNOD_ASSIGN_OR_RETURN(auto x, f());` unwraps a Result or returns its Status.
#define SYNOD_ASSIGN_OR_RETURN(lhs, expr) \
  SYNOD_ASSIGN_OR_RETURN_IMPL(SYNOD_CONCAT(synod_result_, __LINE__), lhs, expr)
#define SYNOD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.is_ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
