#include "vm/scheduler.h"

#include <boost/asio/post.hpp>

#include <chrono>
#include <cmath>

#include "common/assert.h"
#include "common/log.h"
#include "limits/interrupt.h"
#include "limits/memory.h"
#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"

namespace tw::vm {

namespace {

using limits::ExecutionWatch;
using limits::monotonicNanos;

std::chrono::steady_clock::time_point toSteady(std::int64_t nanos) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(nanos));
}

bool memoryLimitHit(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<const limits::MemoryBudget*>(ud)->limitHit();
}

// Pushes `message` onto `co` (protected: allocating a string can fail at the memory cap).
void pushMessage(lua_State* L, lua_State* co, const char* message) {
  limits::MemoryBudget::HostScope host(*[L] {
    void* ud = nullptr;
    lua_getallocf(L, &ud);
    return static_cast<limits::MemoryBudget*>(ud);
  }());
  struct Args {
    const char* message;
  } args{message};
  const Status s = sandbox::protectedCall(
      L,
      [](lua_State* S) {
        lua_pushstring(S, static_cast<Args*>(lua_touserdata(S, 1))->message);
        return 1;
      },
      &args, 1);
  if (s.ok() && lua_checkstack(co, 1)) {
    lua_xmove(L, co, 1);
  } else {
    if (s.ok()) lua_pop(L, 1);
    if (lua_checkstack(co, 1)) lua_pushnil(co);
  }
}

}  // namespace

Scheduler::Scheduler(lua_State* L, boost::asio::io_context& io, SchedulerLimits limits)
    : L_(L), io_(io), limits_(limits) {}

Scheduler::~Scheduler() = default;

std::shared_ptr<Run> Scheduler::newRun(std::int64_t timeoutNanos, std::string eventName) {
  auto run = std::make_shared<Run>();
  run->id = nextRunId_++;
  run->timeoutNanos = timeoutNanos;
  run->eventName = std::move(eventName);
  return run;
}

Status Scheduler::start(std::shared_ptr<Run> run, int nargs, Completion onDone) {
  lua_State* co = lua_tothread(L_, -1);
  if (co == nullptr) return makeError(ErrorKind::kInternal, "Scheduler::start: no thread on the stack");
  int ref = LUA_NOREF;
  const Status refStatus = sandbox::protect(L_, [co, &ref](lua_State* S) {
    if (!lua_checkstack(co, 1)) return luaL_error(S, "stack overflow");
    lua_pushthread(co);
    lua_xmove(co, S, 1);
    ref = luaL_ref(S, LUA_REGISTRYINDEX);
    return 0;
  });
  lua_pop(L_, 1);  // the thread: the reference keeps it
  if (!refStatus.ok()) return refStatus;
  Task& task = tasks_[co];
  task.id = nextTaskId_++;
  task.ref = ref;
  task.run = std::move(run);
  task.deadlineNanos = monotonicNanos() + task.run->timeoutNanos;
  task.state = State::kReady;
  task.resumeArgs = nargs;
  task.onDone = std::move(onDone);
  ++task.run->liveTasks;
  resume(co, task.id);
  return {};
}

Scheduler::Task* Scheduler::adopt(lua_State* L, lua_State* co, plugins::TaskError* error) {
  if (running_ == nullptr || currentRun_ == nullptr) {
    error->message = "no task is running";
    return nullptr;
  }
  if (tasks_.count(co) != 0) {
    error->message = "the thread is already scheduled";
    return nullptr;
  }
  if (!lua_checkstack(co, 1) || !lua_checkstack(L, 1)) {
    error->message = "stack overflow";
    return nullptr;
  }
  lua_pushthread(co);
  lua_xmove(co, L, 1);
  const int ref = luaL_ref(L, LUA_REGISTRYINDEX);  // may raise (memory): nothing with a destructor is alive
  try {
    Task& task = tasks_[co];
    task.id = nextTaskId_++;
    task.ref = ref;
    task.run = currentRun_;
    task.deadlineNanos = currentDeadline_;
    ++task.run->liveTasks;
    return &task;
  } catch (...) {
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    error->message = "out of memory";
    return nullptr;
  }
}

