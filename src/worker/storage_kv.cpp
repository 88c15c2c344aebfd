#include "worker/storage_kv.h"

#include "storage/async_storage.h"

namespace tw::worker {

void StorageKvStore::get(std::string scope, std::string key,
                         std::function<void(Result<std::optional<std::string>>)> done) {
  storage_.submit(
      loop_,
      [g = guild_, scope = std::move(scope), key = std::move(key)](storage::Storage& s) {
        return s.kvGet(g, scope, key);
      },
      std::move(done));
}

void StorageKvStore::set(std::string scope, std::string key, std::string valueJson, std::function<void(Status)> done) {
  storage_.submit(
      loop_,
      [g = guild_, scope = std::move(scope), key = std::move(key), value = std::move(valueJson)](storage::Storage& s) {
        return s.kvSet(g, scope, key, value);
      },
      std::move(done));
}

void StorageKvStore::remove(std::string scope, std::string key, std::function<void(Result<bool>)> done) {
  storage_.submit(
      loop_,
      [g = guild_, scope = std::move(scope), key = std::move(key)](storage::Storage& s) {
        return s.kvDelete(g, scope, key);
      },
      std::move(done));
}

void StorageKvStore::list(std::string scope, std::string prefix, std::size_t limit,
                          std::function<void(Result<Entries>)> done) {
  storage_.submit(
      loop_,
      [g = guild_, scope = std::move(scope), prefix = std::move(prefix), limit](storage::Storage& s) -> Result<Entries> {
        storage::KvListOptions options;
        options.prefix = prefix;
        options.limit = limit;
        auto page = s.kvList(g, scope, options);
        if (!page.ok()) return std::move(page).error();
        Entries out;
        for (auto& e : page.value().entries) out.emplace_back(std::move(e.key), std::move(e.value));
        return out;
      },
      std::move(done));
}

}  // namespace tw::worker
