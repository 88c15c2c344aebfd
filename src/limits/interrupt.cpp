#include "limits/interrupt.h"

#include <lua.hpp>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <mutex>

namespace tw::limits {

namespace detail {
thread_local volatile std::sig_atomic_t t_interrupt = 0;
}  // namespace detail

namespace {

// The watch of this thread, for the signal handler. Written only by this thread.
thread_local ExecutionWatch* volatile t_watch = nullptr;

// Ends the time slice of the running coroutine, or kills it; see the header.
// Arming a hook costs a walk over all of the coroutine's call frames (lua_sethook marks each of them), so the
// hook never re-arms itself: it stays armed to kill, and disarms otherwise; the next tick arms it again.
void countHook(lua_State* L, lua_Debug* /*ar*/) {
  const int what = detail::t_interrupt;
  if (what == static_cast<int>(Interrupt::kKill)) {
    // Stay armed (count 1): the next instruction of any frame that caught the error raises it again.
    lua_pushstring(L, kKillMessage);
    lua_error(L);
  }
  lua_sethook(L, nullptr, 0, 0);
  if (what == static_cast<int>(Interrupt::kSlice) && lua_isyieldable(L)) {
    ExecutionWatch::current().noteSliceYield(L);
    lua_yield(L, 0);
  }
  // Not yieldable here (a metamethod or callback called from C): the slice ends at a later tick.
}

int tickSignal() { return SIGRTMIN + 2; }

void onTickSignal(int /*sig*/, siginfo_t* /*info*/, void* /*uctx*/) {
  const int savedErrno = errno;
  ExecutionWatch* watch = t_watch;
  if (watch != nullptr) watch->onSignal();
  errno = savedErrno;
}

void installHandlerOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = onTickSignal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(tickSignal(), &sa, nullptr);
  });
}

// Stop the timer after this many ticks with nothing running, so idle threads are not woken.
constexpr int kIdleTicksBeforeStop = 64;

}  // namespace

// Owns the thread's watch; its destructor runs at thread exit.
struct WatchHolder {
  ExecutionWatch watch;
  ~WatchHolder() { t_watch = nullptr; }
};

std::int64_t monotonicNanos() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void detail::onPollInterrupt(lua_State* L) {
  lua_pushstring(L, kKillMessage);
  lua_error(L);
}

ExecutionWatch& ExecutionWatch::current() {
  thread_local WatchHolder holder;
  return holder.watch;
}

ExecutionWatch::ExecutionWatch() {
  installHandlerOnce();
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, tickSignal());
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);

  sigevent sev{};
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = tickSignal();
  sev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
  timer_t timer{};
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0) {
    timer_ = timer;
    hasTimer_ = true;
  }
  t_watch = this;
}

ExecutionWatch::~ExecutionWatch() {
  t_watch = nullptr;
  if (hasTimer_) timer_delete(static_cast<timer_t>(timer_));
}

void ExecutionWatch::setTickMicros(std::int64_t micros) {
  tickMicros_ = micros < 100 ? 100 : micros;
  timerArmed_ = false;  // re-armed with the new period by the next run
  if (hasTimer_) {
    itimerspec off{};
    timer_settime(static_cast<timer_t>(timer_), 0, &off, nullptr);
  }
}

void ExecutionWatch::ensureTimer() {
  if (timerArmed_ || !hasTimer_) return;
  itimerspec its{};
  its.it_interval.tv_sec = tickMicros_ / 1'000'000;
  its.it_interval.tv_nsec = (tickMicros_ % 1'000'000) * 1000;
  its.it_value = its.it_interval;
  phaseNanos_ = monotonicNanos();
  timerArmed_ = true;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  timer_settime(static_cast<timer_t>(timer_), 0, &its, nullptr);
}