void Scheduler::makeReady(lua_State* co, Task& task) {
  task.state = State::kReady;
  ready_.emplace_back(co, task.id);
  postTurn();
}

void Scheduler::postTurn() {
  if (turnPosted_) return;
  std::weak_ptr<int> alive = alive_;
  boost::asio::post(io_, [this, alive] {
    if (alive.expired()) return;
    turnPosted_ = false;
    runTurn();
  });
  turnPosted_ = true;
}

void Scheduler::runTurn() {
  const std::int64_t endNanos = monotonicNanos() + ExecutionWatch::current().tickMicros() * 1000;
  std::size_t n = ready_.size();  // what became ready during this turn waits for the next one
  try {
    while (n-- > 0 && !ready_.empty()) {
      const auto [co, id] = ready_.front();
      ready_.pop_front();
      sliceEnded_ = false;
      // A task cancelled or killed meanwhile is skipped there (id mismatch). After a fault the VM is in
      // doubt and about to be destroyed: run nothing more of it.
      if (!resumeGuarded(co, id)) return;
      if (sliceEnded_ || monotonicNanos() >= endNanos) break;
    }
  } catch (...) {
    if (!ready_.empty()) postTurn();
    throw;
  }
  if (!ready_.empty()) postTurn();
}

void Scheduler::startTimer(lua_State* co, Task& task, double seconds) {
  task.state = State::kWaiting;
  task.waitStartNanos = monotonicNanos();
  if (!task.timer) task.timer = std::make_unique<boost::asio::steady_timer>(io_);
  std::int64_t wakeAt = task.waitStartNanos + static_cast<std::int64_t>(std::min(seconds, 1e9) * 1e9);
  task.killAtTimer = wakeAt >= task.deadlineNanos;
  if (task.killAtTimer) wakeAt = task.deadlineNanos;  // it would wake past its deadline: end it then
  task.timer->expires_at(toSteady(wakeAt));
  ++pendingTimers_;
  std::weak_ptr<int> alive = alive_;
  task.timer->async_wait([this, alive, co, id = task.id](const boost::system::error_code& ec) {
    if (alive.expired()) return;
    --pendingTimers_;
    if (ec) return;
    auto it = tasks_.find(co);
    if (it == tasks_.end() || it->second.id != id || it->second.state != State::kWaiting) return;
    if (it->second.killAtTimer) {
      try {
        kill(co);
      } catch (const std::exception& e) {
        if (!onFault_) throw;
        onFault_(e.what());
      }
      return;
    }
    it->second.state = State::kReady;
    resumeGuarded(co, id);
  });
}

bool Scheduler::resumeGuarded(lua_State* co, std::uint64_t id) {
  if (!onFault_) {
    resume(co, id);
    return true;
  }
  try {
    resume(co, id);
    return true;
  } catch (const std::exception& e) {
    onFault_(e.what());
    return false;
  }
}

void Scheduler::kill(lua_State* co) {
  lua_settop(co, 0);
  pushMessage(L_, co, limits::kKillMessage);
  finish(co, LUA_ERRRUN, 0, ErrorKind::kTimeout);
}

