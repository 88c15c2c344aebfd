// The reference parts of the documentation, checked against the code:
//   docs/templates.md names every global a template sees, every member of every library and plugin table,
//     and every error kind;
//   docs/operations.md's `toml defaults` block holds every setting config.cpp knows, with its real default;
//     it names every environment variable config.cpp reads, every flag of every subcommand, and every
//     metric a serving node exports (and no metric that does not exist).
#include <gtest/gtest.h>
#include <lua.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_server.h"
#include "common/result.h"
#include "config/config.h"
#include "docs/markdown.h"
#include "limits/memory.h"
#include "plugins/fault/fault.h"
#include "plugins/standard.h"
#include "sandbox/lua_api.h"
#include "sandbox/sandbox.h"
#include "service/service_impl.h"
#include "support/vm_harness.h"
#include "vm/require.h"

namespace tw::testing::docs {
namespace {

namespace fs = std::filesystem;

std::string templatesMd() { return readText(sourceDir() / "docs" / "templates.md"); }
std::string operationsMd() { return readText(sourceDir() / "docs" / "operations.md"); }

bool mentions(const std::string& doc, const std::string& what) { return doc.find(what) != std::string::npos; }

// ---------------------------------------------------------------------------------------------------------
// Plain string scanning (no <regex>: GCC 12 warns inside it under -O2 with ASan, and warnings are errors).

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isLowerOrUnderscore(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool isUpperOrUnderscore(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
bool isLowerOrDash(char c) { return (c >= 'a' && c <= 'z') || c == '-'; }
bool isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The length of the run of characters satisfying `pred` at `pos` of `text`.
template <typename Pred>
std::size_t runLength(std::string_view text, std::size_t pos, Pred pred) {
  std::size_t n = 0;
  while (pos + n < text.size() && pred(text[pos + n])) ++n;
  return n;
}

std::size_t skipSpaces(std::string_view text, std::size_t pos) { return pos + runLength(text, pos, isSpace); }

// Whether `word` occurs in `text` as a whole word (not preceded or followed by [A-Za-z0-9_]), like \bword\b
// for a word made of word characters.
bool containsWord(std::string_view text, std::string_view word) {
  if (word.empty()) return false;
  for (std::size_t pos = text.find(word); pos != std::string_view::npos; pos = text.find(word, pos + 1)) {
    const bool before = pos > 0 && isWordChar(text[pos - 1]);
    const std::size_t end = pos + word.size();
    const bool after = end < text.size() && isWordChar(text[end]);
    if (!before && !after) return true;
  }
  return false;
}

// Every match of `open` + (a non-empty run of `pred` characters) + `close` in `text`, left to right and not
// overlapping; returns the runs.
template <typename Pred>
std::vector<std::string> delimitedRuns(std::string_view text, std::string_view open, Pred pred, std::string_view close) {
  std::vector<std::string> out;
  std::size_t pos = text.find(open);
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + open.size();
    const std::size_t n = runLength(text, start, pred);
    if (n > 0 && text.substr(start + n, close.size()) == close) {
      out.emplace_back(text.substr(start, n));
      pos = text.find(open, start + n + close.size());
    } else {
      pos = text.find(open, pos + 1);
    }
  }
  return out;
}

// Names of the form `prefix` + run of `pred` characters, for a prefix that starts with a delimiter that is
// not part of the name (`lead`, e.g. '"' or '`'), closed by `close` (empty: no closing delimiter needed).
template <typename Pred>
std::vector<std::string> names(std::string_view text, char lead, std::string_view prefix, Pred pred,
                               std::string_view close) {
  const std::string open = std::string(1, lead) + std::string(prefix);
  std::vector<std::string> out;
  for (std::string& run : delimitedRuns(text, open, pred, close)) out.push_back(std::string(prefix) + run);
  return out;
}

// Every --flag in `text`: two dashes, a lowercase letter, then lowercase letters and dashes.
std::vector<std::string> flagsIn(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = text.find("--");
  while (pos != std::string_view::npos) {
    if (pos + 2 < text.size() && text[pos + 2] >= 'a' && text[pos + 2] <= 'z') {
      const std::size_t n = 2 + runLength(text, pos + 2, isLowerOrDash);
      out.emplace_back(text.substr(pos, n));
      pos = text.find("--", pos + n);
    } else {
      pos = text.find("--", pos + 1);
    }
  }
  return out;
}

// Whether `doc` has a table row for the metric: | `name` | type | or | `name{labels}` | type |.
bool hasMetricRow(std::string_view doc, const std::string& name, const std::string& type) {
  const std::string needle = "`" + name;
  for (std::size_t pos = doc.find(needle); pos != std::string_view::npos; pos = doc.find(needle, pos + 1)) {
    std::size_t before = pos;
    while (before > 0 && isSpace(doc[before - 1])) --before;
    if (before == 0 || doc[before - 1] != '|') continue;
    std::size_t i = pos + needle.size();
    if (i < doc.size() && doc[i] == '{') {
      const std::size_t tick = doc.find('`', i);
      if (tick == std::string_view::npos || doc[tick - 1] != '}') continue;
      i = tick;
    }
    if (i >= doc.size() || doc[i] != '`') continue;
    i = skipSpaces(doc, i + 1);
    if (i >= doc.size() || doc[i] != '|') continue;
    i = skipSpaces(doc, i + 1);
    if (doc.substr(i, type.size()) != type) continue;
    i = skipSpaces(doc, i + type.size());
    if (i < doc.size() && doc[i] == '|') return true;
  }
  return false;
}

TEST(DocsReference, TheScanningHelpersFindWhatTheyShould) {
  EXPECT_TRUE(containsWord("a `string.rep` b", "rep"));
  EXPECT_FALSE(containsWord("represent reps", "rep"));
  EXPECT_TRUE(containsWord("rep", "rep"));
  EXPECT_EQ(names("get(\"TW_LISTEN\") \"TW_x\" \"TW_DATA_DIR\"", '"', "TW_", isUpperOrUnderscore, "\""),
            (std::vector<std::string>{"TW_LISTEN", "TW_DATA_DIR"}));
  EXPECT_EQ(flagsIn("--log-level, ---x --9 --data-dir"),
            (std::vector<std::string>{"--log-level", "--x", "--data-dir"}));
  EXPECT_TRUE(hasMetricRow("| `tw_a_total{kind=\"x\"}` | counter | what |", "tw_a_total", "counter"));
  EXPECT_TRUE(hasMetricRow("|`tw_a`|gauge|", "tw_a", "gauge"));
  EXPECT_FALSE(hasMetricRow("| `tw_a_total` | counter |", "tw_a", "counter"));
  EXPECT_FALSE(hasMetricRow("| `tw_a` | gauge |", "tw_a", "counter"));
  EXPECT_FALSE(hasMetricRow("see `tw_a` | gauge |", "tw_a", "gauge"));
}

// ---------------------------------------------------------------------------------------------------------
// docs/templates.md

// The shared globals of a fresh sandbox with every plugin: name -> member names (empty for non-tables).
std::map<std::string, std::set<std::string>> sandboxGlobals() {
  std::map<std::string, std::set<std::string>> out;
  limits::MemoryBudget budget(std::size_t{64} << 20, nullptr);
  lua_State* L = lua_newstate(limits::MemoryBudget::allocate, &budget);
  sandbox::SandboxConfig config;
  EXPECT_TRUE(sandbox::installSandbox(L, &config).ok());
  auto registry = std::make_shared<plugins::PluginRegistry>(*plugins::standardPlugins());
  registry->add(plugins::faultPlugin());
  EXPECT_TRUE(registry->install(L).ok());
  EXPECT_TRUE(sandbox::protect(L, [](lua_State* S) {
                vm::installRequire(S);
                return 0;
              }).ok());
  sandbox::pushSharedGlobals(L);
  const int globals = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, globals) != 0) {
    const std::string name = lua_tostring(L, -2);
    std::set<std::string>& members = out[name];
    if (sandbox::pushReadOnlyTarget(L, -1)) {
      const int target = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, target) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) members.insert(lua_tostring(L, -1));
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_close(L);
  return out;
}

TEST(DocsReference, TemplatesMdNamesEveryGlobalAndLibraryMember) {
  const std::string doc = templatesMd();
  const auto globals = sandboxGlobals();
  ASSERT_GT(globals.size(), 20u);
  static const std::set<std::string> kPlugins = {"task", "json", "fault"};
  for (const auto& [name, members] : globals) {
    EXPECT_TRUE(mentions(doc, "`" + name)) << "docs/templates.md does not mention the global `" << name << "`";
    for (const std::string& m : members) {
      if (kPlugins.count(name) != 0) {
        EXPECT_TRUE(mentions(doc, name + "." + m)) << "docs/templates.md does not document " << name << "." << m;
      } else {
        EXPECT_TRUE(containsWord(doc, m))
            << "docs/templates.md does not list " << name << "." << m;
      }
    }
  }
  for (const char* method : {"ctx.kv:get", "ctx.kv:set", "ctx.kv:delete", "ctx.kv:list", "ctx.kv:scope"}) {
    EXPECT_TRUE(mentions(doc, method)) << method;
  }
}

TEST(DocsReference, TemplatesMdNamesEveryErrorKind) {
  const std::string doc = templatesMd();
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    const std::string name(kindName(static_cast<ErrorKind>(k)));
    EXPECT_TRUE(mentions(doc, "`" + name + "`")) << "docs/templates.md does not describe the error kind " << name;
  }
}

