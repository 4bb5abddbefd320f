#include "common/status.h"

namespace synod {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kFailedPrecondition: return "FailedPrecondition";
    case StatusCode::kNotLeader: return "NotLeader";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kTimeout: return "Timeout";
    case StatusCode::kResourceExhausted: return "ResourceExhausted";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIoError: return "IoError";
    case StatusCode::kPermissionDenied: return "PermissionDenied";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kAborted: return "Aborted";
    case StatusCode::kOutOfRange: return "OutOfRange";
    case StatusCode::kUnimplemented: return "Unimplemented";
    case StatusCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string out(status_code_name(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

#define SYNOD_STATUS_FACTORY(fn, code) \
  Status fn(std::string message) { return Status(StatusCode::code, std::move(message)); }
SYNOD_STATUS_FACTORY(invalid_argument, kInvalidArgument)
SYNOD_STATUS_FACTORY(not_found, kNotFound)
SYNOD_STATUS_FACTORY(already_exists, kAlreadyExists)
SYNOD_STATUS_FACTORY(failed_precondition, kFailedPrecondition)
SYNOD_STATUS_FACTORY(unavailable, kUnavailable)
SYNOD_STATUS_FACTORY(timeout_error, kTimeout)
SYNOD_STATUS_FACTORY(resource_exhausted, kResourceExhausted)
SYNOD_STATUS_FACTORY(corruption, kCorruption)
SYNOD_STATUS_FACTORY(io_error, kIoError)
SYNOD_STATUS_FACTORY(internal_error, kInternal)
SYNOD_STATUS_FACTORY(unimplemented, kUnimplemented)
SYNOD_STATUS_FACTORY(cancelled, kCancelled)
SYNOD_STATUS_FACTORY(out_of_range, kOutOfRange)
SYNOD_STATUS_FACTORY(permission_denied, kPermissionDenied)
SYNOD_STATUS_FACTORY(aborted, kAborted)
#undef SYNOD_STATUS_FACTORY

}  // namespace synod