void Scheduler::resume(lua_State* co, std::uint64_t id) {
  auto it = tasks_.find(co);
  if (it == tasks_.end() || it->second.id != id || it->second.state != State::kReady) return;
  Task& task = it->second;
  task.state = State::kRunning;
  task.killAtTimer = false;
  int nargs = task.resumeArgs;
  task.resumeArgs = 0;
  if (task.elapsedResult) {
    task.elapsedResult = false;
    if (lua_checkstack(co, 1)) {
      lua_pushnumber(co, static_cast<double>(monotonicNanos() - task.waitStartNanos) / 1e9);
      nargs = 1;
    }
  }
  running_ = co;
  currentRun_ = task.run;
  currentDeadline_ = task.deadlineNanos;
  ExecutionWatch& watch = ExecutionWatch::current();
  watch.beginRun(co, task.deadlineNanos);
  int nres = 0;
  int status = lua_resume(co, nullptr, nargs, &nres);
  bool killed = watch.endRun() == limits::Interrupt::kKill;
  if (status != LUA_OK && status != LUA_YIELD && !killed) closeFailed(co, currentDeadline_, &status, &killed);
  running_ = nullptr;
  currentRun_.reset();
  if (faultFlag_ != nullptr && *faultFlag_) {
    *faultFlag_ = false;
    throw InvariantError("fault injected by fault.crash()");
  }

  // `task` may be a dangling reference: the map can rehash while the coroutine runs.
  auto found = tasks_.find(co);
  if (found == tasks_.end()) return;
  Task& t = found->second;
  if (status == LUA_YIELD && !killed) {
    lua_pop(co, nres);
    if (watch.takeSliceYield(co)) {
      sliceEnded_ = true;
      makeReady(co, t);
      return;
    }
    if (auto req = waitRequests_.find(co); req != waitRequests_.end()) {
      const WaitRequest request = req->second;
      waitRequests_.erase(req);
      applyWait(co, t, request);
      return;
    }
    makeReady(co, t);  // a bare coroutine.yield() at the top of a task: resume it on the next turn
    return;
  }
  if (status == LUA_YIELD) {  // killed while yielding: the yield is void
    lua_pop(co, nres);
    pushMessage(L_, co, limits::kKillMessage);
  }
  finish(co, status == LUA_YIELD ? LUA_ERRRUN : status, nres, classify(co, status, killed));
}

ErrorKind Scheduler::classify(lua_State* co, int status, bool killed) const {
  if (status == LUA_OK) return ErrorKind::kInternal;
  if (killed) return ErrorKind::kTimeout;
  if (status == LUA_ERRMEM || memoryLimitHit(L_)) return ErrorKind::kMemoryLimit;
  const void* errorObject = lua_topointer(co, -1);
  for (const auto& [object, kind] : hostErrors_) {
    if (object == errorObject && errorObject != nullptr) return kind;
  }
  return ErrorKind::kRuntimeError;
}

void Scheduler::noteHostError(lua_State* L, ErrorKind kind) {
  hostErrors_[nextHostError_++ % hostErrors_.size()] = {lua_topointer(L, -1), kind};
}

void Scheduler::finish(lua_State* co, int status, int nres, ErrorKind kind) {
  auto it = tasks_.find(co);
  if (it == tasks_.end()) return;
  Completion onDone = std::move(it->second.onDone);
  std::shared_ptr<Run> run = it->second.run;
  struct Release {
    Scheduler* self;
    lua_State* co;
    ~Release() { self->release(co); }
  } release{this, co};
  if (onDone) {
    onDone(co, status, nres, kind);
  } else if (status != LUA_OK) {
    reportBackgroundError(co, *run, Error{kind, sandbox::errorMessage(co, -1)});
  }
}

void Scheduler::release(lua_State* co) {
  auto it = tasks_.find(co);
  if (it == tasks_.end()) return;
  if (it->second.timer) it->second.timer->cancel();
  if (it->second.hostTicket != 0) hostCalls_.erase(it->second.hostTicket);
  luaL_unref(L_, LUA_REGISTRYINDEX, it->second.ref);
  std::shared_ptr<Run> run = std::move(it->second.run);
  tasks_.erase(it);
  waitRequests_.erase(co);
  if (run) endTask(*run);
}

void Scheduler::unpin(const std::shared_ptr<Run>& run) {
  std::shared_ptr<Run> keep = run;  // the callback may drop the caller's reference
  endTask(*keep);
}

void Scheduler::endTask(Run& run) {
  if (--run.liveTasks != 0) return;
  if (run.onTasksEnded) {
    auto callback = std::move(run.onTasksEnded);
    callback();
  }
}

void Scheduler::reportBackgroundError(lua_State* co, Run& run, const Error& error) {
  const sandbox::ThreadOwner* owner = sandbox::threadOwner(co);
  const std::string templateName = owner != nullptr ? owner->templateName : std::string("?");
  TW_LOG_WARN("template '{}': error in a background thread ({}): {}", templateName, kindName(error.kind),
              error.message);
  if (run.taskErrors.size() < limits_.maxTaskErrors) run.taskErrors.emplace_back(templateName, error);
}