void ExecutionWatch::tickAtDeadline(std::int64_t now) {
  if (!timerArmed_ || !hasTimer_) return;
  const std::int64_t tick = tickMicros_ * 1000;
  const std::int64_t deadline = deadlineNanos_;
  if (deadline <= now) return;
  const std::int64_t phase = phaseNanos_;
  const std::int64_t nextTick = now >= phase ? phase + ((now - phase) / tick + 1) * tick : phase;
  if (deadline >= nextTick) return;
  const std::int64_t wait = deadline - now;
  itimerspec its{};
  its.it_interval.tv_sec = tick / 1'000'000'000;
  its.it_interval.tv_nsec = tick % 1'000'000'000;
  its.it_value.tv_sec = wait / 1'000'000'000;
  its.it_value.tv_nsec = wait % 1'000'000'000;
  phaseNanos_ = deadline - tick;  // the ticks go on from the deadline
  timer_settime(static_cast<timer_t>(timer_), 0, &its, nullptr);  // async-signal-safe
}

void ExecutionWatch::beginRun(lua_State* co, std::int64_t deadlineNanos) {
  chain_[0] = co;
  deadlineNanos_ = deadlineNanos;
  detail::t_interrupt = static_cast<int>(Interrupt::kNone);
  sliceYieldFrom_ = nullptr;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  depth_ = 1;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  ensureTimer();
  // A run that starts past its deadline is killed at its first instruction.
  const std::int64_t now = monotonicNanos();
  if (now >= deadlineNanos) {
    onSignal();
  } else {
    tickAtDeadline(now);
  }
}

Interrupt ExecutionWatch::endRun() {
  depth_ = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  const auto what = static_cast<Interrupt>(detail::t_interrupt);
  detail::t_interrupt = static_cast<int>(Interrupt::kNone);
  if (what == Interrupt::kKill) ++kills_;
  return what;
}

void ExecutionWatch::pushNested(lua_State* co) {
  const int d = depth_;
  if (d >= kMaxChain) return;  // cannot happen: Lua limits nested resumes to LUAI_MAXCCALLS
  chain_[d] = co;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  depth_ = d + 1;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  // Joining a chain that is being killed: the new coroutine dies too.
  if (detail::t_interrupt == static_cast<int>(Interrupt::kKill) && lua_gethookmask(co) == 0) {
    lua_sethook(co, countHook, LUA_MASKCOUNT, 1);
  }
}

void ExecutionWatch::popNested() {
  const int d = depth_;
  if (d > 1) depth_ = d - 1;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

bool ExecutionWatch::takeSliceYield(lua_State* co) {
  if (sliceYieldFrom_ != co) return false;
  sliceYieldFrom_ = nullptr;
  ++sliceYields_;
  return true;
}

void ExecutionWatch::armChain(Interrupt what) {
  detail::t_interrupt = static_cast<int>(what);
  const int d = depth_;
  for (int i = 0; i < d; ++i) {
    if (lua_gethookmask(chain_[i]) == 0) lua_sethook(chain_[i], countHook, LUA_MASKCOUNT, 1);
  }
}

void ExecutionWatch::onSignal() {
  ticks_ = ticks_ + 1;
  if (depth_ == 0) {
    idleTicks_ = idleTicks_ + 1;
    if (idleTicks_ > kIdleTicksBeforeStop && timerArmed_ && hasTimer_) {
      itimerspec off{};
      timer_settime(static_cast<timer_t>(timer_), 0, &off, nullptr);  // async-signal-safe
      timerArmed_ = false;
    }
    return;
  }
  idleTicks_ = 0;
  const std::int64_t now = monotonicNanos();
  const bool kill = detail::t_interrupt == static_cast<int>(Interrupt::kKill) || now >= deadlineNanos_;
  // Arming walks the call frames of each coroutine in the chain: on absurdly deep stacks that can take longer
  // than a tick. Skip a tick that follows the previous one too closely, so Lua always makes progress.
  if (!kill) tickAtDeadline(now);
  if (!kill && now - lastArmEndNanos_ < tickMicros_ * 500) return;
  armChain(kill ? Interrupt::kKill : Interrupt::kSlice);
  lastArmEndNanos_ = monotonicNanos();
}

}  // namespace tw::limits
