// AsyncStorage: runs blocking Storage calls on a small fixed pool of its own threads and delivers each
// result by posting a completion handler to an executor the caller names (a worker's event loop), so no
// database call ever runs on a worker's loop.
//
//   async.submit(worker.executor(),
//                [guild](Storage& s) { return s.kvGet(guild, "", "counter"); },
//                [](Result<std::optional<std::string>> r) { /* runs on the worker's loop */ });
//
// Threading: thread-safe. `call` runs on one of AsyncStorage's threads; `handler` runs on the given
// executor, exactly once, never inline inside submit(). The executor's outstanding work is tracked until the
// handler has been posted, so an io_context does not run out of work while a call is in flight. If that
// io_context is stopped first, the handler is destroyed without running.
//
// Lifetime: the execution context of every executor passed to submit() must outlive this object's
// shutdown(). A pool thread can still be inside Asio's post() to it (which signals the context after
// queueing the handler) when the handler already runs; so shut down AsyncStorage first, then the workers'
// io_contexts.
//
// Admission: at most maxPending calls are queued or running; past that, and after shutdown() began, the
// handler gets kUnavailable at once, without calling storage (fail fast: the caller sheds the load).
// shutdown() (and the destructor) stops admission, then waits for every admitted call to finish and have
// its handler posted.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/result.h"
#include "storage/storage.h"

namespace tw::storage {

namespace detail {
template <typename T>
inline constexpr bool kIsResult = false;
template <typename T>
inline constexpr bool kIsResult<Result<T>> = true;
}  // namespace detail

struct AsyncStorageOptions {
  std::size_t threads = 2;        // the pool's threads; SQLite has one writer, so more mostly helps reads
  std::size_t maxPending = 1024;  // admitted calls (queued + running)
};

class AsyncStorage {
 public:
  // REQUIRES: storage outlives this object; options.threads >= 1, options.maxPending >= 1.
  AsyncStorage(Storage& storage, AsyncStorageOptions options);
  ~AsyncStorage();  // shutdown()
  AsyncStorage(const AsyncStorage&) = delete;
  AsyncStorage& operator=(const AsyncStorage&) = delete;

  // call: Result<T>(Storage&), move-constructible. handler: void(Result<T>), move-constructible.
  // An exception thrown by call becomes a kInternal result.
  template <typename Call, typename Handler>
  void submit(const boost::asio::any_io_executor& completion, Call call, Handler handler);

  // Stops admitting calls and waits for the admitted ones. Idempotent. REQUIRES: not called from a pool thread.
  void shutdown();

  // For metrics.
  std::size_t pending() const;
  std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  // Admits one call: false when full or shutting down (and counts the rejection).
  bool admit(Error& whyNot);
  void finished();
  static Error unexpectedFailure(std::exception_ptr failure);

  template <typename R, typename Handler>
  static void deliver(const boost::asio::any_io_executor& tracked, Handler handler, R result) {
    boost::asio::post(tracked, [handler = std::move(handler), result = std::move(result)]() mutable {
      std::move(handler)(std::move(result));
    });
  }

  Storage& storage_;
  const std::size_t maxPending_;
  boost::asio::thread_pool pool_;

  mutable std::mutex mu_;
  std::size_t pending_ = 0;  // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  std::once_flag joined_;

  std::atomic<std::uint64_t> rejected_{0};
};

template <typename Call, typename Handler>
void AsyncStorage::submit(const boost::asio::any_io_executor& completion, Call call, Handler handler) {
  using R = std::invoke_result_t<Call&, Storage&>;
  static_assert(detail::kIsResult<R>, "call must return a tw::Result<T> (or tw::Status)");
  static_assert(std::is_invocable_v<Handler&&, R&&>, "handler must accept the call's Result");

  boost::asio::any_io_executor tracked =
      boost::asio::prefer(completion, boost::asio::execution::outstanding_work.tracked);
  Error whyNot{ErrorKind::kUnavailable, {}};
  if (!admit(whyNot)) {
    deliver<R>(tracked, std::move(handler), R(std::move(whyNot)));
    return;
  }
  try {
    boost::asio::post(pool_, [this, tracked = std::move(tracked), call = std::move(call),
                              handler = std::move(handler)]() mutable {
      struct Finished {
        AsyncStorage* self;
        ~Finished() { self->finished(); }
      } finishedGuard{this};
      R result = [&]() -> R {
        try {
          return call(storage_);
        } catch (...) {
          return unexpectedFailure(std::current_exception());
        }
      }();
      deliver<R>(tracked, std::move(handler), std::move(result));
    });
  } catch (...) {
    finished();  // not admitted after all (out of memory)
    throw;
  }
}

}  // namespace tw::storage
