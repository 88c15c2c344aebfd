#include "luau/test_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "luau/luau.h"

namespace tw::luau::testing {
namespace {

constexpr std::string_view kDriver = R"lua(
local preludeFile, chunkFile, chunkName = ...
local f = assert(io.open(preludeFile, "rb"))
local src = f:read("a")
f:close()
local H = assert(load(src, "=luau_prelude", "t"))()
__luau = H
tostring = H.tostring
print = function(...)
  local n = select("#", ...)
  local t = {}
  for i = 1, n do t[i] = H.tostring((select(i, ...))) end
  io.write(table.concat(t, "\t"), "\n")
end
local cf = assert(io.open(chunkFile, "rb"))
local code = cf:read("a")
cf:close()
local fn, err = load(code, "@" .. chunkName, "t")
if not fn then
  io.write("LOADERROR: ", err, "\n")
  os.exit(2)
end
local ok, e = xpcall(fn, debug.traceback)
if not ok then
  io.write("ERROR: ", e, "\n")
  os.exit(1)
end
)lua";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "luau_test_XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(std::string_view name, std::string_view contents) const {
    std::string p = (std::filesystem::path(path_) / std::string(name)).string();
    std::ofstream out(p, std::ios::binary);
    out << contents;
    return p;
  }

 private:
  std::string path_;
};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

int runCommand(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string lowerOrFail(std::string_view source, std::string_view chunkName) {
  Result<std::string> lowered = lower(source, chunkName);
  if (!lowered.ok()) {
    ADD_FAILURE() << "lowering failed: " << lowered.error().message << "\nsource:\n" << source;
    return {};
  }
  return std::move(lowered).value();
}

LuaRun runLowered(std::string_view lua, std::string_view chunkName) {
  TempDir dir;
  std::string driver = dir.file("driver.lua", kDriver);
  std::string prelude = dir.file("prelude.lua", runtimePrelude());
  std::string chunk = dir.file("chunk.lua", lua);
  LuaRun run;
  run.exitCode = runCommand("lua5.4 " + shellQuote(driver) + " " + shellQuote(prelude) + " " + shellQuote(chunk) + " " +
                                shellQuote(std::string(chunkName)),
                            run.output);
  return run;
}

LuaRun runLuau(std::string_view source, std::string_view chunkName) {
  return runLowered(lowerOrFail(source, chunkName), chunkName);
}

bool luacAccepts(std::string_view lua, std::string* diagnostics) {
  TempDir dir;
  std::string chunk = dir.file("chunk.lua", lua);
  std::string output;
  int code = runCommand("luac5.4 -p " + shellQuote(chunk), output);
  if (diagnostics != nullptr) *diagnostics = output;
  return code == 0;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tw::luau::testing
