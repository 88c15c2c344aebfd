// Time limits and fairness for Lua code running on one thread.
//
// No hook is set while Lua runs normally (a permanent count hook makes Lua 5.4 trace every instruction,
// ~2x slower). Instead, every thread that runs Lua owns a periodic POSIX timer that signals the thread
// itself (SIGEV_THREAD_ID); when a run's deadline comes before the next tick, that tick is brought forward to
// the deadline. The signal handler looks at what this thread is running:
//   - past the run's deadline  -> Interrupt::kKill: count hooks are armed on every coroutine of the running
//     chain; the hook raises the kill error and stays armed, so pcall/xpcall/__close cannot swallow it;
//   - otherwise                 -> Interrupt::kSlice: the hook yields the running coroutine (time slice over)
//     where a yield is allowed, so other guilds' coroutines on the same thread get their turn.
// Long-running C library code (pattern matching, sort, concat, rep) calls pollInterrupt() every few thousand
// steps, so it is bounded by the same deadline.
//
// Threading: ExecutionWatch is owned by one thread (thread_local); the only other writer is that thread's own
// signal handler. pollInterrupt() may be called from any thread that runs Lua.
#pragma once

#include <csignal>
#include <cstdint>

struct lua_State;

namespace tw::limits {

enum class Interrupt : int { kNone = 0, kSlice = 1, kKill = 2 };

// The chain of coroutines running on this thread: the one the scheduler resumed, then every coroutine it
// resumed in turn (coroutine.resume/wrap, task.spawn). The signal handler arms all of them.
inline constexpr int kMaxChain = 256;  // > LUAI_MAXCCALLS (200), which bounds nested lua_resume

namespace detail {
// Set by the signal handler; read by pollInterrupt() and by the hook.
extern thread_local volatile std::sig_atomic_t t_interrupt;
void onPollInterrupt(lua_State* L);
}  // namespace detail

// Cheap check for C code that can run long. When the running code is past its deadline, raises the kill
// error (lua_error, a longjmp): call it only from frames without live C++ objects that have destructors.
// A pending time slice cannot be honoured inside a C function; it is left for the Lua hook.
inline void pollInterrupt(lua_State* L) {
  if (detail::t_interrupt == static_cast<int>(Interrupt::kKill)) [[unlikely]] detail::onPollInterrupt(L);
}

// Monotonic clock in nanoseconds (CLOCK_MONOTONIC), async-signal-safe.
std::int64_t monotonicNanos();

class ExecutionWatch {
 public:
  // The watch of the calling thread; creates its timer on first use.
  static ExecutionWatch& current();

  ExecutionWatch(const ExecutionWatch&) = delete;
  ExecutionWatch& operator=(const ExecutionWatch&) = delete;

  // Period of the tick that ends time slices and checks deadlines. Default: 2 ms.
  void setTickMicros(std::int64_t micros);
  std::int64_t tickMicros() const { return tickMicros_; }

  // Brackets one top-level resume by the scheduler. REQUIRES: no run is active.
  void beginRun(lua_State* co, std::int64_t deadlineNanos);
  // Ends the run; returns the interrupt that was pending (kKill means the run was killed).
  Interrupt endRun();

  // Nested resumes (coroutine.resume/wrap, task.spawn) join the chain for their duration.
  void pushNested(lua_State* co);
  void popNested();

  bool running() const { return depth_ > 0; }
  bool killed() const { return detail::t_interrupt == static_cast<int>(Interrupt::kKill); }
  std::int64_t deadlineNanos() const { return deadlineNanos_; }

  // Called by the count hook when a slice yield has been performed for `co` (see sliceYieldPending).
  void noteSliceYield(lua_State* co) { sliceYieldFrom_ = co; }
  // True (once) when the last yield of `co` was a time-slice yield made by the hook, not by the script.
  bool takeSliceYield(lua_State* co);

  // Statistics for benchmarks and metrics.
  std::uint64_t ticks() const { return ticks_; }
  std::uint64_t sliceYields() const { return sliceYields_; }
  std::uint64_t kills() const { return kills_; }

  // Called from the signal handler only.
  void onSignal();

 private:
  ExecutionWatch();
  ~ExecutionWatch();
  void ensureTimer();
  // Brings the next tick forward to the run's deadline when the deadline comes first, so that a kill is not
  // late by up to a whole tick. Async-signal-safe (the signal handler calls it too).
  void tickAtDeadline(std::int64_t now);
  void armChain(Interrupt what);

  lua_State* volatile chain_[kMaxChain] = {};
  volatile int depth_ = 0;
  volatile std::int64_t deadlineNanos_ = 0;
  volatile int idleTicks_ = 0;
  volatile std::int64_t lastArmEndNanos_ = 0;
  volatile std::int64_t phaseNanos_ = 0;  // the timer ticks at phaseNanos_ + k * tick
  lua_State* sliceYieldFrom_ = nullptr;
  std::int64_t tickMicros_ = 2000;
  void* timer_ = nullptr;  // timer_t; the kernel's first timer id is 0, so use hasTimer_
  bool hasTimer_ = false;
  volatile bool timerArmed_ = false;
  volatile std::uint64_t ticks_ = 0;
  std::uint64_t sliceYields_ = 0;
  std::uint64_t kills_ = 0;

  friend struct WatchHolder;
};

// The error message of a killed coroutine.
inline constexpr const char* kKillMessage = "execution time limit exceeded";

}  // namespace tw::limits
