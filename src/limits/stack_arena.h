// StackArena: fixed-address memory for Lua coroutine stacks.
//
// Debian's Lua 5.4.4 keeps a raw pointer into the Lua stack across a `__concat` metamethod call in
// luaV_concat; when the metamethod grows the stack (realloc moves it), that pointer dangles and the process
// crashes (a three-operand `..` is enough). We remove the cause instead of banning `__concat`: every coroutine
// stack lives in its own slot of a large reserved, lazily committed region, big enough for Lua's maximum
// stack (LUAI_MAXSTACK), so growing or shrinking a stack never moves it.
//
// Slots are carved from 16 GiB chunks of address space mapped with MAP_NORESERVE: only touched pages use
// memory. A released slot that grew past its first page gives its pages back (MADV_DONTNEED).
//
// Threading: thread-safe (one mutex; taken once per coroutine creation and destruction).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace tw::limits {

class StackArena {
 public:
  static constexpr std::size_t kSlotBytes = std::size_t{16} << 20;  // > (LUAI_MAXSTACK + error slack) * 16 B
  static constexpr std::size_t kSlotsPerChunk = 1024;

  // The arena of this process. Like malloc, it is a process-wide resource.
  static StackArena& process();

  StackArena() = default;
  ~StackArena();
  StackArena(const StackArena&) = delete;
  StackArena& operator=(const StackArena&) = delete;

  // A slot holding `bytes`, or nullptr when no address space can be reserved (the caller falls back to
  // malloc and the stack may move).
  void* allocate(std::size_t bytes);
  // Grows or shrinks in place. Returns false when `newBytes` does not fit in a slot.
  bool resize(void* p, std::size_t oldBytes, std::size_t newBytes);
  void release(void* p, std::size_t bytes);
  bool owns(const void* p) const {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    return a >= lo_.load(std::memory_order_relaxed) && a < hi_.load(std::memory_order_relaxed) && ownsSlow(a);
  }

  std::size_t slotsInUse() const;

 private:
  struct Chunk {
    std::uintptr_t base;
  };
  bool ownsSlow(std::uintptr_t a) const;
  bool addChunk();  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::vector<Chunk> chunks_;           // guarded by mu_
  std::vector<std::uint32_t> free_;     // guarded by mu_: global slot numbers, LIFO so hot pages are reused
  std::vector<std::uint32_t> highWater_;  // guarded by mu_: bytes ever touched, per slot
  std::size_t inUse_ = 0;               // guarded by mu_
  bool exhausted_ = false;              // guarded by mu_
  // Bounds of all chunks, for a lock-free fast reject in owns(); written under mu_. Relaxed is enough: a
  // pointer this arena handed out was published to its reader together with (after) the bounds that cover it,
  // and a stale bound only sends a foreign pointer to the locked slow path.
  std::atomic<std::uintptr_t> lo_{~std::uintptr_t{0}};
  std::atomic<std::uintptr_t> hi_{0};
};

}  // namespace tw::limits