// ---------------------------------------------------------------------------------------------------------
// docs/operations.md: settings

struct TomlKey {
  std::string section;
  std::string key;
};

// The `toml defaults` block of operations.md, as written to a file, and its keys.
std::string defaultsBlock(std::vector<TomlKey>* keys) {
  for (const Block& b : fencedBlocks(operationsMd())) {
    if (b.lang != "toml" || !b.has("defaults")) continue;
    std::istringstream in(b.text);
    std::string line;
    std::string section;
    while (std::getline(in, line)) {
      const std::string_view l(line);
      const std::size_t start = skipSpaces(l, 0);
      if (start < l.size() && l[start] == '[') {
        // [section] with an optional comment after it
        const std::size_t n = runLength(l, start + 1, isLowerOrUnderscore);
        const std::size_t close = start + 1 + n;
        if (n > 0 && close < l.size() && l[close] == ']') {
          const std::size_t rest = skipSpaces(l, close + 1);
          if (rest == l.size() || l[rest] == '#') section = std::string(l.substr(start + 1, n));
        }
      } else if (const std::size_t n = runLength(l, start, isLowerOrUnderscore); n > 0) {
        // key = value
        const std::size_t eq = skipSpaces(l, start + n);
        if (eq < l.size() && l[eq] == '=') keys->push_back({section, std::string(l.substr(start, n))});
      }
    }
    return b.text;
  }
  return {};
}

