// AST of a Luau chunk, as much as lowering needs: types are parsed and dropped, so no type nodes exist.
// Every node records the source lines of the tokens the lowering re-emits, so the output keeps them on
// their lines. Nodes live in an Arena and are trivially destructible.
//
// Threading: immutable once built; owned by one lowering.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace tw::luau {

struct Expr;
struct Stat;

struct Name {
  std::string_view text;
  std::uint32_t line = 0;
};

struct Block {
  std::span<Stat*> stats;
};

enum class ExprKind : std::uint8_t {
  kError,
  kNil,
  kTrue,
  kFalse,
  kVararg,
  kNumber,
  kString,
  kInterp,
  kFunction,
  kTable,
  kName,
  kRaw,    // a NameExpr written verbatim: names the lowering introduces (never renamed)
  kField,  // a.b
  kIndex,  // a[b]
  kCall,   // f(...), f"...", f{...}, a:m(...)
  kParen,
  kUnary,
  kBinary,
  kIfElse,
};

enum class UnaryOp : std::uint8_t { kNeg, kNot, kLen };

enum class BinaryOp : std::uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kFloorDiv,
  kMod,
  kPow,
  kConcat,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
};

struct Expr {
  ExprKind kind;
  std::uint32_t line;  // line of the node's own token (operator, '(', '[', '.', literal, name...)
};

struct NumberExpr : Expr {
  double value;
};

struct StringExpr : Expr {
  std::string_view value;  // decoded bytes
};

// `a{x}b{y}c`: pieces = {a, b, c}, exprs = {x, y}.
struct InterpExpr : Expr {
  std::span<std::string_view> pieces;
  std::span<Expr*> exprs;
};

struct FunctionBody {
  std::span<Name> params;
  bool vararg = false;
  bool method = false;  // declared with ':', so `self` is implicit
  std::uint32_t openLine = 0;   // '('
  std::uint32_t closeLine = 0;  // ')'
  Block body;
  std::uint32_t endLine = 0;
};

struct FunctionExpr : Expr {  // line: 'function'
  FunctionBody* body;
};

enum class FieldKind : std::uint8_t { kPositional, kNamed, kKeyed };

struct TableField {
  FieldKind kind;
  Name name;                     // kNamed
  Expr* key;                     // kKeyed
  std::uint32_t keyCloseLine;    // kKeyed: line of ']'
  std::uint32_t equalsLine;      // kNamed, kKeyed
  Expr* value;
};

struct TableExpr : Expr {  // line: '{'
  std::span<TableField> fields;
  std::uint32_t closeLine;
};

struct NameExpr : Expr {
  std::string_view name;
};

struct FieldExpr : Expr {  // line: '.'
  Expr* object;
  Name field;
};

struct IndexExpr : Expr {  // line: '['
  Expr* object;
  Expr* key;
  std::uint32_t closeLine;
};

enum class ArgStyle : std::uint8_t { kParens, kString, kTable };

struct CallExpr : Expr {  // line: '(' or the string/table argument
  Expr* function;
  Name method;  // a:m(...): method.text is "m"; empty for plain calls
  std::uint32_t colonLine;
  std::span<Expr*> args;
  ArgStyle style;
  std::uint32_t closeLine;
};

struct ParenExpr : Expr {  // line: '('
  Expr* inner;
  std::uint32_t closeLine;
};

struct UnaryExpr : Expr {  // line: the operator
  UnaryOp op;
  Expr* operand;
};

struct BinaryExpr : Expr {  // line: the operator
  BinaryOp op;
  Expr* lhs;
  Expr* rhs;
};

struct IfArm {
  Expr* cond;
  Expr* value;
  std::uint32_t keywordLine;  // 'if' or 'elseif'
  std::uint32_t thenLine;
};

struct IfElseExpr : Expr {
  std::span<IfArm> arms;
  Expr* elseValue;
  std::uint32_t elseLine;
};

enum class StatKind : std::uint8_t {
  kLocal,
  kLocalFunction,
  kFunction,
  kAssign,
  kCompound,
  kCall,
  kDo,
  kWhile,
  kRepeat,
  kIf,
  kNumericFor,
  kGenericFor,
  kReturn,
  kBreak,
  kContinue,
};

struct Stat {
  StatKind kind;
  std::uint32_t line;  // line of the first token
};

struct LocalStat : Stat {
  std::span<Name> names;
  std::span<Expr*> values;
  std::uint32_t equalsLine;
};

struct LocalFunctionStat : Stat {
  std::uint32_t functionLine;
  Name name;
  FunctionBody* body;
};

struct FunctionStat : Stat {  // line: first token (an attribute or 'function')
  std::uint32_t functionLine;
  Name root;
  std::span<Name> path;  // a.b.c -> {b, c}
  Name method;           // empty unless `function a:m()`
  FunctionBody* body;
};

struct AssignStat : Stat {
  std::span<Expr*> targets;
  std::span<Expr*> values;
  std::uint32_t equalsLine;
};

struct CompoundStat : Stat {
  BinaryOp op;
  Expr* target;
  Expr* value;
  std::uint32_t opLine;
};

struct CallStat : Stat {
  Expr* call;
};

struct DoStat : Stat {
  Block body;
  std::uint32_t endLine;
};

struct WhileStat : Stat {
  Expr* cond;
  std::uint32_t doLine;
  Block body;
  std::uint32_t endLine;
  bool hasContinue;
};

struct RepeatStat : Stat {
  Block body;
  std::uint32_t untilLine;
  Expr* cond;
  bool hasContinue;
  std::uint32_t firstContinueStat;  // index in body.stats of the first statement holding a continue
};

struct IfClause {
  Expr* cond;
  std::uint32_t keywordLine;  // 'if' or 'elseif'
  std::uint32_t thenLine;
  Block body;
};

struct IfStat : Stat {
  std::span<IfClause> clauses;
  std::uint32_t elseLine;  // 0 when there is no else
  Block elseBody;
  std::uint32_t endLine;
};

struct NumericForStat : Stat {
  Name var;
  std::uint32_t equalsLine;
  Expr* start;
  Expr* limit;
  Expr* step;  // may be null
  std::uint32_t doLine;
  Block body;
  std::uint32_t endLine;
  bool hasContinue;
};

struct GenericForStat : Stat {
  std::span<Name> vars;
  std::uint32_t inLine;
  std::span<Expr*> values;
  std::uint32_t doLine;
  Block body;
  std::uint32_t endLine;
  bool hasContinue;
};

struct ReturnStat : Stat {
  std::span<Expr*> values;
};

struct BreakStat : Stat {};

struct ContinueStat : Stat {};

// A parsed chunk.
struct Chunk {
  Block body;
  std::uint32_t lastLine = 1;  // line of the end of input
};

}  // namespace tw::luau
