// The `task` plugin: task.spawn, task.defer, task.delay, task.wait and task.cancel with Roblox semantics,
// driven by the guild VM's scheduler.
//
//   task.spawn(f | thread, ...)      resumes at once; returns the thread
//   task.defer(f | thread, ...)      resumes after the current work of the scheduler; returns the thread
//   task.delay(seconds, f | thread, ...)  resumes after `seconds`; returns the thread
//   task.wait([seconds])             yields; returns the seconds that actually passed
//   task.cancel(thread)              the thread will not be resumed; its pending __close handlers run
//
// Threading: the functions run on the VM's thread; the scheduler they talk to belongs to that thread.
#pragma once

#include <lua.hpp>

#include <cstdint>
#include <functional>
#include <memory>

#include <cstdint>
#include <functional>
#include <memory>

#include "common/result.h"
#include "plugins/plugin.h"

namespace tw::plugins {

// What the task functions need from the scheduler of the VM. Implementations must not throw: every call
// is made from inside a lua_CFunction. On refusal they return false and describe why in *error.
struct TaskError {
  const char* message = "refused";
  ErrorKind kind = ErrorKind::kRuntimeError;
};

class TaskScheduler {
 public:
  virtual ~TaskScheduler() = default;
  // The thread `co` (already holding its function and `nargs` arguments, or suspended with `nargs` values to
  // resume it with) is resumed now, nested in the caller L.
  virtual bool spawn(lua_State* L, lua_State* co, int nargs, TaskError* error) noexcept = 0;
  // The thread is resumed with its `nargs` values after `seconds` (0: on the scheduler's next turn).
  virtual bool schedule(lua_State* L, lua_State* co, int nargs, double seconds, TaskError* error) noexcept = 0;
  // The running thread L is about to yield and must be resumed after `seconds` with the elapsed time.
  virtual bool requestWait(lua_State* L, double seconds, TaskError* error) noexcept = 0;
  // Stops the scheduler from resuming `co`. Returns false when `co` is running.
  virtual bool cancel(lua_State* L, lua_State* co) noexcept = 0;

  // Plugin I/O. The running thread L is about to yield until the host completes `*ticket`: the plugin
  // starts its asynchronous work with hostCompletion(*ticket), then returns lua_yieldk(L, 0, ...). If the
  // execution deadline passes first, the thread is killed and the completion is dropped.
  virtual bool requestHostCall(lua_State* L, std::uint64_t* ticket, TaskError* error) noexcept = 0;
  // Gives up a host call requested by L that was not started after all (L does not yield).
  virtual void abandonHostCall(lua_State* L, std::uint64_t ticket) noexcept = 0;
  // The completion for `ticket` (see HostCompletion below). Throws std::bad_alloc only.
  virtual std::function<void(int (*)(lua_State*, void*), std::shared_ptr<void>)> hostCompletion(
      std::uint64_t ticket) = 0;
};

// Pushes the values a host call resumes its thread with; returns how many. Runs under a protected call on
// the VM's main thread. If it raises (e.g. at the memory cap), the thread resumes with three values instead:
// false, nil (no message: nothing may be allocated then), and the ErrorKind as an integer (kMemoryLimit).
using HostCallResults = int (*)(lua_State* L, void* data);

// Delivers a host call's results: call it on the VM's thread, outside Lua, at most once. Safe to call after
// the VM is gone (the results are dropped).
using HostCompletion = std::function<void(HostCallResults results, std::shared_ptr<void> data)>;

// The scheduler of L's VM, or null.
TaskScheduler* taskScheduler(lua_State* L);

// Makes `scheduler` the one the task functions of L's VM use.
void setTaskScheduler(lua_State* L, TaskScheduler* scheduler);

PluginSpec taskPlugin();

}  // namespace tw::plugins