// The settings config.cpp accepts, read from its table of known keys.
std::set<std::string> knownSettings() {
  const std::string source = readText(sourceDir() / "src" / "config" / "config.cpp");
  const auto begin = source.find("kKnown = {");
  const auto end = source.find("};", begin);
  EXPECT_NE(begin, std::string::npos) << "config.cpp has no kKnown table any more: update this test";
  std::set<std::string> out;
  if (begin == std::string::npos) return out;
  const std::string table = source.substr(begin, end - begin);
  // {"server", {"listen", ...}}: a section name follows an opening brace directly.
  const std::string_view t(table);
  std::size_t pos = t.find("{\"");
  while (pos != std::string_view::npos) {
    const std::size_t nameStart = pos + 2;
    const std::size_t n = runLength(t, nameStart, isLowerOrUnderscore);
    std::size_t i = nameStart + n;
    bool matched = false;
    if (n > 0 && t.substr(i, 2) == "\",") {
      i = skipSpaces(t, i + 2);
      if (i < t.size() && t[i] == '{') {
        const std::size_t close = t.find('}', i + 1);
        if (close != std::string_view::npos) {
          const std::string section(t.substr(nameStart, n));
          for (const std::string& key : delimitedRuns(t.substr(i + 1, close - i - 1), "\"", isLowerOrUnderscore, "\"")) {
            out.insert(section + "." + key);
          }
          pos = t.find("{\"", close + 1);
          matched = true;
        }
      }
    }
    if (!matched) pos = t.find("{\"", pos + 1);
  }
  return out;
}

