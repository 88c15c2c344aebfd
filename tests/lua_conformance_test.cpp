// Runs every Lua conformance file in tests/lua: each file (or directory) is a template whose handler runs
// its checks through the real runtime and returns "ok".
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/template_dir.h"
#include "support/vm_harness.h"

namespace tw::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> conformanceTemplates() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(sourceDir() / "tests" / "lua")) {
    const std::string name = entry.path().filename().string();
    if (name == "lib") continue;
    if (entry.is_directory() || entry.path().extension() == ".lua") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class LuaConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LuaConformanceTest, Passes) {
  const fs::path path = sourceDir() / "tests" / "lua" / GetParam();
  auto source = cli::readTemplate(path.string());
  ASSERT_TRUE(source.ok()) << source.error().message;
  source->files.emplace("check.lua", readText(sourceDir() / "tests" / "lua" / "lib" / "check.lua"));
  auto config = testConfig();
  config->executionTimeout = std::chrono::seconds(20);
  VmHarness harness(config);
  auto loaded = harness.load({std::move(source).value()});
  ASSERT_EQ(loaded.size(), 1u);
  ASSERT_TRUE(loaded[0].ok) << loaded[0].error.message;
  auto results = harness.dispatch("Test", R"({"n": 42, "list": [1, 2, 3], "none": null})");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok) << kindName(results[0].error.kind) << ": " << results[0].error.message;
  EXPECT_EQ(results[0].valueJson, "\"ok\"");
  EXPECT_TRUE(results[0].taskErrors.empty()) << results[0].taskErrors[0].message;
}

INSTANTIATE_TEST_SUITE_P(Files, LuaConformanceTest, ::testing::ValuesIn(conformanceTemplates()),
                         [](const auto& param) {
                           std::string n = param.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace tw::testing
