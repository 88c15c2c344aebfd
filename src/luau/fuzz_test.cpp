// Random valid Luau (a small grammar-driven generator) must lower to text luac5.4 accepts, and run
// without the lowering itself failing. Catches spacing and precedence mistakes in the emitter.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "luau/luau.h"
#include "luau/test_util.h"

namespace tw::luau {
namespace {

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : state_(seed) {}

  std::string program(int statements) {
    std::string out = "local a, b, c = 1, 2.5, 'x'\nlocal t = {1, 2, 3, k = 4}\nlocal function f(...) return ... end\n";
    for (int i = 0; i < statements; ++i) out += statement(3) + "\n";
    return out;
  }

 private:
  std::uint64_t next() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return state_ >> 33;
  }
  int pick(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }

  std::string name() {
    static const char* const kNames[] = {"a", "b", "c", "goto", "_ENV", "__luau", "continue", "type", "export"};
    return kNames[pick(9)];
  }

  std::string type(int depth) {
    if (depth <= 0) return pick(2) ? "number" : "string?";
    switch (pick(7)) {
      case 0: return "{" + type(depth - 1) + "}";
      case 1: return "(" + type(depth - 1) + ", ...any) -> " + type(depth - 1);
      case 2: return type(depth - 1) + " | " + type(depth - 1);
      case 3: return "{ x: " + type(depth - 1) + ", [string]: any }";
      case 4: return "typeof(a)";
      case 5: return "\"lit\" | true";
      default: return "Array<" + type(depth - 1) + ">";
    }
  }

  std::string literal() {
    switch (pick(9)) {
      case 0: return "0";
      case 1: return "-0";
      case 2: return "3";
      case 3: return "2.5";
      case 4: return "1e300";
      case 5: return "0x10";
      case 6: return "'s'";
      case 7: return "[[long\nstring]]";
      default: return "nil";
    }
  }

  std::string expr(int depth) {
    if (depth <= 0) {
      switch (pick(4)) {
        case 0: return literal();
        case 1: return name();
        case 2: return "t.k";
        default: return "...";
      }
    }
    static const char* const kOps[] = {"+", "-", "*", "/", "//", "%", "^", "..", "==", "~=", "<", "<=", ">", ">=", "and", "or"};
    switch (pick(14)) {
      case 0:
      case 1:
      case 2: return expr(depth - 1) + " " + kOps[pick(16)] + " " + expr(depth - 1);
      case 3: return std::string(pick(2) ? "- " : pick(2) ? "not " : "# ") + expr(depth - 1);
      case 4: return "(" + expr(depth - 1) + ")";
      case 5: return "if " + expr(depth - 1) + " then " + expr(depth - 1) + (pick(2) ? " elseif " + expr(depth - 1) + " then " + expr(depth - 1) : "") + " else " + expr(depth - 1);
      case 6: return "`a{ " + expr(depth - 1) + " }b" + (pick(2) ? "{ " + expr(depth - 1) + " }" : "") + "`";
      case 7: return "f(" + expr(depth - 1) + ", " + expr(depth - 1) + ")";
      case 8: return "t[ " + expr(depth - 1) + " ]";
      case 9: return "{" + expr(depth - 1) + ", x = " + expr(depth - 1) + ", [ " + expr(depth - 1) + " ] = 1}";
      case 10: return "function(x: " + type(1) + ", ...): " + type(1) + " return x, " + expr(depth - 1) + " end";
      case 11: return "(" + expr(depth - 1) + " :: " + type(2) + ")";
      case 12: return "f<<number>>(" + expr(depth - 1) + ")";
      default: return "t:" + std::string(pick(2) ? "goto" : "m") + "(" + expr(depth - 1) + ")";
    }
  }

  std::string block(int depth, bool inLoop) {
    std::string out;
    int n = 1 + pick(3);
    for (int i = 0; i < n; ++i) out += statement(depth, inLoop) + "\n";
    if (inLoop && pick(3) == 0) out += pick(2) ? "continue\n" : "break\n";
    return out;
  }

  std::string statement(int depth, bool inLoop = false) {
    if (depth <= 0) return "a = " + expr(1);
    static const char* const kCompound[] = {"+=", "-=", "*=", "/=", "//=", "%=", "^=", "..="};
    switch (pick(13)) {
      case 0: return "local " + name() + ": " + type(2) + " = " + expr(2);
      case 1: return name() + " " + kCompound[pick(8)] + " " + expr(2);
      case 2: return "t[ " + expr(1) + " ] " + kCompound[pick(8)] + " " + expr(2);
      case 3: return "t.k " + std::string(kCompound[pick(8)]) + " " + expr(2);
      case 4: return "if " + expr(2) + " then\n" + block(depth - 1, inLoop) + "elseif " + expr(1) + " then\n" + block(depth - 1, inLoop) + "else\n" + block(depth - 1, inLoop) + "end";
      case 5: return "for i = " + expr(1) + ", " + expr(1) + " do\n" + block(depth - 1, true) + "end";
      case 6: return "for k, v in " + expr(1) + " do\n" + block(depth - 1, true) + "end";
      case 7: return "while " + expr(1) + " do\n" + block(depth - 1, true) + "end";
      // The condition reads only r, declared before any continue can skip it.
      case 8: return "repeat\nlocal r = " + expr(1) + "\n" + block(depth - 1, true) + "until r";
      case 9: return "type T" + std::to_string(pick(100)) + "<U = " + type(1) + "> = " + type(3);
      case 10: return "local " + name() + " = if " + expr(1) + " then " + expr(1) + " else " + expr(1);
      case 11: return "do\n" + block(depth - 1, inLoop) + "end";
      default: return "f(" + expr(2) + ")";
    }
  }

  std::uint64_t state_;
};

TEST(LuauFuzzTest, RandomProgramsLowerToValidLua) {
  // Many programs per luac run: each one becomes its own function, so a batch loads in one go; a
  // failing batch is then checked program by program to name the culprit.
  for (std::uint64_t batch = 0; batch < 8; ++batch) {
    std::string all;
    std::vector<std::pair<std::string, std::string>> programs;
    for (std::uint64_t i = 0; i < 100; ++i) {
      Generator gen(batch * 1000 + i + 1);
      std::string source = gen.program(8);
      SyntaxError where;
      Result<std::string> lua = lower(source, "fuzz.luau", {}, &where);
      ASSERT_TRUE(lua.ok()) << where.toString() << "\n" << source;
      all += "local function program" + std::to_string(i) + "(...)\n" + lua.value() + "\nend\n";
      programs.emplace_back(std::move(source), std::move(lua).value());
    }
    if (testing::luacAccepts(all)) continue;
    for (const auto& [source, lua] : programs) {
      std::string diagnostics;
      if (!testing::luacAccepts(lua, &diagnostics)) {
        FAIL() << diagnostics << "\n--- source:\n" << source << "\n--- lowered:\n" << lua;
      }
    }
    FAIL() << "batch " << batch << " failed only when combined";
  }
}

}  // namespace
}  // namespace tw::luau
