#include "config/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <cstdlib>
#include <set>
#include <sstream>

namespace tw::config {

namespace {

Error bad(const std::string& where, const std::string& what) { return makeError(ErrorKind::kBadInput, where + ": " + what); }

template <typename T>
Status readInt(const toml::table& t, const char* key, const std::string& where, T* out, std::int64_t min, std::int64_t max) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  const auto* v = n->as_integer();
  if (v == nullptr) return bad(where + "." + key, "must be an integer");
  const std::int64_t x = v->get();
  if (x < min || x > max) {
    return bad(where + "." + key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  *out = static_cast<T>(x);
  return {};
}

Status readString(const toml::table& t, const char* key, const std::string& where, std::string* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  const auto* v = n->as_string();
  if (v == nullptr) return bad(where + "." + key, "must be a string");
  *out = v->get();
  return {};
}

Status readBool(const toml::table& t, const char* key, const std::string& where, bool* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return {};
  const auto* v = n->as_boolean();
  if (v == nullptr) return bad(where + "." + key, "must be true or false");
  *out = v->get();
  return {};
}

// Unknown sections and keys are errors: a typo must not silently keep a default.
Status checkKnown(const toml::table& root, const std::string& file) {
  static const std::map<std::string, std::set<std::string>> kKnown = {
      {"server", {"listen", "bearer_token", "http_threads", "max_body_bytes", "return_wait_ms", "drain_timeout_ms"}},
      {"runtime",
       {"strategy", "workers", "memory_limit_bytes", "execution_timeout_ms", "worker_stack_bytes", "time_slice_us",
        "worker_scheduling", "max_coroutines", "max_timers"}},
      {"storage", {"data_dir", "database", "durability"}},
      {"log", {"level"}},
      {"testing", {"fault_injection"}},
  };
  for (const auto& [section, node] : root) {
    const std::string name(section.str());
    auto known = kKnown.find(name);
    if (known == kKnown.end()) return bad(file, "unknown section [" + name + "]");
    const auto* table = node.as_table();
    if (table == nullptr) return bad(file, "[" + name + "] must be a table");
    for (const auto& [key, value] : *table) {
      if (known->second.count(std::string(key.str())) == 0) {
        return bad(file, "unknown setting '" + name + "." + std::string(key.str()) + "'");
      }
    }
  }
  return {};
}

Status applyFile(const std::string& file, Config* c) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << file << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    return makeError(ErrorKind::kBadInput, msg.str());
  }
  if (Status s = checkKnown(root, file); !s.ok()) return s;
  const toml::table empty;
  auto section = [&](const char* name) -> const toml::table& {
    const toml::table* t = root[name].as_table();
    return t != nullptr ? *t : empty;
  };
  constexpr std::int64_t kMax = std::int64_t{1} << 50;
  const toml::table& server = section("server");
  std::string listen;
  Status s;
  if (s = readString(server, "listen", file + " [server]", &listen); !s.ok()) return s;
  if (!listen.empty()) {
    if (s = parseListen(listen, &c->listenAddress, &c->listenPort); !s.ok()) return bad(file + " [server].listen", s.error().message);
  }
  if (s = readString(server, "bearer_token", file + " [server]", &c->bearerToken); !s.ok()) return s;
  if (s = readInt(server, "http_threads", file + " [server]", &c->httpThreads, 1, 256); !s.ok()) return s;
  if (s = readInt(server, "max_body_bytes", file + " [server]", &c->maxBodyBytes, 1024, kMax); !s.ok()) return s;
  if (s = readInt(server, "return_wait_ms", file + " [server]", &c->returnWaitMs, 1, kMax); !s.ok()) return s;
  if (s = readInt(server, "drain_timeout_ms", file + " [server]", &c->drainTimeoutMs, 0, kMax); !s.ok()) return s;
  const toml::table& runtime = section("runtime");
  if (s = readString(runtime, "strategy", file + " [runtime]", &c->strategy); !s.ok()) return s;
  if (s = readInt(runtime, "workers", file + " [runtime]", &c->workers, 0, 4096); !s.ok()) return s;
  if (s = readInt(runtime, "memory_limit_bytes", file + " [runtime]", &c->memoryLimitBytes, 256 * 1024, kMax); !s.ok()) return s;
  if (s = readInt(runtime, "execution_timeout_ms", file + " [runtime]", &c->executionTimeoutMs, 1, kMax); !s.ok()) return s;
  if (s = readInt(runtime, "worker_stack_bytes", file + " [runtime]", &c->workerStackBytes, 1 << 20, kMax); !s.ok()) return s;
  if (s = readInt(runtime, "time_slice_us", file + " [runtime]", &c->timeSliceMicros, 100, 1'000'000); !s.ok()) return s;
  if (s = readString(runtime, "worker_scheduling", file + " [runtime]", &c->workerScheduling); !s.ok()) return s;
  if (s = readInt(runtime, "max_coroutines", file + " [runtime]", &c->maxCoroutines, 1, kMax); !s.ok()) return s;
  if (s = readInt(runtime, "max_timers", file + " [runtime]", &c->maxTimers, 1, kMax); !s.ok()) return s;
  const toml::table& storage = section("storage");
  if (s = readString(storage, "data_dir", file + " [storage]", &c->dataDir); !s.ok()) return s;
  if (s = readString(storage, "database", file + " [storage]", &c->database); !s.ok()) return s;
  if (s = readString(storage, "durability", file + " [storage]", &c->durability); !s.ok()) return s;
  if (s = readString(section("log"), "level", file + " [log]", &c->logLevel); !s.ok()) return s;
  if (s = readBool(section("testing"), "fault_injection", file + " [testing]", &c->faultInjection); !s.ok()) return s;
  return {};
}

Status applyEnv(const std::map<std::string, std::string>& env, Config* c) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
  };
  if (const auto* v = get("TW_LISTEN")) {
    if (Status s = parseListen(*v, &c->listenAddress, &c->listenPort); !s.ok()) return bad("TW_LISTEN", s.error().message);
  }
  if (const auto* v = get("TW_BEARER_TOKEN")) c->bearerToken = *v;
  if (const auto* v = get("TW_DATA_DIR")) c->dataDir = *v;
  if (const auto* v = get("TW_DATABASE")) c->database = *v;
  if (const auto* v = get("TW_STRATEGY")) c->strategy = *v;
  if (const auto* v = get("TW_LOG_LEVEL")) c->logLevel = *v;
  if (const auto* v = get("TW_WORKERS")) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || end != v->data() + v->size()) return bad("TW_WORKERS", "must be a number");
    c->workers = n;
  }
  return {};
}

