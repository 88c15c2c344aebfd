// TW_CHECK: invariants that hold unless there is a bug. A failed check throws InvariantError, which the
// worker's action boundary turns into a fault (the affected guild VM is destroyed, the worker keeps serving).
// Never use it for tenant input: that is a Result.
//
// Threading: stateless.
#pragma once

#include <stdexcept>
#include <string>

namespace tw {

class InvariantError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void invariantFailed(const char* expr, const char* file, int line, const std::string& detail);

}  // namespace tw

#define TW_CHECK(cond, ...)                                                                   \
  do {                                                                                        \
    if (!(cond)) [[unlikely]] ::tw::invariantFailed(#cond, __FILE__, __LINE__, std::string{__VA_ARGS__}); \
  } while (0)

#ifdef NDEBUG
#define TW_DCHECK(cond, ...) \
  do {                       \
  } while (0)
#else
#define TW_DCHECK(cond, ...) TW_CHECK(cond, __VA_ARGS__)
#endif
