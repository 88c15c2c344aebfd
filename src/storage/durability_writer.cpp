// The durability test's child process: opens the storage named on the command line and writes KV entries
// from several threads, forever. After each kvSet returns ok it prints the key on stdout (one write(2) per
// line, so lines from different threads never interleave). The test kills it with SIGKILL at some point and
// then checks that every key it printed is in the database with durabilityTestValue(key).
//
// usage: storage_durability_writer <backend> <location> <power-loss|process-crash> <threads>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "storage/storage.h"

namespace {

using tw::storage::Storage;

void writeLine(const std::string& line) {
  std::string out = line + "\n";
  const char* p = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) std::_Exit(3);  // the test went away
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void writeForever(Storage& storage, int thread) {
  for (long i = 0;; ++i) {
    std::string key = "k-" + std::to_string(thread) + "-" + std::to_string(i);
    // Keep in sync with durabilityTestValue() in storage_conformance_test.cpp.
    std::string value = "{\"key\":\"" + key + "\",\"pad\":\"" + std::string(static_cast<std::size_t>(i % 200), 'x') + "\"}";
    auto status = storage.kvSet(tw::GuildId{42}, "durability", key, value);
    if (!status) {
      std::fprintf(stderr, "kvSet failed: %s\n", status.error().message.c_str());
      std::_Exit(2);
    }
    writeLine(key);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <backend> <location> <power-loss|process-crash> <threads>\n", argv[0]);
    return 1;
  }
  tw::storage::StorageConfig config;
  auto backend = tw::storage::parseBackendKind(argv[1]);
  if (!backend) return 1;
  config.backend = *backend;
  config.location = argv[2];
  config.durability = std::string(argv[3]) == "process-crash" ? tw::storage::Durability::kProcessCrash
                                                               : tw::storage::Durability::kPowerLoss;
  auto storage = tw::storage::openStorage(config);
  if (!storage) {
    std::fprintf(stderr, "open failed: %s\n", storage.error().message.c_str());
    return 2;
  }
  int threads = std::atoi(argv[4]);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back([&, t] { writeForever(**storage, t); });
  for (auto& w : workers) w.join();
  return 0;
}
