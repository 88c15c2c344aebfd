#include "limits/stack_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace tw::limits {

namespace {
constexpr std::size_t kChunkBytes = StackArena::kSlotBytes * StackArena::kSlotsPerChunk;
constexpr std::size_t kMaxChunks = 4096;  // 64 TiB of address space at most
std::size_t pageSize() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}
}  // namespace

StackArena& StackArena::process() {
  static auto* arena = new StackArena();  // never destroyed: stacks may be freed during static destruction
  return *arena;
}

StackArena::~StackArena() {
  for (const Chunk& c : chunks_) munmap(reinterpret_cast<void*>(c.base), kChunkBytes);
}

bool StackArena::addChunk() {
  if (exhausted_ || chunks_.size() >= kMaxChunks) return false;
  void* p = mmap(nullptr, kChunkBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    exhausted_ = true;
    return false;
  }
  const auto base = reinterpret_cast<std::uintptr_t>(p);
  const auto first = static_cast<std::uint32_t>(chunks_.size() * kSlotsPerChunk);
  chunks_.push_back(Chunk{base});
  highWater_.resize(chunks_.size() * kSlotsPerChunk, 0);
  for (std::size_t i = kSlotsPerChunk; i-- > 0;) free_.push_back(first + static_cast<std::uint32_t>(i));
  if (base < lo_.load(std::memory_order_relaxed)) lo_.store(base, std::memory_order_relaxed);
  if (base + kChunkBytes > hi_.load(std::memory_order_relaxed)) hi_.store(base + kChunkBytes, std::memory_order_relaxed);
  return true;
}

void* StackArena::allocate(std::size_t bytes) {
  if (bytes > kSlotBytes) return nullptr;
  std::lock_guard lock(mu_);
  if (free_.empty() && !addChunk()) return nullptr;
  const std::uint32_t slot = free_.back();
  free_.pop_back();
  ++inUse_;
  highWater_[slot] = std::max<std::uint32_t>(highWater_[slot], static_cast<std::uint32_t>(bytes));
  const Chunk& c = chunks_[slot / kSlotsPerChunk];
  return reinterpret_cast<void*>(c.base + (slot % kSlotsPerChunk) * kSlotBytes);
}

bool StackArena::ownsSlow(std::uintptr_t a) const {
  std::lock_guard lock(mu_);
  return std::any_of(chunks_.begin(), chunks_.end(),
                     [a](const Chunk& c) { return a >= c.base && a < c.base + kChunkBytes; });
}

bool StackArena::resize(void* p, std::size_t /*oldBytes*/, std::size_t newBytes) {
  if (newBytes > kSlotBytes) return false;
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < chunks_.size(); ++i) {
    const Chunk& c = chunks_[i];
    if (a >= c.base && a < c.base + kChunkBytes) {
      const std::size_t slot = i * kSlotsPerChunk + (a - c.base) / kSlotBytes;
      highWater_[slot] = std::max<std::uint32_t>(highWater_[slot], static_cast<std::uint32_t>(newBytes));
      return true;
    }
  }
  return false;
}

void StackArena::release(void* p, std::size_t /*bytes*/) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < chunks_.size(); ++i) {
    const Chunk& c = chunks_[i];
    if (a < c.base || a >= c.base + kChunkBytes) continue;
    const auto slot = static_cast<std::uint32_t>(i * kSlotsPerChunk + (a - c.base) / kSlotBytes);
    // Keep the first page resident (the next coroutine will use it); give back what a deep stack touched.
    const std::size_t page = pageSize();
    if (highWater_[slot] > page) {
      madvise(reinterpret_cast<void*>(a + page), highWater_[slot] - page, MADV_DONTNEED);
      highWater_[slot] = static_cast<std::uint32_t>(page);
    }
    free_.push_back(slot);
    --inUse_;
    return;
  }
}

std::size_t StackArena::slotsInUse() const {
  std::lock_guard lock(mu_);
  return inUse_;
}

}  // namespace tw::limits
