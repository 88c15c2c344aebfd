// StorageKvStore: the kv plugin's store for one guild, backed by the storage executor. Completions come back
// on the guild's worker loop (never inline).
//
// Threading: called on the worker thread that owns the guild's VM.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "common/ids.h"
#include "plugins/kv/kv.h"

namespace tw::storage {
class AsyncStorage;
}

namespace tw::worker {

class StorageKvStore final : public plugins::KvStore {
 public:
  StorageKvStore(GuildId guild, storage::AsyncStorage& storage, boost::asio::any_io_executor loop)
      : guild_(guild), storage_(storage), loop_(std::move(loop)) {}

  void get(std::string scope, std::string key,
           std::function<void(Result<std::optional<std::string>>)> done) override;
  void set(std::string scope, std::string key, std::string valueJson, std::function<void(Status)> done) override;
  void remove(std::string scope, std::string key, std::function<void(Result<bool>)> done) override;
  void list(std::string scope, std::string prefix, std::size_t limit,
            std::function<void(Result<Entries>)> done) override;

 private:
  GuildId guild_;
  storage::AsyncStorage& storage_;
  boost::asio::any_io_executor loop_;
};

}  // namespace tw::worker
