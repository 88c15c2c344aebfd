// Parser: recursive descent over the Luau grammar (luau.org/grammar), building the AST in an Arena.
// Types are parsed, validated and dropped. Recursion (and the depth of the tree, including left-nested
// operator and suffix chains) is bounded by kMaxDepth. The first error wins and turns the rest of the
// input into end-of-file, so every loop ends quickly without exceptions.
//
// Threading: owned by one thread (one lowering).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "luau/arena.h"
#include "luau/ast.h"
#include "luau/lexer.h"

namespace tw::luau {

class Parser {
 public:
  // Nesting budget: bounds the parser's (and the lowering's) recursion, so hostile input cannot exhaust
  // the C++ stack. Lua 5.4's own limit on the lowered text is enforced exactly by the lowering
  // (kMaxLuaLevels), which knows the levels its helpers add.
  static constexpr int kMaxDepth = 250;

  // REQUIRES: as for Lexer.
  Parser(std::string_view source, Arena& arena, ErrorSink& errors);

  // Returns the chunk, or null after an error (see the ErrorSink).
  Chunk* parseChunk();

 private:
  struct LoopInfo {
    std::uint32_t continues = 0;
    std::uint32_t firstContinueLine = 0;
  };
  class DepthGuard;

  // Statements.
  Block parseBlock(LoopInfo* watch = nullptr, std::uint32_t* firstWatched = nullptr);
  Stat* parseStatement();
  Stat* parseIf();
  Stat* parseWhile();
  Stat* parseDo();
  Stat* parseFor();
  Stat* parseRepeat();
  Stat* parseFunctionStat(std::uint32_t line);
  Stat* parseLocal(std::uint32_t line);
  Stat* parseReturn();
  Stat* parseBreak();
  Stat* parseExpressionStatement();
  Stat* parseAssignment(Expr* first, std::uint32_t line);
  Stat* parseCompound(Expr* target, std::uint32_t line);
  void parseTypeAlias();
  void parseAttributes();
  void parseAttributeLiteral();
  FunctionBody* parseFunctionBody(bool method, int openType, std::uint32_t openLine);
  Block parseLoopBody(LoopInfo& loop, bool& hasContinue, std::uint32_t* firstWatched = nullptr);
  void checkRepeatCondition(const RepeatStat& stat, std::uint32_t continueLine);

  // Expressions.
  Expr* parseExpr(int limit = 0);
  Expr* parseAsExpr();
  Expr* parseSimpleExpr();
  Expr* parsePrimaryExpr();
  Expr* parsePrefixExpr();
  Expr* parseCallArgs(Expr* function, Name method, std::uint32_t colonLine);
  Expr* parseTable();
  Expr* parseInterp();
  Expr* parseIfElseExpr();
  Expr* parseFunctionExpr(std::uint32_t line);
  void parseExprList();
  void skipExplicitInstantiation();

  // Types (validated and dropped).
  void parseType();
  void parseSimpleType(bool allowPack, bool* wasPack);
  void parseTableType();
  void parseParenType(bool allowPack, bool* wasPack);
  void parseReturnType();
  void parseTypeArgs();
  void parseGenericList(bool withDefaults);
  void parseTypePack();  // ...T or T...
  bool atTypePack();
  void expectCloseAngle(std::uint32_t openLine);

  // Tokens and errors.
  const Token& cur() const { return lexer_.current(); }
  void next() { lexer_.next(); }
  bool accept(int type);
  bool expect(int type, const char* context = nullptr);
  bool expectClosing(int type, int openType, std::uint32_t openLine);
  Name expectName(const char* context);
  void error(std::string message);
  void errorAt(std::uint32_t offset, std::string message);
  void enter(int cost);
  bool insideLoop() const { return loops_.size() > loopBase_; }

  template <typename T>
  std::span<T> take(std::vector<T>& scratch, std::size_t mark) {
    std::span<T> out = arena_.copy(std::span<const T>(scratch.data() + mark, scratch.size() - mark));
    scratch.resize(mark);
    return out;
  }

  Arena& arena_;
  ErrorSink& errors_;
  Lexer lexer_;
  int depth_ = 0;
  Expr* errorExpr_;
  std::vector<LoopInfo*> loops_;
  std::size_t loopBase_ = 0;
  bool varargAllowed_ = true;
  // Scratch stacks for lists under construction (LIFO across nested constructs).
  std::vector<Stat*> stats_;
  std::vector<Expr*> exprs_;
  std::vector<Name> names_;
  std::vector<TableField> fields_;
  std::vector<IfArm> arms_;
  std::vector<IfClause> clauses_;
  std::vector<std::string_view> pieces_;
};

// Line of the first token of an expression.
std::uint32_t firstLine(const Expr* expr);

// Whether `expr` reads the variable `name` (not shadowed by a parameter or local inside it).
bool readsName(const Expr* expr, std::string_view name);

}  // namespace tw::luau
