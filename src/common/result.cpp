#include "common/result.h"

namespace tw {

std::string_view kindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kSyntaxError: return "syntax_error";
    case ErrorKind::kRuntimeError: return "runtime_error";
    case ErrorKind::kMemoryLimit: return "memory_limit";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kCapabilityDenied: return "capability_denied";
    case ErrorKind::kLimitExceeded: return "limit_exceeded";
    case ErrorKind::kBadInput: return "bad_input";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kStillRunning: return "still_running";
    case ErrorKind::kUpstream: return "upstream_error";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kInternal: return "internal_error";
  }
  return "internal_error";
}

}  // namespace tw
