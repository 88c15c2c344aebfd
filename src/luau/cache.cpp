#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <random>
#include <unordered_map>

#include "luau/luau.h"

namespace tw::luau {
namespace {

// Seeded per process so tenants cannot aim colliding sources at one bucket. Keys are compared in full,
// so a collision costs time, never a wrong result.
class SeededHash {
 public:
  explicit SeededHash(std::uint64_t seed) : seed_(seed) {}

  std::size_t operator()(std::string_view s) const {
    std::uint64_t h = seed_ ^ (s.size() * kMul);
    const char* p = s.data();
    std::size_t n = s.size();
    while (n >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      h = mix(h ^ w);
      p += 8;
      n -= 8;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    h = mix(h ^ tail ^ (static_cast<std::uint64_t>(n) << 56));
    return static_cast<std::size_t>(mix(h));
  }

 private:
  static constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  static std::uint64_t mix(std::uint64_t x) {
    x *= kMul;
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 29;
    return x;
  }
  std::uint64_t seed_;
};

std::uint64_t randomSeed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

class LoweringCache::Impl {
 public:
  explicit Impl(CacheOptions options) : options_(options), map_(16, SeededHash(randomSeed())) {}

  Result<std::shared_ptr<const std::string>> lower(std::string_view source, std::string_view chunkName, SyntaxError* where) {
    std::shared_ptr<Entry> entry;
    {
      std::unique_lock lock(mu_);
      auto it = map_.find(source);
      if (it != map_.end()) {
        entry = it->second;
        ++stats_.hits;
        // Another thread may still be lowering this source: wait for it rather than lowering twice.
        readyCv_.wait(lock, [&] { return entry->state != State::kPending; });
        if (entry->state == State::kReady) {
          if (entry->cached) lru_.splice(lru_.begin(), lru_, entry->lruPosition);
          return finish(*entry, chunkName, where);
        }
        // The first attempt failed without a result (out of memory): lower it here.
        entry.reset();
      }
      if (!entry) {
        ++stats_.misses;
        entry = std::make_shared<Entry>();
        entry->source.assign(source);
        map_[entry->source] = entry;
      }
    }
    bool published = false;
    try {
      SyntaxError error;
      Result<std::string> lowered = tw::luau::lower(entry->source, "", options_.lowering, &error);
      std::unique_lock lock(mu_);
      if (lowered.ok()) {
        entry->lua = std::make_shared<const std::string>(std::move(lowered).value());
      } else {
        entry->error = std::move(error);
      }
      entry->bytes = entry->source.size() + (entry->lua ? entry->lua->size() : entry->error.message.size()) + kOverhead;
      entry->state = State::kReady;
      lru_.push_front(entry.get());
      entry->lruPosition = lru_.begin();
      entry->cached = true;
      stats_.bytes += entry->bytes;
      published = true;
      Result<std::shared_ptr<const std::string>> result = finish(*entry, chunkName, where);
      evictLocked();
      readyCv_.notify_all();
      return result;
    } catch (...) {
      if (!published) {
        std::unique_lock lock(mu_);
        entry->state = State::kFailed;
        auto it = map_.find(entry->source);
        if (it != map_.end() && it->second == entry) map_.erase(it);
        readyCv_.notify_all();
      }
      throw;
    }
  }

  CacheStats stats() const {
    std::unique_lock lock(mu_);
    CacheStats s = stats_;
    s.entries = lru_.size();
    return s;
  }

 private:
  enum class State { kPending, kReady, kFailed };

  struct Entry {
    std::string source;
    State state = State::kPending;
    std::shared_ptr<const std::string> lua;
    SyntaxError error;  // file left empty; the caller's chunk name is filled in per request
    std::size_t bytes = 0;
    std::list<Entry*>::iterator lruPosition;
    bool cached = false;  // in lru_ and map_
  };

  static constexpr std::size_t kOverhead = 128;

  static Result<std::shared_ptr<const std::string>> finish(const Entry& entry, std::string_view chunkName, SyntaxError* where) {
    if (entry.lua) return entry.lua;
    SyntaxError error = entry.error;
    error.file = std::string(chunkName);
    std::string text = error.toString();
    if (where != nullptr) *where = std::move(error);
    return makeError(ErrorKind::kSyntaxError, std::move(text));
  }

  void evictLocked() {
    while (stats_.bytes > options_.maxBytes && !lru_.empty()) {
      Entry* victim = lru_.back();
      lru_.pop_back();
      victim->cached = false;
      stats_.bytes -= victim->bytes;
      ++stats_.evictions;
      // Erase by iterator: the key views the victim's own source. Callers keep their own shared_ptrs.
      auto it = map_.find(std::string_view(victim->source));
      if (it != map_.end()) map_.erase(it);
    }
  }

  CacheOptions options_;
  mutable std::mutex mu_;
  std::condition_variable readyCv_;
  // Keys view Entry::source, which lives as long as the map holds the entry.
  std::unordered_map<std::string_view, std::shared_ptr<Entry>, SeededHash> map_;
  std::list<Entry*> lru_;  // ready entries, most recently used first
  CacheStats stats_;
};

LoweringCache::LoweringCache(CacheOptions options) : impl_(std::make_unique<Impl>(options)) {}
LoweringCache::~LoweringCache() = default;

Result<std::shared_ptr<const std::string>> LoweringCache::lower(std::string_view source, std::string_view chunkName,
                                                                SyntaxError* where) {
  return impl_->lower(source, chunkName, where);
}

CacheStats LoweringCache::stats() const { return impl_->stats(); }

}  // namespace tw::luau