void Scheduler::closeFailed(lua_State* co, std::int64_t deadlineNanos, int* status, bool* killed) {
  // The error left on top is the original one, or the error of a failing __close handler.
  ExecutionWatch& watch = ExecutionWatch::current();
  watch.beginRun(co, deadlineNanos);
  const int closeStatus = lua_resetthread(co);
  *killed = watch.endRun() == limits::Interrupt::kKill;
  if (closeStatus != LUA_OK) *status = closeStatus;
}

void Scheduler::killAll(const char* reason) {
  std::vector<lua_State*> all;
  all.reserve(tasks_.size());
  for (auto& [co, task] : tasks_) all.push_back(co);
  for (lua_State* co : all) {
    if (tasks_.count(co) == 0) continue;
    lua_settop(co, 0);
    pushMessage(L_, co, reason);
    finish(co, LUA_ERRRUN, 0, ErrorKind::kInternal);
  }
}

bool Scheduler::ownsThread(lua_State* co) const {
  auto it = tasks_.find(co);
  return it != tasks_.end() && it->second.state != State::kRunning;
}

bool Scheduler::adoptYield(lua_State* co) {
  auto req = waitRequests_.find(co);
  if (req == waitRequests_.end() || running_ == nullptr) return false;
  const WaitRequest request = req->second;
  plugins::TaskError error;
  // `co` yielded to a coroutine.resume running on some thread of the current task: adopt it on that thread.
  Task* task = adopt(running_, co, &error);
  if (task == nullptr) return false;
  waitRequests_.erase(co);
  applyWait(co, *task, request);
  return true;
}

void Scheduler::applyWait(lua_State* co, Task& task, const WaitRequest& request) {
  if (request.ticket != 0) {
    task.hostTicket = request.ticket;
    startTimer(co, task, 1e9);  // no wake-up of its own: the deadline timer
    return;
  }
  task.elapsedResult = true;
  if (request.seconds <= 0) {
    task.waitStartNanos = monotonicNanos();
    makeReady(co, task);
  } else {
    startTimer(co, task, request.seconds);
  }
}

bool Scheduler::requestHostCall(lua_State* L, std::uint64_t* ticket, plugins::TaskError* error) noexcept {
  if (running_ == nullptr) {
    error->message = "no task is running";
    return false;
  }
  try {
    const std::uint64_t t = nextTicket_++;
    hostCalls_.emplace(t, L);
    waitRequests_[L] = WaitRequest{0, t};
    *ticket = t;
  } catch (...) {
    error->message = "out of memory";
    return false;
  }
  return true;
}

void Scheduler::abandonHostCall(lua_State* L, std::uint64_t ticket) noexcept {
  hostCalls_.erase(ticket);
  auto req = waitRequests_.find(L);
  if (req != waitRequests_.end() && req->second.ticket == ticket) waitRequests_.erase(req);
}

plugins::HostCompletion Scheduler::hostCompletion(std::uint64_t ticket) {
  std::weak_ptr<int> alive = alive_;
  return [this, alive, ticket](plugins::HostCallResults results, std::shared_ptr<void> data) {
    if (alive.expired()) return;  // the VM is gone
    try {
      completeHostCall(ticket, results, data.get());
    } catch (const std::exception& e) {
      if (!onFault_) throw;
      onFault_(e.what());
    }
  };
}