Status validate(const Config& c) {
  if (c.strategy != "thread-pool" && c.strategy != "thread-per-guild") {
    return bad("strategy", "'" + c.strategy + "' is not a strategy (thread-pool or thread-per-guild)");
  }
  if (c.workerScheduling != "batch" && c.workerScheduling != "normal") {
    return bad("runtime.worker_scheduling", "must be \"batch\" or \"normal\"");
  }
  if (c.durability != "power-loss" && c.durability != "process-crash") {
    return bad("storage.durability", "must be \"power-loss\" or \"process-crash\"");
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (kLevels.count(c.logLevel) == 0) return bad("log.level", "must be one of trace, debug, info, warn, error, off");
  if (c.dataDir.empty() && c.database.empty()) return bad("storage.data_dir", "must not be empty");
  return {};
}

}  // namespace

Status parseListen(const std::string& text, std::string* host, std::uint16_t* port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return makeError(ErrorKind::kBadInput, "expected HOST:PORT, got '" + text + "'");
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || value > 65535) {
    return makeError(ErrorKind::kBadInput, "invalid port in '" + text + "'");
  }
  *host = h;
  *port = static_cast<std::uint16_t>(value);
  return {};
}

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"TW_LISTEN", "TW_BEARER_TOKEN", "TW_DATA_DIR", "TW_DATABASE", "TW_STRATEGY", "TW_WORKERS",
                           "TW_LOG_LEVEL"}) {
    if (const char* v = std::getenv(name)) env.emplace(name, v);
  }
  return env;
}

Result<Config> load(const std::optional<std::string>& file, const std::map<std::string, std::string>& env,
                    const Overrides& flags) {
  Config c;
  if (file) {
    if (Status s = applyFile(*file, &c); !s.ok()) return std::move(s).error();
  }
  if (Status s = applyEnv(env, &c); !s.ok()) return std::move(s).error();
  if (flags.listen) {
    if (Status s = parseListen(*flags.listen, &c.listenAddress, &c.listenPort); !s.ok()) {
      return bad("--listen", s.error().message);
    }
  }
  if (flags.dataDir) c.dataDir = *flags.dataDir;
  if (flags.strategy) c.strategy = *flags.strategy;
  if (flags.workers) c.workers = *flags.workers;
  if (flags.logLevel) c.logLevel = *flags.logLevel;
  if (Status s = validate(c); !s.ok()) return std::move(s).error();
  return c;
}

}  // namespace tw::config
