#include "storage/async_storage.h"

#include <fmt/format.h>

#include "common/assert.h"
#include "common/log.h"

namespace tw::storage {

AsyncStorage::AsyncStorage(Storage& storage, AsyncStorageOptions options)
    : storage_(storage), maxPending_(options.maxPending), pool_(options.threads) {
  TW_CHECK(options.threads >= 1 && options.maxPending >= 1, "AsyncStorage needs a thread and a queue");
}

AsyncStorage::~AsyncStorage() { shutdown(); }

bool AsyncStorage::admit(Error& whyNot) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && pending_ < maxPending_) {
      ++pending_;
      return true;
    }
    whyNot.message = stopping_ ? "storage: shutting down; the call was not run"
                               : fmt::format("storage: {} calls are already pending; the call was not run",
                                             maxPending_);
  }
  rejected_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void AsyncStorage::finished() {
  std::lock_guard lock(mu_);
  --pending_;
}

std::size_t AsyncStorage::pending() const {
  std::lock_guard lock(mu_);
  return pending_;
}

Error AsyncStorage::unexpectedFailure(std::exception_ptr failure) {
  try {
    std::rethrow_exception(std::move(failure));
  } catch (const std::exception& e) {
    TW_LOG_ERROR("storage: an async storage call threw: {}", e.what());
    return makeError(ErrorKind::kInternal, fmt::format("storage: unexpected failure: {}", e.what()));
  } catch (...) {
    TW_LOG_ERROR("storage: an async storage call threw a non-exception");
    return makeError(ErrorKind::kInternal, "storage: unexpected failure");
  }
}

void AsyncStorage::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  // Without stop(), join() lets the pool finish every call already posted to it. A second caller waits for
  // the first one's join.
  std::call_once(joined_, [this] { pool_.join(); });
}

}  // namespace tw::storage
