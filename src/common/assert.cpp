#include "common/assert.h"

#include <string>

namespace tw {

void invariantFailed(const char* expr, const char* file, int line, const std::string& detail) {
  std::string msg = std::string("invariant failed: ") + expr + " at " + file + ":" + std::to_string(line);
  if (!detail.empty()) msg += " (" + detail + ")";
  throw InvariantError(msg);
}

}  // namespace tw
