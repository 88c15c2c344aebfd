// Scheduler: drives the coroutines of one guild VM on its worker's event loop.
//
// Every piece of template code runs as a *task*: a coroutine the scheduler owns while it is running, ready or
// waiting. A task belongs to a *run* (one event, one template load, one exec), which carries the execution
// deadline. The scheduler
//   - resumes tasks on the worker's io_context. Ready tasks wait in the VM's own queue, and the VM holds at
//     most one place in the loop's queue (a *turn*): a turn runs the tasks that were ready when it began,
//     in order, for about one time slice, then queues the next turn behind the work of the other guilds on
//     the worker. A task whose slice ended (the ExecutionWatch hook yielded it) goes to the back of the
//     VM's queue. So a guild with many busy coroutines gets one slice per round, like a guild with one;
//   - implements the task library (spawn, defer, delay, wait, cancel) with Roblox semantics;
//   - kills what is still alive when a run's deadline passes: running code through the watch's hook, waiting
//     tasks through the run's deadline timer;
//   - reports how each task ended to the completion given when it started.
//
// Threading: owned by the worker thread that owns the VM; every method runs on that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <lua.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "plugins/task/task.h"

namespace tw::vm {

// One event, template load or exec: the tasks it started, and their execution limit. Each handler task gets
// its own deadline (its start + the limit), so a template that hogs its worker cannot use up the time of the
// other templates of the same event; threads a task starts inherit its deadline.
// Threading: as Scheduler.
struct Run {
  std::uint64_t id = 0;
  std::int64_t timeoutNanos = 0;
  int liveTasks = 0;
  std::string eventName;
  // Errors of background threads (task.spawn/defer/delay) that no handler result carries: template, error.
  std::vector<std::pair<std::string, Error>> taskErrors;
  std::function<void()> onTasksEnded;  // optional: the last task of the run ended
};

struct SchedulerLimits {
  std::int64_t maxPendingTimers = 1000;  // task.wait/delay timers per VM
  std::size_t maxTaskErrors = 20;        // kept per run
};

class Scheduler final : public plugins::TaskScheduler {
 public:
  // How a task ended. For LUA_OK the results are on top of `co` (nres of them); otherwise the error value is.
  // `kind` is the error kind when status != LUA_OK. The callback must not keep `co`.
  using Completion = std::function<void(lua_State* co, int status, int nres, ErrorKind kind)>;

  Scheduler(lua_State* L, boost::asio::io_context& io, SchedulerLimits limits);
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  std::shared_ptr<Run> newRun(std::int64_t timeoutNanos, std::string eventName);

  // Starts a task: `co` (on top of L's stack, popped) holds a function and `nargs` arguments. It is resumed at
  // once. REQUIRES: the caller is not inside Lua code of this VM.
  Status start(std::shared_ptr<Run> run, int nargs, Completion onDone);

  // Keeps `run` open while its tasks are being started (a run ends when its last task ends).
  void pin(Run& run) { ++run.liveTasks; }
  void unpin(const std::shared_ptr<Run>& run);

  // Kills every task (VM shutdown); their completions see kind kInternal and `reason`.
  void killAll(const char* reason);

  // Called when C++ code run by one of the scheduler's own loop handlers throws (a bug, or an injected
  // fault): the VM must be considered broken. Without a handler the exception propagates.
  void setFaultHandler(std::function<void(const std::string&)> handler) { onFault_ = std::move(handler); }
  // A flag that, when set by code running in a task (fault injection), makes the scheduler throw an
  // InvariantError once the task's resume returns. May be null.
  void setFaultFlag(bool* flag) { faultFlag_ = flag; }

  std::size_t taskCount() const { return tasks_.size(); }
  std::int64_t pendingTimers() const { return pendingTimers_; }
  bool ownsThread(lua_State* co) const;
  // Records a host error raised on L; see SandboxHost::noteHostError.
  void noteHostError(lua_State* L, ErrorKind kind);
  // A nested coroutine yielded for the scheduler (task.wait): take it over. See SandboxHost.
  bool adoptYield(lua_State* co);

