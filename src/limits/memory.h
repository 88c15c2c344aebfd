// MemoryBudget: the lua_Alloc of one guild VM. Refuses any growth past the VM's cap (never a shrink), and
// places coroutine stacks in the StackArena so they never move (see stack_arena.h).
//
// When the cap refuses an allocation, Lua raises a memory error in the script; limitHit() then stays true
// and the owner marks the VM broken. While the host itself works on the VM (pushing event data, reading
// results, creating the sandbox), a small reserve above the cap is allowed so that host code can finish.
//
// Threading: owned by the thread that owns the VM.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tw::limits {

class StackArena;

class MemoryBudget {
 public:
  static constexpr std::size_t kHostReserveBytes = 256 * 1024;

  // arena may be null: stacks are then ordinary heap blocks.
  MemoryBudget(std::size_t limitBytes, StackArena* arena);
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // The lua_Alloc function; ud is the MemoryBudget.
  static void* allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept;

  // Call right after lua_newstate: from then on, each new coroutine's stack goes to the arena.
  void enableStackArena() { stacksInArena_ = arena_ != nullptr; }

  std::size_t used() const { return used_; }
  std::size_t peak() const { return peak_; }
  std::size_t limit() const { return limit_; }
  bool limitHit() const { return limitHit_; }
  // Number of coroutines alive in this VM (their stacks), the main thread excluded.
  std::int64_t liveThreads() const { return liveThreads_; }

  // RAII: allow the host reserve while host code works on the VM.
  class HostScope {
   public:
    explicit HostScope(MemoryBudget& b) : b_(b), saved_(b.hostMode_) { b_.hostMode_ = true; }
    ~HostScope() { b_.hostMode_ = saved_; }
    HostScope(const HostScope&) = delete;
    HostScope& operator=(const HostScope&) = delete;

   private:
    MemoryBudget& b_;
    bool saved_;
  };

 private:
  void* reallocate(void* ptr, std::size_t osize, std::size_t nsize) noexcept;

  StackArena* arena_;
  std::size_t limit_;
  std::size_t used_ = 0;
  std::size_t peak_ = 0;
  std::int64_t liveThreads_ = 0;
  bool limitHit_ = false;
  bool hostMode_ = false;
  bool stacksInArena_ = false;
  bool nextIsStack_ = false;  // the allocation right after a new thread object is that thread's stack
};

}  // namespace tw::limits