TEST(DocsReference, OperationsMdDefaultsBlockIsCompleteAndHoldsTheRealDefaults) {
  std::vector<TomlKey> keys;
  const std::string block = defaultsBlock(&keys);
  ASSERT_FALSE(block.empty()) << "docs/operations.md has no ```toml defaults block";
  std::set<std::string> documented;
  for (const auto& k : keys) documented.insert(k.section + "." + k.key);
  const std::set<std::string> known = knownSettings();
  ASSERT_GT(known.size(), 15u);
  for (const std::string& k : known) EXPECT_EQ(documented.count(k), 1u) << "docs/operations.md lacks " << k;
  for (const std::string& k : documented) EXPECT_EQ(known.count(k), 1u) << "docs/operations.md documents " << k;

  const fs::path file = fs::temp_directory_path() / ("tw-docs-defaults-" + std::to_string(getpid()) + ".toml");
  std::ofstream(file) << block;
  auto loaded = config::load(file.string(), {}, {});
  fs::remove(file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const config::Config& c = loaded.value();
  const config::Config d;
  EXPECT_EQ(c.listenAddress, d.listenAddress);
  EXPECT_EQ(c.listenPort, d.listenPort);
  EXPECT_EQ(c.bearerToken, d.bearerToken);
  EXPECT_EQ(c.httpThreads, d.httpThreads);
  EXPECT_EQ(c.maxBodyBytes, d.maxBodyBytes);
  EXPECT_EQ(c.returnWaitMs, d.returnWaitMs);
  EXPECT_EQ(c.drainTimeoutMs, d.drainTimeoutMs);
  EXPECT_EQ(c.strategy, d.strategy);
  EXPECT_EQ(c.workers, d.workers);
  EXPECT_EQ(c.memoryLimitBytes, d.memoryLimitBytes);
  EXPECT_EQ(c.executionTimeoutMs, d.executionTimeoutMs);
  EXPECT_EQ(c.workerStackBytes, d.workerStackBytes);
  EXPECT_EQ(c.timeSliceMicros, d.timeSliceMicros);
  EXPECT_EQ(c.maxCoroutines, d.maxCoroutines);
  EXPECT_EQ(c.maxTimers, d.maxTimers);
  EXPECT_EQ(c.dataDir, d.dataDir);
  EXPECT_EQ(c.database, d.database);
  EXPECT_EQ(c.durability, d.durability);
  EXPECT_EQ(c.logLevel, d.logLevel);
  EXPECT_EQ(c.faultInjection, d.faultInjection);
}

TEST(DocsReference, OperationsMdNamesEveryEnvironmentVariable) {
  const std::string doc = operationsMd();
  const std::string source = readText(sourceDir() / "src" / "config" / "config.cpp");
  std::set<std::string> read;
  for (const std::string& v : names(source, '"', "TW_", isUpperOrUnderscore, "\"")) read.insert(v);
  ASSERT_GE(read.size(), 5u);
  for (const std::string& v : read) EXPECT_TRUE(mentions(doc, "`" + v + "`")) << "docs/operations.md lacks " << v;
  // And every variable the page names in its settings table is one the service reads.
  for (const std::string& v : names(doc, '`', "TW_", isUpperOrUnderscore, "`")) {
    EXPECT_EQ(read.count(v), 1u) << "docs/operations.md names " << v << ", which config.cpp does not read";
  }
}

// ---------------------------------------------------------------------------------------------------------
// docs/operations.md: the CLI

std::string runBinary(const std::string& args) {
  const std::string cmd = std::string(TW_BINARY) + " " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

TEST(DocsReference, OperationsMdNamesEveryCommandAndFlag) {
  const std::string doc = operationsMd();
  for (const char* sub : {"", "serve", "run", "exec", "lower"}) {
    const std::string help = runBinary(std::string(sub) + " --help");
    ASSERT_NE(help.find("Usage"), std::string::npos) << help;
    if (*sub != '\0') {
      EXPECT_TRUE(mentions(doc, std::string("template-worker ") + sub)) << sub;
    }
    for (const std::string& flag : flagsIn(help)) {
      if (flag == "--help") continue;
      EXPECT_TRUE(mentions(doc, "`" + flag)) << "docs/operations.md lacks " << sub << " " << flag;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// docs/operations.md: metrics

TEST(DocsReference, OperationsMdListsExactlyTheMetricsANodeExports) {
  const fs::path dir = fs::temp_directory_path() / ("tw-docs-metrics-" + std::to_string(getpid()));
  fs::remove_all(dir);
  std::string text;
  {
    service::ServiceConfig c;
    c.dataDir = dir.string();
    c.workers = 1;
    auto made = service::makeService(c);
    ASSERT_TRUE(made.ok()) << made.error().message;
    auto service = std::move(made).value();
    api::HttpConfig http;
    http.port = 0;
    http.metrics = &service->metrics();
    api::HttpServer server(http, *service);
    ASSERT_TRUE(server.start().ok());
    text = service->metricsText();
    server.stop();
  }
  fs::remove_all(dir);

  const std::string doc = operationsMd();
  std::set<std::string> exported;
  const std::string_view typeLine = "# TYPE tw_";
  for (std::size_t pos = text.find(typeLine); pos != std::string::npos; pos = text.find(typeLine, pos + 1)) {
    const std::size_t nameStart = pos + typeLine.size() - 3;  // the name starts at "tw_"
    const std::size_t n = 3 + runLength(text, nameStart + 3, isLowerOrUnderscore);
    const std::size_t typeStart = nameStart + n + 1;
    if (n == 3 || typeStart > text.size() || text[nameStart + n] != ' ') continue;
    const std::size_t t = runLength(text, typeStart, [](char c) { return c >= 'a' && c <= 'z'; });
    if (t == 0) continue;
    const std::string name = text.substr(nameStart, n);
    const std::string type = text.substr(typeStart, t);
    exported.insert(name);
    // The metric's row in the page: | `name...` | type | ...
    EXPECT_TRUE(hasMetricRow(doc, name, type)) << "docs/operations.md has no table row for " << name << " (" << type
                                               << ")";
  }
  ASSERT_GT(exported.size(), 10u);
  for (const std::string& documented : delimitedRuns(doc, "`tw_", isLowerOrUnderscore, "")) {
    const std::string named = "tw_" + documented;
    std::string name = named;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() > std::strlen(suffix) && name.ends_with(suffix) && exported.count(name) == 0) {
        name.resize(name.size() - std::strlen(suffix));
      }
    }
    EXPECT_EQ(exported.count(name), 1u) << "docs/operations.md names " << named << ", which no node exports";
  }
}

}  // namespace
}  // namespace tw::testing::docs
