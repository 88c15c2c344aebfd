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
  // Cancels a scheduled thread. Returns false when `co` was not scheduled.
  virtual bool cancel(lua_State* L, lua_State* co) noexcept = 0;
};

// Makes `scheduler` the one the task functions of L's VM use.
void setTaskScheduler(lua_State* L, TaskScheduler* scheduler);

PluginSpec taskPlugin();

}  // namespace tw::plugins
