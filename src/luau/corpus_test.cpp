// Every file of tests/luau_corpus lowers, and luac5.4 accepts the result. Files with a sibling
// `<name>.expected` are also run (in lua5.4 with the prelude) and must print exactly that.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "luau/luau.h"
#include "luau/test_util.h"

namespace tw::luau {
namespace {

std::vector<std::filesystem::path> corpusFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(TW_LUAU_CORPUS_DIR)) {
    if (entry.is_regular_file() && entry.path().extension() == ".luau") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(LuauCorpusTest, EveryFileLowersAndCompiles) {
  std::vector<std::filesystem::path> files = corpusFiles();
  ASSERT_GE(files.size(), 8u);
  std::size_t lines = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    std::string source = testing::readFile(path.string());
    lines += static_cast<std::size_t>(std::count(source.begin(), source.end(), '\n'));
    Result<std::string> lua = lower(source, path.filename().string());
    ASSERT_TRUE(lua.ok()) << lua.error().message;
    std::string diagnostics;
    EXPECT_TRUE(testing::luacAccepts(lua.value(), &diagnostics)) << diagnostics;
    // Lines are kept: the output never has more lines than the source.
    EXPECT_LE(std::count(lua.value().begin(), lua.value().end(), '\n'), std::count(source.begin(), source.end(), '\n'));
  }
  EXPECT_GE(lines, 500u);
}

TEST(LuauCorpusTest, SelfCheckingFilesPrintWhatTheyShould) {
  int ran = 0;
  for (const auto& path : corpusFiles()) {
    std::filesystem::path expectedPath = path;
    expectedPath.replace_extension(".expected");
    if (!std::filesystem::exists(expectedPath)) continue;
    SCOPED_TRACE(path.string());
    testing::LuaRun run = testing::runLuau(testing::readFile(path.string()), path.filename().string());
    EXPECT_EQ(run.exitCode, 0) << run.output;
    EXPECT_EQ(run.output, testing::readFile(expectedPath.string()));
    ++ran;
  }
  EXPECT_GE(ran, 2);
}

}  // namespace
}  // namespace tw::luau
