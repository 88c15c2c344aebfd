// Arena: bump allocation for the AST of one chunk. Everything allocated here is trivially destructible and
// dies with the arena, so deep trees never recurse in destructors. Blocks come from (and return to) a small
// per-thread cache, so back-to-back lowerings on a worker reuse memory instead of faulting in fresh pages.
//
// Threading: owned by one thread (one lowering); the block cache is thread-local.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tw::luau {

class Arena {
 public:
  Arena() = default;
  ~Arena() {
    std::vector<Block>& cache = blockCache();
    for (Block& b : blocks_) {
      if (b.size == kBlockSize && cache.size() < kMaxCachedBlocks) cache.push_back(std::move(b));
    }
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(std::size_t size, std::size_t align) {
    auto p = reinterpret_cast<std::uintptr_t>(cur_);
    std::uintptr_t aligned = (p + align - 1) & ~(std::uintptr_t{align} - 1);
    if (cur_ == nullptr || aligned + size > reinterpret_cast<std::uintptr_t>(end_)) return grow(size, align);
    cur_ = reinterpret_cast<char*>(aligned + size);
    return reinterpret_cast<void*>(aligned);
  }

  template <typename T, typename... Args>
  T* make(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>);
    return new (allocate(sizeof(T), alignof(T))) T{std::forward<Args>(args)...};
  }

  template <typename T>
  std::span<T> copy(std::span<const T> items) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (items.empty()) return {};
    T* out = static_cast<T*>(allocate(sizeof(T) * items.size(), alignof(T)));
    std::memcpy(static_cast<void*>(out), items.data(), sizeof(T) * items.size());
    return {out, items.size()};
  }

  std::string_view copyString(std::string_view s) {
    if (s.empty()) return {};
    char* out = static_cast<char*>(allocate(s.size(), 1));
    std::memcpy(out, s.data(), s.size());
    return {out, s.size()};
  }

  std::size_t bytesReserved() const { return reserved_; }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };

  void* grow(std::size_t size, std::size_t align) {
    std::size_t blockSize = std::max<std::size_t>(kBlockSize, size + align);
    std::vector<Block>& cache = blockCache();
    if (blockSize == kBlockSize && !cache.empty()) {
      blocks_.push_back(std::move(cache.back()));
      cache.pop_back();
    } else {
      blocks_.push_back(Block{std::make_unique_for_overwrite<char[]>(blockSize), blockSize});
    }
    reserved_ += blockSize;
    cur_ = blocks_.back().data.get();
    end_ = cur_ + blockSize;
    return allocate(size, align);
  }

  static std::vector<Block>& blockCache() {
    thread_local std::vector<Block> cache;
    return cache;
  }

  static constexpr std::size_t kBlockSize = 64 * 1024;
  static constexpr std::size_t kMaxCachedBlocks = 64;  // 4 MiB per thread at most
  std::vector<Block> blocks_;
  char* cur_ = nullptr;
  char* end_ = nullptr;
  std::size_t reserved_ = 0;
};

}  // namespace tw::luau