bool Scheduler::completeHostCall(std::uint64_t ticket, plugins::HostCallResults results, void* data) {
  auto call = hostCalls_.find(ticket);
  if (call == hostCalls_.end()) {
    ++droppedCompletions_;
    return false;
  }
  lua_State* co = call->second;
  auto it = tasks_.find(co);
  if (it == tasks_.end() || it->second.hostTicket != ticket || it->second.state != State::kWaiting) {
    // The thread has not yielded yet (a completion cannot arrive that early from a real executor) or is
    // gone: keep the ticket only in the first case.
    if (it == tasks_.end() || it->second.hostTicket != 0) {
      hostCalls_.erase(call);
      ++droppedCompletions_;
    }
    return false;
  }
  hostCalls_.erase(call);
  Task& task = it->second;
  task.hostTicket = 0;
  if (task.timer) task.timer->cancel();
  limits::MemoryBudget::HostScope host(*[this] {
    void* ud = nullptr;
    lua_getallocf(L_, &ud);
    return static_cast<limits::MemoryBudget*>(ud);
  }());
  struct Args {
    plugins::HostCallResults results;
    void* data;
    int count;
  } args{results, data, 0};
  const int base = lua_gettop(L_);
  const Status s = sandbox::protectedCall(
      L_,
      [](lua_State* S) {
        auto* a = static_cast<Args*>(lua_touserdata(S, 1));
        lua_remove(S, 1);
        a->count = a->results(S, a->data);
        return a->count;
      },
      &args, LUA_MULTRET);
  int n = s.ok() ? lua_gettop(L_) - base : 0;
  if (!s.ok() || !lua_checkstack(co, n + 1)) {
    lua_settop(L_, base);
    n = 0;
    if (lua_checkstack(co, 3)) {  // false, nil, kind: nothing here may allocate
      lua_pushboolean(co, 0);
      lua_pushnil(co);
      lua_pushinteger(co, static_cast<lua_Integer>(ErrorKind::kMemoryLimit));
      n = 3;
    }
  } else {
    lua_xmove(L_, co, n);
  }
  task.resumeArgs = n;
  task.state = State::kReady;
  resume(co, task.id);
  return true;
}

bool Scheduler::spawn(lua_State* L, lua_State* co, int nargs, plugins::TaskError* error) noexcept {
  if (running_ == nullptr) {
    error->message = "no task is running";
    return false;
  }
  ExecutionWatch& watch = ExecutionWatch::current();
  int nres = 0;
  watch.pushNested(co);
  const int status = lua_resume(co, L, nargs, &nres);
  watch.popNested();
  if (status == LUA_YIELD) {
    lua_pop(co, nres);
    if (watch.takeSliceYield(co)) {
      Task* task = adopt(L, co, error);
      if (task == nullptr) return false;
      makeReady(co, *task);
      return true;
    }
    adoptYield(co);  // task.wait inside: the scheduler continues it; a bare yield leaves it suspended
    return true;
  }
  if (status != LUA_OK) {
    watch.pushNested(co);  // its pending __close handlers run as part of the chain
    const int closeStatus = lua_resetthread(co);
    watch.popNested();
    (void)closeStatus;
    try {
      const ErrorKind kind = classify(co, status, watch.killed());
      reportBackgroundError(co, *currentRun_, Error{kind, sandbox::errorMessage(co, -1)});
    } catch (...) {
    }
  }
  return true;
}

bool Scheduler::schedule(lua_State* L, lua_State* co, int nargs, double seconds, plugins::TaskError* error) noexcept {
  if (seconds > 0 && pendingTimers_ >= limits_.maxPendingTimers) {
    error->message = "too many pending timers in this guild";
    error->kind = ErrorKind::kLimitExceeded;
    return false;
  }
  Task* task = adopt(L, co, error);
  if (task == nullptr) return false;
  task->resumeArgs = nargs;
  if (seconds > 0) {
    try {
      startTimer(co, *task, seconds);
    } catch (...) {
      error->message = "cannot start a timer";
      return false;
    }
  } else {
    makeReady(co, *task);
  }
  return true;
}

bool Scheduler::requestWait(lua_State* L, double seconds, plugins::TaskError* error) noexcept {
  if (running_ == nullptr) {
    error->message = "no task is running";
    return false;
  }
  if (seconds > 0 && pendingTimers_ >= limits_.maxPendingTimers) {
    error->message = "too many pending timers in this guild";
    error->kind = ErrorKind::kLimitExceeded;
    return false;
  }
  try {
    waitRequests_[L] = WaitRequest{seconds, 0};
  } catch (...) {
    error->message = "out of memory";
    return false;
  }
  return true;
}

bool Scheduler::cancel(lua_State* /*L*/, lua_State* co) noexcept {
  auto it = tasks_.find(co);
  if (it == tasks_.end()) return true;
  if (it->second.state == State::kRunning) return false;
  it->second.onDone = nullptr;
  release(co);
  return true;
}

}  // namespace tw::vm
