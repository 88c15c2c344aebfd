#include "limits/memory.h"

#include <lua.hpp>

#include <cstdlib>

#include "limits/stack_arena.h"

namespace tw::limits {

MemoryBudget::MemoryBudget(std::size_t limitBytes, StackArena* arena) : arena_(arena), limit_(limitBytes) {}

void* MemoryBudget::allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept {
  return static_cast<MemoryBudget*>(ud)->reallocate(ptr, osize, nsize);
}

void* MemoryBudget::reallocate(void* ptr, std::size_t osize, std::size_t nsize) noexcept {
  // When ptr is null, osize is a type tag (LUA_TTHREAD...), not a size.
  const std::size_t old = ptr != nullptr ? osize : 0;
  const bool inArena = ptr != nullptr && arena_ != nullptr && arena_->owns(ptr);

  if (nsize == 0) {
    if (ptr != nullptr) {
      if (inArena) {
        arena_->release(ptr, old);
        --liveThreads_;
      } else {
        std::free(ptr);
      }
      used_ -= old;
    }
    return nullptr;
  }

  if (nsize > old) {
    const std::size_t cap = hostMode_ ? limit_ + kHostReserveBytes : limit_;
    if (used_ - old + nsize > cap) {
      limitHit_ = true;
      nextIsStack_ = false;
      return nullptr;
    }
  }

  void* result = nullptr;
  if (inArena) {
    if (!arena_->resize(ptr, old, nsize)) return nullptr;  // past the largest Lua stack: cannot happen
    result = ptr;
  } else if (ptr == nullptr && nextIsStack_ && osize == 0) {
    // lua_newthread allocates the thread object (tag LUA_TTHREAD), then at once its stack (no tag).
    result = arena_->allocate(nsize);
    if (result != nullptr) ++liveThreads_;
    else result = std::malloc(nsize);
  } else {
    result = std::realloc(ptr, nsize);
  }
  nextIsStack_ = stacksInArena_ && ptr == nullptr && osize == LUA_TTHREAD;
  if (result == nullptr) return nullptr;
  used_ = used_ - old + nsize;
  if (used_ > peak_) peak_ = used_;
  return result;
}

}  // namespace tw::limits
