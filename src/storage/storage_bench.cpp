// KV throughput of the SQLite backend on a temporary file (Google Benchmark). Built as `storage_bench` by
// bench/CMakeLists.txt (linked with benchmark_main); README.md says how to run it.
//
// Arguments: durability (0 = kPowerLoss, 1 = kProcessCrash), reader connections.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include <benchmark/benchmark.h>
// GCC 12 at -O2 reports a false "potential null pointer dereference" inside io_context's executor
// comparison (instantiated by any_io_executor); it is attributed to the header, so silence it there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include "storage/async_storage.h"
#include "storage/storage.h"

namespace {

namespace fs = std::filesystem;
using tw::GuildId;
using tw::storage::Durability;
using tw::storage::Storage;

constexpr GuildId kGuild{123456789012345678};
constexpr int kKeys = 10'000;

std::string keyName(int i) { return "key-" + std::to_string(100'000 + i); }
const std::string& value100() {
  static const std::string v = "{\"user\":\"123456789012345678\",\"count\":42,\"note\":\"" + std::string(46, 'x') + "\"}";
  return v;
}

// One database shared by a benchmark's threads: thread 0 opens it before the timing loop (the other threads
// wait at the loop's start) and closes it after.
struct BenchDb {
  fs::path dir;
  std::unique_ptr<Storage> storage;

  void open(Durability durability, std::size_t readers, bool preload) {
    std::string pattern = (fs::temp_directory_path() / "tw-storage-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir = pattern;
    tw::storage::StorageConfig config;
    config.location = (dir / "bench.db").string();
    if (preload) {
      // Without an fsync per write: preloading is not what is measured.
      config.durability = Durability::kProcessCrash;
      auto loader = tw::storage::openStorage(config);
      if (!loader) std::abort();
      for (int i = 0; i < kKeys; ++i) {
        if (!(*loader)->kvSet(kGuild, "", keyName(i), value100()).ok()) std::abort();
      }
    }
    config.durability = durability;
    config.maxReadConnections = readers;
    auto opened = tw::storage::openStorage(config);
    if (!opened) std::abort();
    storage = std::move(opened).value();
  }
  void close() {
    storage.reset();
    fs::remove_all(dir);
  }
};

BenchDb db;

Durability durabilityArg(const benchmark::State& state) {
  return state.range(0) == 0 ? Durability::kPowerLoss : Durability::kProcessCrash;
}

void BM_KvSet(benchmark::State& state) {
  if (state.thread_index() == 0) db.open(durabilityArg(state), 4, false);
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  std::uniform_int_distribution<int> pick(0, kKeys - 1);
  for (auto _ : state) {
    if (!db.storage->kvSet(kGuild, "", keyName(pick(rng)), value100()).ok()) state.SkipWithError("kvSet");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) db.close();
}
BENCHMARK(BM_KvSet)->ArgNames({"durability"})->Arg(0)->Arg(1)->UseRealTime();
BENCHMARK(BM_KvSet)->ArgNames({"durability"})->Arg(0)->Arg(1)->Threads(4)->UseRealTime();

void BM_KvGet(benchmark::State& state) {
  if (state.thread_index() == 0) db.open(Durability::kPowerLoss, static_cast<std::size_t>(state.range(0)), true);
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  std::uniform_int_distribution<int> pick(0, kKeys - 1);
  for (auto _ : state) {
    auto got = db.storage->kvGet(kGuild, "", keyName(pick(rng)));
    if (!got.ok() || !got.value()) state.SkipWithError("kvGet");
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) db.close();
}
// readers = 0: every read goes through the one writer connection (and its lock).
BENCHMARK(BM_KvGet)->ArgNames({"readers"})->Arg(0)->Arg(4)->UseRealTime();
BENCHMARK(BM_KvGet)->ArgNames({"readers"})->Arg(0)->Arg(4)->Threads(4)->UseRealTime();

// Reads beside a busy writer: how much one writer slows readers down.
void BM_KvGetWhileWriting(benchmark::State& state) {
  if (state.thread_index() == 0) db.open(Durability::kPowerLoss, static_cast<std::size_t>(state.range(0)), true);
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  std::uniform_int_distribution<int> pick(0, kKeys - 1);
  const bool writer = state.thread_index() == 0;
  for (auto _ : state) {
    if (writer) {
      if (!db.storage->kvSet(kGuild, "", keyName(pick(rng)), value100()).ok()) state.SkipWithError("kvSet");
    } else {
      auto got = db.storage->kvGet(kGuild, "", keyName(pick(rng)));
      if (!got.ok()) state.SkipWithError("kvGet");
    }
  }
  if (!writer) state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) db.close();
}
BENCHMARK(BM_KvGetWhileWriting)->ArgNames({"readers"})->Arg(0)->Arg(4)->Threads(4)->UseRealTime();

void BM_KvList100(benchmark::State& state) {
  db.open(Durability::kPowerLoss, 4, true);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> pick(0, kKeys - 200);
  for (auto _ : state) {
    auto page = db.storage->kvList(kGuild, "", {.prefix = "key-", .startAfter = keyName(pick(rng)), .limit = 100});
    if (!page.ok() || page->entries.size() != 100) state.SkipWithError("kvList");
  }
  state.SetItemsProcessed(state.iterations() * 100);
  db.close();
}
BENCHMARK(BM_KvList100)->UseRealTime();

// One kvGet through AsyncStorage, from submit to the handler on a loop: the executor's overhead.
void BM_AsyncKvGetRoundTrip(benchmark::State& state) {
  db.open(Durability::kPowerLoss, 4, true);
  boost::asio::io_context loop;  // outlives `async`
  tw::storage::AsyncStorage async(*db.storage, {});
  int i = 0;
  for (auto _ : state) {
    bool done = false;
    async.submit(
        loop.get_executor(), [key = keyName(i++ % kKeys)](Storage& s) { return s.kvGet(kGuild, "", key); },
        [&](tw::Result<std::optional<std::string>> r) { done = r.ok(); });
    loop.restart();
    loop.run();
    if (!done) state.SkipWithError("async kvGet");
  }
  state.SetItemsProcessed(state.iterations());
  async.shutdown();
  db.close();
}
BENCHMARK(BM_AsyncKvGetRoundTrip)->UseRealTime();

// 256 kvGets in flight through AsyncStorage (2 pool threads), handlers on one loop: executor throughput.
void BM_AsyncKvGetThroughput(benchmark::State& state) {
  db.open(Durability::kPowerLoss, 4, true);
  boost::asio::io_context loop;  // outlives `async`
  tw::storage::AsyncStorage async(*db.storage, {.threads = 2, .maxPending = 1024});
  constexpr int kBatch = 256;
  int i = 0;
  for (auto _ : state) {
    int done = 0;
    for (int n = 0; n < kBatch; ++n) {
      async.submit(
          loop.get_executor(), [key = keyName(i++ % kKeys)](Storage& s) { return s.kvGet(kGuild, "", key); },
          [&](tw::Result<std::optional<std::string>> r) { done += r.ok() ? 1 : 0; });
    }
    loop.restart();
    loop.run();
    if (done != kBatch) state.SkipWithError("async kvGet");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  async.shutdown();
  db.close();
}
BENCHMARK(BM_AsyncKvGetThroughput)->UseRealTime();

}  // namespace