  // plugins::TaskScheduler
  bool spawn(lua_State* L, lua_State* co, int nargs, plugins::TaskError* error) noexcept override;
  bool schedule(lua_State* L, lua_State* co, int nargs, double seconds, plugins::TaskError* error) noexcept override;
  bool requestWait(lua_State* L, double seconds, plugins::TaskError* error) noexcept override;
  bool cancel(lua_State* L, lua_State* co) noexcept override;
  bool requestHostCall(lua_State* L, std::uint64_t* ticket, plugins::TaskError* error) noexcept override;
  void abandonHostCall(lua_State* L, std::uint64_t ticket) noexcept override;
  plugins::HostCompletion hostCompletion(std::uint64_t ticket) override;

  // Resumes the thread waiting on `ticket` with the values `results(L, data)` pushes (see HostCallResults).
  // Returns false, doing nothing, when that thread is gone (killed, VM reset): the completion is dropped.
  // Call on the VM's thread, outside Lua.
  bool completeHostCall(std::uint64_t ticket, plugins::HostCallResults results, void* data);
  std::uint64_t droppedCompletions() const { return droppedCompletions_; }

 private:
  enum class State { kReady, kWaiting, kRunning };
  struct WaitRequest {
    double seconds = 0;         // task.wait
    std::uint64_t ticket = 0;   // a host call: resumed by completeHostCall, not by a timer
  };
  struct Task {
    std::uint64_t id = 0;
    int ref = LUA_NOREF;  // registry reference that keeps the thread alive
    std::shared_ptr<Run> run;
    std::int64_t deadlineNanos = 0;
    State state = State::kReady;
    bool killAtTimer = false;    // the timer was cut short by the deadline
    std::uint64_t hostTicket = 0;  // waiting for completeHostCall
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::int64_t waitStartNanos = 0;
    bool elapsedResult = false;  // resume with the seconds waited (task.wait)
    int resumeArgs = 0;          // values already on the thread to resume it with
    Completion onDone;           // empty for background threads
  };

  // Adopts `co` (not on any stack) as a task of the current run. Raises on L (a Lua error) when the registry
  // cannot hold it: call from lua_CFunction context with no live C++ objects.
  Task* adopt(lua_State* L, lua_State* co, plugins::TaskError* error);
  void makeReady(lua_State* co, Task& task);  // queues it for the VM's next turn
  void postTurn();                             // queues the VM's turn on the loop, if not queued yet
  void runTurn();
  void startTimer(lua_State* co, Task& task, double seconds);
  // Applies the request `co` made before yielding (task.wait or a host call).
  void applyWait(lua_State* co, Task& task, const WaitRequest& request);
  void resume(lua_State* co, std::uint64_t id);
  bool resumeGuarded(lua_State* co, std::uint64_t id);  // false: it threw, and the fault handler was told
  void finish(lua_State* co, int status, int nres, ErrorKind kind);
  void release(lua_State* co);
  void endTask(Run& run);
  void reportBackgroundError(lua_State* co, Run& run, const Error& error);
  ErrorKind classify(lua_State* co, int status, bool killed) const;
  void kill(lua_State* co);
  // Runs the pending __close handlers of a task that ended with an error, under its deadline.
  void closeFailed(lua_State* co, std::int64_t deadlineNanos, int* status, bool* killed);

  lua_State* L_;
  boost::asio::io_context& io_;
  SchedulerLimits limits_;
  std::unordered_map<lua_State*, Task> tasks_;
  std::unordered_map<lua_State*, WaitRequest> waitRequests_;  // between the request and the thread's yield
  std::unordered_map<std::uint64_t, lua_State*> hostCalls_;   // ticket -> waiting thread
  std::uint64_t nextTicket_ = 1;
  std::uint64_t droppedCompletions_ = 0;
  // Recent host-raised errors (error object, kind): a task that fails with one of them reports its kind.
  std::array<std::pair<const void*, ErrorKind>, 16> hostErrors_{};
  std::size_t nextHostError_ = 0;
  lua_State* running_ = nullptr;  // the task being resumed
  std::shared_ptr<Run> currentRun_;
  std::int64_t currentDeadline_ = 0;
  std::uint64_t nextTaskId_ = 1;
  std::uint64_t nextRunId_ = 1;
  std::int64_t pendingTimers_ = 0;
  std::deque<std::pair<lua_State*, std::uint64_t>> ready_;  // (thread, task id), in the order they became ready
  bool turnPosted_ = false;
  bool sliceEnded_ = false;  // the last resume ended with a time-slice yield
  std::function<void(const std::string&)> onFault_;
  bool* faultFlag_ = nullptr;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers hold a weak_ptr to it
};

}  // namespace tw::vm
