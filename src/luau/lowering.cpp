#include "luau/lowering.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "luau/float_locals.h"
#include "luau/numfmt.h"
#include "luau/parser.h"

namespace tw::luau {
namespace {

// Helpers the output may call; each is bound to a local on line 1 only when the chunk uses it.
enum class Helper : std::uint8_t { kStr, kToStr, kInterp, kIter, kMul, kIdiv, kMod, kNeg, kBox, kUnbox, kMcall, kCount };

constexpr std::string_view kHelperField[] = {"str", "tostr", "interp", "iter", "mul", "idiv",
                                             "mod", "neg",   "box",    "unbox", "mcall"};
constexpr std::string_view kHelperLocal[] = {"__luau_str", "__luau_tostr", "__luau_interp", "__luau_iter",
                                             "__luau_mul", "__luau_idiv",  "__luau_mod",    "__luau_neg",
                                             "__luau_box", "__luau_unbox", "__luau_mcall"};
static_assert(std::size(kHelperField) == static_cast<std::size_t>(Helper::kCount));
static_assert(std::size(kHelperLocal) == static_cast<std::size_t>(Helper::kCount));

constexpr std::string_view kRenamePrefix = "__luau_r_";
constexpr std::string_view kTempTable = "__luau_t";
constexpr std::string_view kTempKey = "__luau_k";

// What the surrounding code can observe of a number:
//   kValue: everything (written as a double literal; the sign of a zero shows).
//   kInt:   an integer literal is fine (for-loop bounds); the sign of a zero still shows.
//   kKey:   an integer literal is fine and the sign of a zero is invisible: comparison operands and
//           table keys (Lua normalizes the key -0.0 to 0 as Luau treats -0 and 0 as one key).
enum class NumCtx : std::uint8_t { kValue, kInt, kKey };

inline bool intOk(NumCtx c) { return c != NumCtx::kValue; }
inline bool signFree(NumCtx c) { return c == NumCtx::kKey; }

// Two adjacent tokens need a space when their characters would merge into another token: two words
// (`local x`), `--` (a comment), `..`/`.5`, `[[`/`[=` (a long bracket), `==`-like pairs, `::`, `//`.
enum SpaceClass : std::uint8_t { kOther, kWord, kDigit, kMinus, kDot, kOpenBracket, kEqualsLike, kColon, kSlash, kClassCount };

struct SpaceTables {
  std::uint8_t cls[256] = {};
  bool need[kClassCount][kClassCount] = {};
  constexpr SpaceTables() {
    for (int c = 'a'; c <= 'z'; ++c) cls[c] = kWord;
    for (int c = 'A'; c <= 'Z'; ++c) cls[c] = kWord;
    cls[static_cast<unsigned char>('_')] = kWord;
    for (int c = '0'; c <= '9'; ++c) cls[c] = kDigit;
    cls[static_cast<unsigned char>('-')] = kMinus;
    cls[static_cast<unsigned char>('.')] = kDot;
    cls[static_cast<unsigned char>('[')] = kOpenBracket;
    cls[static_cast<unsigned char>('=')] = kEqualsLike;
    cls[static_cast<unsigned char>('<')] = kEqualsLike;
    cls[static_cast<unsigned char>('>')] = kEqualsLike;
    cls[static_cast<unsigned char>('~')] = kEqualsLike;
    cls[static_cast<unsigned char>(':')] = kColon;
    cls[static_cast<unsigned char>('/')] = kSlash;
    for (int a : {kWord, kDigit}) {
      for (int b : {kWord, kDigit}) need[a][b] = true;
    }
    need[kMinus][kMinus] = true;
    need[kDot][kDot] = true;
    need[kDot][kDigit] = true;
    need[kOpenBracket][kOpenBracket] = true;
    need[kOpenBracket][kEqualsLike] = true;  // only '[=' matters; the others never occur
    need[kEqualsLike][kEqualsLike] = true;
    need[kColon][kColon] = true;
    need[kSlash][kSlash] = true;
  }
};
constexpr SpaceTables kSpace;

// Names that Lua 5.4 reserves but Luau does not.
inline bool isLuaOnlyKeyword(std::string_view n) { return n == "goto"; }

inline bool needsRename(std::string_view n) {
  return n == "goto" || n == "_ENV" || n.substr(0, 6) == "__luau";
}

std::optional<double> numericLiteral(const Expr* e) {
  if (e->kind == ExprKind::kNumber) return static_cast<const NumberExpr*>(e)->value;
  if (e->kind == ExprKind::kUnary && static_cast<const UnaryExpr*>(e)->op == UnaryOp::kNeg) {
    if (auto v = numericLiteral(static_cast<const UnaryExpr*>(e)->operand)) return -*v;
  }
  return std::nullopt;
}

// The value is a double (never an integer) unless a metamethod decides otherwise. `floats` knows which
// locals always hold doubles (see float_locals.h).
bool knownFloat(const Expr* e, const FloatLocals& floats) {
  switch (e->kind) {
    case ExprKind::kName:
      return floats.isFloatRef(e);
    case ExprKind::kParen:
      return knownFloat(static_cast<const ParenExpr*>(e)->inner, floats);
    case ExprKind::kUnary:
      return static_cast<const UnaryExpr*>(e)->op == UnaryOp::kNeg;
    case ExprKind::kBinary: {
      auto* b = static_cast<const BinaryExpr*>(e);
      if (b->op == BinaryOp::kDiv || b->op == BinaryOp::kPow) return true;
      if (b->op == BinaryOp::kMul) return numericLiteral(b->lhs) || numericLiteral(b->rhs);
      return false;
    }
    default:
      return false;
  }
}

bool knownTruthy(const Expr* e) {
  switch (e->kind) {
    case ExprKind::kTrue:
    case ExprKind::kNumber:
    case ExprKind::kString:
    case ExprKind::kInterp:
    case ExprKind::kTable:
    case ExprKind::kFunction:
      return true;
    case ExprKind::kParen:
      return knownTruthy(static_cast<const ParenExpr*>(e)->inner);
    default:
      return numericLiteral(e).has_value();
  }
}

bool isAtomic(const Expr* e) {
  switch (e->kind) {
    case ExprKind::kBinary:
    case ExprKind::kUnary:
    case ExprKind::kIfElse:
      return false;
    default:
      return true;
  }
}

bool startsWithParen(const Expr* e) {
  for (;;) {
    switch (e->kind) {
      case ExprKind::kParen:
        return true;
      case ExprKind::kCall: {
        auto* c = static_cast<const CallExpr*>(e);
        if (!c->method.text.empty() && isLuaOnlyKeyword(c->method.text)) return false;  // becomes a helper call
        e = c->function;
        break;
      }
      case ExprKind::kField:
        e = static_cast<const FieldExpr*>(e)->object;
        break;
      case ExprKind::kIndex:
        e = static_cast<const IndexExpr*>(e)->object;
        break;
      default:
        return false;
    }
  }
}

class Emitter {
 public:
  Emitter(std::string_view source, Arena& arena, ErrorSink& errors, const FloatLocals& floats)
      : source_(source), arena_(arena), errors_(errors), floats_(floats) {
    out_.resize(source.size() + 256);
    w_ = out_.data();
    wEnd_ = w_ + out_.size();
  }

  std::string run(const Chunk& chunk) {
    block(chunk.body);
    if (errors_.failed) return {};
    if (helpersUsed_ != 0) {
      std::string names;
      std::string fields;
      for (std::size_t i = 0; i < static_cast<std::size_t>(Helper::kCount); ++i) {
        if ((helpersUsed_ & (1u << i)) == 0) continue;
        if (!names.empty()) {
          names += ", ";
          fields += ", ";
        }
        names += kHelperLocal[i];
        fields += "__luau.";
        fields += kHelperField[i];
      }
      // The helpers used are known only now; they go in front of line 1.
      std::string prologue = "local " + names + " = " + fields + "; ";
      out_.resize(static_cast<std::size_t>(w_ - out_.data()));
      out_.insert(0, prologue);
      return std::move(out_);
    }
    out_.resize(static_cast<std::size_t>(w_ - out_.data()));
    return std::move(out_);
  }

 private:
  class Level {
   public:
    Level(Emitter& e, int n, std::uint32_t line) : e_(e), n_(n) {
      e_.level_ += n;
      if (e_.level_ > kMaxLuaLevels) [[unlikely]] e_.tooDeep(line);
    }
    Level(Emitter& e, int n, const Expr* at) : e_(e), n_(n) {
      e_.level_ += n;
      if (e_.level_ > kMaxLuaLevels) [[unlikely]] e_.tooDeep(firstLine(at));
    }
    ~Level() { e_.level_ -= n_; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;

   private:
    Emitter& e_;
    int n_;
  };

  // ---- Output primitives ----

  // The output is written through a raw cursor into a pre-sized string (cheaper than appends).
  void reserve(std::size_t n) {
    if (static_cast<std::size_t>(wEnd_ - w_) >= n) [[likely]] return;
    std::size_t used = static_cast<std::size_t>(w_ - out_.data());
    out_.resize(std::max(out_.size() * 2, used + n + 256));
    w_ = out_.data() + used;
    wEnd_ = out_.data() + out_.size();
  }

  void at(std::uint32_t line) {
    if (line_ >= line) return;
    std::size_t n = line - line_;
    reserve(n);
    std::memset(w_, '\n', n);
    w_ += n;
    line_ = line;
    lastChar_ = '\n';
    lastWasNumber_ = false;
  }

  void put(std::string_view text) {
    std::uint8_t a = kSpace.cls[static_cast<unsigned char>(lastChar_)];
    std::uint8_t b = kSpace.cls[static_cast<unsigned char>(text.front())];
    // After a number, '.' or a letter would continue it (`1 ..x`, `1 and`).
    reserve(text.size() + 1);
    if (kSpace.need[a][b] || (lastWasNumber_ && (b == kDot || b == kWord))) *w_++ = ' ';
    copyText(w_, text);
    w_ += text.size();
    lastChar_ = text.back();
    lastWasNumber_ = false;
  }

  // Most tokens are a few bytes: copy those inline rather than through a memcpy call.
  static void copyText(char* dst, std::string_view text) {
    const char* src = text.data();
    switch (text.size()) {
      case 8: dst[7] = src[7]; [[fallthrough]];
      case 7: dst[6] = src[6]; [[fallthrough]];
      case 6: dst[5] = src[5]; [[fallthrough]];
      case 5: dst[4] = src[4]; [[fallthrough]];
      case 4: dst[3] = src[3]; [[fallthrough]];
      case 3: dst[2] = src[2]; [[fallthrough]];
      case 2: dst[1] = src[1]; [[fallthrough]];
      case 1: dst[0] = src[0]; [[fallthrough]];
      case 0: return;
      default: std::memcpy(dst, src, text.size());
    }
  }

  void tok(std::string_view text, std::uint32_t line) {
    at(line);
    put(text);
  }

  void putNumber(double value, bool integerOk) {
    scratch_.clear();
    appendLuaNumber(scratch_, value, integerOk);
    put(scratch_);
    lastWasNumber_ = true;
  }

  void putString(std::string_view bytes) {
    // Escaped straight into the output: at most 4 bytes per input byte, plus quotes and a space.
    reserve(bytes.size() * 4 + 3);
    std::uint8_t a = kSpace.cls[static_cast<unsigned char>(lastChar_)];
    if (kSpace.need[a][kOther] || lastWasNumber_) *w_++ = ' ';
    char* w = w_;
    *w++ = '"';
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      auto c = static_cast<unsigned char>(bytes[i]);
      if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
        *w++ = static_cast<char>(c);
        continue;
      }
      switch (c) {
        case '"': *w++ = '\\'; *w++ = '"'; continue;
        case '\\': *w++ = '\\'; *w++ = '\\'; continue;
        case '\n': *w++ = '\\'; *w++ = 'n'; continue;
        case '\r': *w++ = '\\'; *w++ = 'r'; continue;
        case '\t': *w++ = '\\'; *w++ = 't'; continue;
        default: break;
      }
      if (c < 0x80) {  // other control characters and DEL: three decimal digits, never ambiguous
        *w++ = '\\';
        *w++ = static_cast<char>('0' + c / 100);
        *w++ = static_cast<char>('0' + c / 10 % 10);
        *w++ = static_cast<char>('0' + c % 10);
        continue;
      }
      std::size_t n = utf8Length(bytes, i);
      if (n == 0) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        *w++ = '\\';
        *w++ = 'x';
        *w++ = kHex[c >> 4];
        *w++ = kHex[c & 15];
      } else {
        std::memcpy(w, bytes.data() + i, n);
        w += n;
        i += n - 1;
      }
    }
    *w++ = '"';
    w_ = w;
    lastChar_ = '"';
    lastWasNumber_ = false;
  }

  // Length of the valid UTF-8 sequence at bytes[i] (a byte >= 0x80), or 0.
  static std::size_t utf8Length(std::string_view bytes, std::size_t i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    std::size_t n = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > bytes.size()) return 0;
    std::uint32_t code = n == 2 ? (b & 0x1Fu) : n == 3 ? (b & 0x0Fu) : (b & 0x07u);
    for (std::size_t k = 1; k < n; ++k) {
      auto cb = static_cast<unsigned char>(bytes[i + k]);
      if ((cb & 0xC0) != 0x80) return 0;
      code = (code << 6) | (cb & 0x3Fu);
    }
    if ((n == 2 && code < 0x80) || (n == 3 && code < 0x800) || (n == 4 && code < 0x10000) || code > 0x10FFFF ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return 0;
    }
    return n;
  }

  std::string_view helper(Helper h) {
    helpersUsed_ |= 1u << static_cast<unsigned>(h);
    return kHelperLocal[static_cast<std::size_t>(h)];
  }

  void name(std::string_view n, std::uint32_t line) {
    at(line);
    if (needsRename(n)) {
      scratch_.assign(kRenamePrefix);
      scratch_ += n;
      put(scratch_);
    } else {
      put(n);
    }
  }

  void tooDeep(std::uint32_t line) {
    if (errors_.failed) return;
    std::uint32_t current = 1;
    std::size_t offset = 0;
    while (current < line && offset < source_.size()) {
      if (source_[offset] == '\n') ++current;
      ++offset;
    }
    while (offset < source_.size() && (source_[offset] == ' ' || source_[offset] == '\t')) ++offset;
    errors_.report(static_cast<std::uint32_t>(offset), "too many nested syntax levels for Lua 5.4 once lowered (the limit is " +
                                                           std::to_string(kMaxLuaLevels) + "); simplify this code");
  }

  Expr* raw(std::string_view text) {
    auto* e = arena_.make<NameExpr>();
    e->kind = ExprKind::kRaw;
    e->line = 0;
    e->name = text;
    return e;
  }

  // ---- Statements ----

  void block(const Block& b) {
    for (const Stat* s : b.stats) stat(s);
  }

  void stat(const Stat* s) {
    Level level(*this, 1, s->line);
    switch (s->kind) {
      case StatKind::kLocal: {
        auto* x = static_cast<const LocalStat*>(s);
        if (x->names.size() == 1 && x->values.size() == 1 && boxedIfElse(x->values[0]) &&
            !readsName(x->values[0], x->names[0].text)) {
          // local v = if c then a else b  ->  local v if c then v = a else v = b end
          tok("local", s->line);
          name(x->names[0].text, x->names[0].line);
          ifElseStatement(static_cast<const IfElseExpr*>(x->values[0]), IfTarget::kAssign, x->names[0].text);
          return;
        }
        if (x->names.size() == 1 && x->values.size() == 1 && floats_.isFloatLocal(&x->names[0])) {
          if (const Expr* divisor = inPlaceModDivisor(x->values[0], x->names[0].text)) {
            tok("local", s->line);
            name(x->names[0].text, x->names[0].line);
            tok("=", x->equalsLine);
            exprTop(modDividend(x->values[0]), NumCtx::kValue);
            put(";");
            inPlaceModTail(x->names[0].text, divisor);
            return;
          }
        }
        tok("local", s->line);
        for (std::size_t i = 0; i < x->names.size(); ++i) {
          if (i != 0) put(",");
          name(x->names[i].text, x->names[i].line);
        }
        if (!x->values.empty()) {
          tok("=", x->equalsLine);
          exprList(x->values, NumCtx::kValue);
        }
        return;
      }
      case StatKind::kLocalFunction: {
        auto* x = static_cast<const LocalFunctionStat*>(s);
        tok("local", s->line);
        tok("function", x->functionLine);
        name(x->name.text, x->name.line);
        functionBody(x->body, /*selfParam=*/false);
        return;
      }
      case StatKind::kFunction:
        functionStat(static_cast<const FunctionStat*>(s));
        return;
      case StatKind::kAssign: {
        auto* x = static_cast<const AssignStat*>(s);
        if (x->targets.size() == 1 && x->values.size() == 1 && x->targets[0]->kind == ExprKind::kName &&
            boxedIfElse(x->values[0])) {
          at(s->line);
          ifElseStatement(static_cast<const IfElseExpr*>(x->values[0]), IfTarget::kAssign,
                          static_cast<const NameExpr*>(x->targets[0])->name);
          return;
        }
        if (x->targets.size() == 1 && x->values.size() == 1 && x->targets[0]->kind == ExprKind::kName &&
            floats_.isFloatRef(x->targets[0])) {
          std::string_view target = static_cast<const NameExpr*>(x->targets[0])->name;
          if (const Expr* divisor = inPlaceModDivisor(x->values[0], target)) {
            expr(x->targets[0], NumCtx::kValue);
            tok("=", x->equalsLine);
            exprTop(modDividend(x->values[0]), NumCtx::kValue);
            put(";");
            inPlaceModTail(target, divisor);
            return;
          }
        }
        if (startsWithParen(x->targets[0])) tok(";", s->line);
        for (std::size_t i = 0; i < x->targets.size(); ++i) {
          if (i != 0) put(",");
          expr(x->targets[i], NumCtx::kValue);
        }
        tok("=", x->equalsLine);
        exprList(x->values, NumCtx::kValue);
        return;
      }
      case StatKind::kCompound:
        compound(static_cast<const CompoundStat*>(s));
        return;
      case StatKind::kCall: {
        auto* x = static_cast<const CallStat*>(s);
        if (startsWithParen(x->call)) tok(";", s->line);
        expr(x->call, NumCtx::kValue);
        return;
      }
      case StatKind::kDo: {
        auto* x = static_cast<const DoStat*>(s);
        tok("do", s->line);
        block(x->body);
        tok("end", x->endLine);
        return;
      }
      case StatKind::kWhile: {
        auto* x = static_cast<const WhileStat*>(s);
        tok("while", s->line);
        exprTop(x->cond, NumCtx::kValue);
        tok("do", x->doLine);
        loopBody(x->body, x->hasContinue);
        tok("end", x->endLine);
        return;
      }
      case StatKind::kRepeat:
        repeat(static_cast<const RepeatStat*>(s));
        return;
      case StatKind::kIf: {
        auto* x = static_cast<const IfStat*>(s);
        for (std::size_t i = 0; i < x->clauses.size(); ++i) {
          const IfClause& c = x->clauses[i];
          tok(i == 0 ? "if" : "elseif", c.keywordLine);
          exprTop(c.cond, NumCtx::kValue);
          tok("then", c.thenLine);
          block(c.body);
        }
        if (x->elseLine != 0) {
          tok("else", x->elseLine);
          block(x->elseBody);
        }
        tok("end", x->endLine);
        return;
      }
      case StatKind::kNumericFor: {
        auto* x = static_cast<const NumericForStat*>(s);
        tok("for", s->line);
        name(x->var.text, x->var.line);
        tok("=", x->equalsLine);
        exprTop(x->start, NumCtx::kInt);
        put(",");
        exprTop(x->limit, NumCtx::kInt);
        if (x->step != nullptr) {
          put(",");
          exprTop(x->step, NumCtx::kInt);
        }
        tok("do", x->doLine);
        loopBody(x->body, x->hasContinue);
        tok("end", x->endLine);
        return;
      }
      case StatKind::kGenericFor: {
        auto* x = static_cast<const GenericForStat*>(s);
        tok("for", s->line);
        for (std::size_t i = 0; i < x->vars.size(); ++i) {
          if (i != 0) put(",");
          name(x->vars[i].text, x->vars[i].line);
        }
        tok("in", x->inLine);
        // Generalized iteration: __iter, plain tables, or the classic f, s, c triple.
        at(firstLine(x->values[0]));
        put(helper(Helper::kIter));
        put("(");
        {
          Level call(*this, 1, s->line);
          exprList(x->values, NumCtx::kValue);
        }
        put(")");
        tok("do", x->doLine);
        loopBody(x->body, x->hasContinue);
        tok("end", x->endLine);
        return;
      }
      case StatKind::kReturn: {
        auto* x = static_cast<const ReturnStat*>(s);
        if (x->values.size() == 1 && boxedIfElse(x->values[0])) {
          at(s->line);
          ifElseStatement(static_cast<const IfElseExpr*>(x->values[0]), IfTarget::kReturn, {});
          return;
        }
        tok("return", s->line);
        exprList(x->values, NumCtx::kValue);
        return;
      }
      case StatKind::kBreak:
        tok("break", s->line);
        return;
      case StatKind::kContinue:
        if (labels_.back() == kContinueIsBreak) {
          tok("break", s->line);
          return;
        }
        tok("goto", s->line);
        put(label(labels_.back()));
        return;
    }
  }

  // An if-expression that the expression form would box (some value may be false or nil).
  static bool boxedIfElse(const Expr* e) {
    if (e->kind != ExprKind::kIfElse) return false;
    for (const IfArm& arm : static_cast<const IfElseExpr*>(e)->arms) {
      if (!knownTruthy(arm.value)) return true;
    }
    return false;
  }

  enum class IfTarget : std::uint8_t { kAssign, kReturn };

  // `v = if c then a else b` and `return if c then a else b` as an if statement on the same lines:
  // if c then v = a else v = b end. Each branch yields exactly one value, as in Luau.
  void ifElseStatement(const IfElseExpr* x, IfTarget target, std::string_view var) {
    auto branch = [&](const Expr* value) {
      Level body(*this, 1, value);
      if (target == IfTarget::kReturn) {
        put("return");
      } else {
        name(var, 0);
        put("=");
      }
      if (isCallOrVararg(value) && target == IfTarget::kReturn) {
        at(firstLine(value));
        put("(");
        exprTop(value, NumCtx::kValue);
        put(")");
      } else {
        exprTop(value, NumCtx::kValue);
      }
    };
    for (std::size_t i = 0; i < x->arms.size(); ++i) {
      const IfArm& arm = x->arms[i];
      tok(i == 0 ? "if" : "elseif", arm.keywordLine);
      exprTop(arm.cond, NumCtx::kValue);
      tok("then", arm.thenLine);
      branch(arm.value);
    }
    tok("else", x->elseLine);
    branch(x->elseValue);
    put("end");
  }

  static bool isCallOrVararg(const Expr* e) { return e->kind == ExprKind::kCall || e->kind == ExprKind::kVararg; }

  std::string_view label(std::uint32_t id) {
    labelText_ = "__luau_c" + std::to_string(id);
    return labelText_;
  }

  // True when `b` holds a `break` of the loop whose body it is (not one of a nested loop).
  static bool breaksLoop(const Block& b) {
    for (const Stat* s : b.stats) {
      switch (s->kind) {
        case StatKind::kBreak:
          return true;
        case StatKind::kDo:
          if (breaksLoop(static_cast<const DoStat*>(s)->body)) return true;
          break;
        case StatKind::kIf: {
          auto* x = static_cast<const IfStat*>(s);
          for (const IfClause& c : x->clauses) {
            if (breaksLoop(c.body)) return true;
          }
          if (breaksLoop(x->elseBody)) return true;
          break;
        }
        default:
          break;
      }
    }
    return false;
  }

  // A loop body with a continue. When the loop has no break of its own, the body goes in a
  // `repeat ... until true` block and each continue is a `break` out of it: Lua 5.4 compiles
  // `if c then break end` into a single conditional jump, while `if c then goto l end` costs a second
  // jump on every iteration. Otherwise the body ends in the label the continues jump to; a label after
  // the last statement of a block is outside the scope of the block's locals in Lua 5.4, so the goto is
  // legal even when locals are declared after it.
  void loopBody(const Block& body, bool hasContinue) {
    if (hasContinue && !breaksLoop(body)) {
      labels_.push_back(kContinueIsBreak);
      put("repeat");
      {
        Level inner(*this, 1, body.stats.empty() ? 0 : body.stats.front()->line);
        for (const Stat* s : body.stats) stat(s);
      }
      put("until true");
      labels_.pop_back();
      return;
    }
    std::uint32_t id = hasContinue ? ++labelCounter_ : 0;
    labels_.push_back(id);
    for (std::size_t i = 0; i < body.stats.size(); ++i) {
      const Stat* s = body.stats[i];
      if (hasContinue && i + 1 == body.stats.size() && s->kind == StatKind::kReturn) {
        // `return` must end a block: keep it in its own so the label can follow.
        tok("do", s->line);
        {
          Level inner(*this, 1, s->line);
          stat(s);
        }
        put("end");
      } else {
        stat(s);
      }
    }
    if (hasContinue) {
      scratch_ = "::";
      scratch_ += label(id);
      scratch_ += "::";
      put(scratch_);
    }
    labels_.pop_back();
  }

  // repeat ... until: the condition sees the body's locals, so the continue label cannot sit before
  // `until` in the body's scope. The statements from the first one holding a continue go into an inner
  // do-block and the label follows it; the parser has checked that the condition reads no local
  // declared in that block.
  void repeat(const RepeatStat* x) {
    tok("repeat", x->line);
    std::uint32_t id = x->hasContinue ? ++labelCounter_ : 0;
    labels_.push_back(id);
    std::size_t split = x->hasContinue ? x->firstContinueStat : x->body.stats.size();
    for (std::size_t i = 0; i < split && i < x->body.stats.size(); ++i) stat(x->body.stats[i]);
    if (x->hasContinue) {
      put("do");
      {
        Level inner(*this, 1, x->line);
        for (std::size_t i = split; i < x->body.stats.size(); ++i) stat(x->body.stats[i]);
      }
      put("end");
      scratch_ = "::";
      scratch_ += label(id);
      scratch_ += "::";
      put(scratch_);
    }
    labels_.pop_back();
    tok("until", x->untilLine);
    exprTop(x->cond, NumCtx::kValue);
  }

  void functionStat(const FunctionStat* x) {
    bool keywordField = isLuaOnlyKeyword(x->method.text);
    for (const Name& n : x->path) keywordField = keywordField || isLuaOnlyKeyword(n.text);
    if (!keywordField) {
      tok("function", x->functionLine);
      name(x->root.text, x->root.line);
      for (const Name& n : x->path) {
        put(".");
        tok(n.text, n.line);
      }
      if (!x->method.text.empty()) {
        put(":");
        tok(x->method.text, x->method.line);
      }
      functionBody(x->body, /*selfParam=*/false);
      return;
    }
    // `function t.goto()` is not Lua: assign a function expression to the field instead.
    at(x->functionLine);
    name(x->root.text, x->root.line);
    auto field = [this](const Name& n) {
      at(n.line);
      if (isLuaOnlyKeyword(n.text)) {
        put("[");
        putString(n.text);
        put("]");
      } else {
        put(".");
        put(n.text);
      }
    };
    for (const Name& n : x->path) field(n);
    if (!x->method.text.empty()) field(x->method);
    put("=");
    {
      Level value(*this, 1, x->functionLine);
      put("function");
      functionBody(x->body, /*selfParam=*/!x->method.text.empty());
    }
  }

  void functionBody(const FunctionBody* body, bool selfParam) {
    tok("(", body->openLine);
    bool first = true;
    if (selfParam) {
      put("self");
      first = false;
    }
    for (const Name& p : body->params) {
      if (!first) put(",");
      name(p.text, p.line);
      first = false;
    }
    if (body->vararg) {
      if (!first) put(",");
      put("...");
    }
    tok(")", body->closeLine);
    // Loops do not cross function boundaries.
    std::vector<std::uint32_t> outer;
    outer.swap(labels_);
    block(body->body);
    labels_.swap(outer);
    tok("end", body->endLine);
  }

  // `x = a % m` (also `local x = a % m` and `x %= m`) where x always holds a double (FloatLocals) and m
  // is another such local or a literal: Luau's modulo a - floor(a / m) * m is computed in place, as
  // `x=a;x=x-x//m*m`: the operations of the mod helper, in the same order, without the call. Since x
  // holds doubles only, a and m are numbers and no metamethod can run. Lua's float `x // m` is
  // floor(x / m), so the tail is `x=x-x//m*m`. Returns the divisor, or null when the statement does not
  // qualify.
  const Expr* inPlaceModDivisor(const Expr* value, std::string_view target) const {
    while (value->kind == ExprKind::kParen) value = static_cast<const ParenExpr*>(value)->inner;
    if (value->kind != ExprKind::kBinary || static_cast<const BinaryExpr*>(value)->op != BinaryOp::kMod) return nullptr;
    const Expr* d = static_cast<const BinaryExpr*>(value)->rhs;
    while (d->kind == ExprKind::kParen) d = static_cast<const ParenExpr*>(d)->inner;
    if (numericLiteral(d)) return d;
    if (d->kind == ExprKind::kName && floats_.isFloatRef(d) && static_cast<const NameExpr*>(d)->name != target) {
      return d;
    }
    return nullptr;
  }

  // The modulo's dividend of an in-place `x = a % m` (the left operand, through parentheses).
  static const Expr* modDividend(const Expr* value) {
    while (value->kind == ExprKind::kParen) value = static_cast<const ParenExpr*>(value)->inner;
    return static_cast<const BinaryExpr*>(value)->lhs;
  }

  // Writes `x=x-x//m*m` on the current line.
  void inPlaceModTail(std::string_view target, const Expr* divisor) {
    auto putDivisor = [&] {
      if (auto v = numericLiteral(divisor)) {
        putNumber(*v, false);
      } else {
        name(static_cast<const NameExpr*>(divisor)->name, 0);
      }
    };
    name(target, 0);
    put("=");
    name(target, 0);
    put("-");
    name(target, 0);
    put("//");
    putDivisor();
    put("*");
    putDivisor();
  }

  // Compound assignment: the target's table and key are evaluated once, then read, then the value is
  // evaluated, then the result is stored (Luau's order).
  void compound(const CompoundStat* x) {
    const Expr* target = x->target;
    const Expr* value = x->value;
    if (x->op == BinaryOp::kMod && target->kind == ExprKind::kName && floats_.isFloatRef(target)) {
      std::string_view targetName = static_cast<const NameExpr*>(target)->name;
      const Expr* divisor = value;
      while (divisor->kind == ExprKind::kParen) divisor = static_cast<const ParenExpr*>(divisor)->inner;
      if (numericLiteral(divisor) ||
          (divisor->kind == ExprKind::kName && floats_.isFloatRef(divisor) &&
           static_cast<const NameExpr*>(divisor)->name != targetName)) {
        at(target->line);
        inPlaceModTail(targetName, divisor);
        return;
      }
    }
    // Operators written natively need the value parenthesized: `a -= b - c` is `a = a - (b - c)`.
    const bool someDouble = numericLiteral(value) || knownFloat(value) || knownFloat(target);
    bool native = x->op == BinaryOp::kAdd || x->op == BinaryOp::kSub || x->op == BinaryOp::kDiv || x->op == BinaryOp::kPow ||
                  (x->op == BinaryOp::kMul && someDouble) || (x->op == BinaryOp::kFloorDiv && someDouble);
    if (native && !isAtomic(value) && !numericLiteral(value)) {
      auto* paren = arena_.make<ParenExpr>();
      paren->kind = ExprKind::kParen;
      paren->line = firstLine(value);
      paren->inner = const_cast<Expr*>(value);
      paren->closeLine = 0;
      value = paren;
    }
    auto binary = [&](Expr* read) {
      auto* b = arena_.make<BinaryExpr>();
      b->kind = ExprKind::kBinary;
      b->line = x->opLine;
      b->op = x->op;
      b->lhs = read;
      b->rhs = const_cast<Expr*>(value);
      return b;
    };
    if (target->kind == ExprKind::kName) {
      expr(target, NumCtx::kValue);
      put("=");
      Level rhs(*this, 1, x->line);
      expr(binary(const_cast<Expr*>(target)), NumCtx::kValue);
      return;
    }
    // A plain name or literal can be read twice unobserved: then no temporaries (and errors name the
    // author's variable).
    auto simple = [](const Expr* e) {
      return e->kind == ExprKind::kName || e->kind == ExprKind::kString || e->kind == ExprKind::kNumber ||
             e->kind == ExprKind::kTrue || e->kind == ExprKind::kFalse;
    };
    if ((target->kind == ExprKind::kField && simple(static_cast<const FieldExpr*>(target)->object)) ||
        (target->kind == ExprKind::kIndex && simple(static_cast<const IndexExpr*>(target)->object) &&
         simple(static_cast<const IndexExpr*>(target)->key))) {
      expr(target, NumCtx::kValue);
      put("=");
      Level rhs(*this, 1, x->line);
      expr(binary(const_cast<Expr*>(target)), NumCtx::kValue);
      return;
    }
    tok("do", x->line);
    Level inner(*this, 1, x->line);
    put("local");
    if (target->kind == ExprKind::kField) {
      auto* field = static_cast<const FieldExpr*>(target);
      put(kTempTable);
      put("=");
      exprTop(field->object, NumCtx::kValue);
      put(";");
      auto* read = arena_.make<FieldExpr>();
      read->kind = ExprKind::kField;
      read->line = 0;
      read->object = raw(kTempTable);
      read->field = Name{field->field.text, 0};
      Level assign(*this, 1, x->line);
      expr(read, NumCtx::kValue);
      put("=");
      Level rhs(*this, 1, x->line);
      expr(binary(read), NumCtx::kValue);
    } else {
      auto* index = static_cast<const IndexExpr*>(target);
      put(kTempTable);
      put(",");
      put(kTempKey);
      put("=");
      exprTop(index->object, NumCtx::kValue);
      put(",");
      exprTop(index->key, NumCtx::kKey);
      put(";");
      auto* read = arena_.make<IndexExpr>();
      read->kind = ExprKind::kIndex;
      read->line = 0;
      read->object = raw(kTempTable);
      read->key = raw(kTempKey);
      read->closeLine = 0;
      Level assign(*this, 1, x->line);
      expr(read, NumCtx::kValue);
      put("=");
      Level rhs(*this, 1, x->line);
      expr(binary(read), NumCtx::kValue);
    }
    put("end");
  }

  // ---- Expressions ----

  void exprList(std::span<Expr* const> list, NumCtx ctx) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i != 0) put(",");
      exprTop(list[i], ctx);
    }
  }

  // An expression Lua parses with a fresh subexpression level (call arguments, keys, values...).
  void exprTop(const Expr* e, NumCtx ctx) {
    Level level(*this, 1, e);
    expr(e, ctx);
  }

  void expr(const Expr* e, NumCtx ctx) {
    switch (e->kind) {
      case ExprKind::kError:
      case ExprKind::kNil:
        tok("nil", e->line);
        return;
      case ExprKind::kTrue:
        tok("true", e->line);
        return;
      case ExprKind::kFalse:
        tok("false", e->line);
        return;
      case ExprKind::kVararg:
        tok("...", e->line);
        return;
      case ExprKind::kNumber:
        at(e->line);
        putNumber(static_cast<const NumberExpr*>(e)->value, intOk(ctx));
        return;
      case ExprKind::kString:
        at(e->line);
        putString(static_cast<const StringExpr*>(e)->value);
        return;
      case ExprKind::kInterp:
        interp(static_cast<const InterpExpr*>(e));
        return;
      case ExprKind::kFunction:
        tok("function", e->line);
        functionBody(static_cast<const FunctionExpr*>(e)->body, /*selfParam=*/false);
        return;
      case ExprKind::kTable:
        table(static_cast<const TableExpr*>(e));
        return;
      case ExprKind::kName:
        name(static_cast<const NameExpr*>(e)->name, e->line);
        return;
      case ExprKind::kRaw:
        tok(static_cast<const NameExpr*>(e)->name, e->line);
        return;
      case ExprKind::kField: {
        auto* x = static_cast<const FieldExpr*>(e);
        expr(x->object, NumCtx::kValue);
        if (isLuaOnlyKeyword(x->field.text)) {
          tok("[", e->line);
          putString(x->field.text);
          put("]");
        } else {
          tok(".", e->line);
          tok(x->field.text, x->field.line);
        }
        return;
      }
      case ExprKind::kIndex: {
        auto* x = static_cast<const IndexExpr*>(e);
        expr(x->object, NumCtx::kValue);
        tok("[", e->line);
        exprTop(x->key, NumCtx::kKey);
        tok("]", x->closeLine);
        return;
      }
      case ExprKind::kCall:
        call(static_cast<const CallExpr*>(e));
        return;
      case ExprKind::kParen: {
        auto* x = static_cast<const ParenExpr*>(e);
        tok("(", e->line);
        exprTop(x->inner, ctx);
        tok(")", x->closeLine);
        return;
      }
      case ExprKind::kUnary:
        unary(static_cast<const UnaryExpr*>(e), ctx);
        return;
      case ExprKind::kBinary:
        binary(static_cast<const BinaryExpr*>(e), ctx);
        return;
      case ExprKind::kIfElse:
        ifElse(static_cast<const IfElseExpr*>(e), ctx);
        return;
    }
  }

  void call(const CallExpr* x) {
    bool method = !x->method.text.empty();
    if (method && isLuaOnlyKeyword(x->method.text)) {
      // obj:goto(...) is not Lua: a helper evaluates obj once and calls obj["goto"](obj, ...).
      at(firstLine(x->function));
      put(helper(Helper::kMcall));
      put("(");
      exprTop(x->function, NumCtx::kValue);
      put(",");
      putString(x->method.text);
      for (const Expr* a : x->args) {
        put(",");
        exprTop(a, NumCtx::kValue);
      }
      tok(")", x->closeLine);
      return;
    }
    expr(x->function, NumCtx::kValue);
    if (method) {
      tok(":", x->colonLine);
      tok(x->method.text, x->method.line);
    }
    switch (x->style) {
      case ArgStyle::kParens:
        tok("(", x->line);
        exprList(x->args, NumCtx::kValue);
        tok(")", x->closeLine);
        return;
      case ArgStyle::kString:
        at(x->line);
        putString(static_cast<const StringExpr*>(x->args[0])->value);
        return;
      case ArgStyle::kTable:
        table(static_cast<const TableExpr*>(x->args[0]));
        return;
    }
  }

  void table(const TableExpr* x) {
    tok("{", x->line);
    for (std::size_t i = 0; i < x->fields.size(); ++i) {
      const TableField& f = x->fields[i];
      if (i != 0) put(",");
      switch (f.kind) {
        case FieldKind::kPositional:
          exprTop(f.value, NumCtx::kValue);
          break;
        case FieldKind::kNamed:
          at(f.name.line);
          if (isLuaOnlyKeyword(f.name.text)) {
            put("[");
            putString(f.name.text);
            put("]");
          } else {
            put(f.name.text);
          }
          tok("=", f.equalsLine);
          exprTop(f.value, NumCtx::kValue);
          break;
        case FieldKind::kKeyed:
          tok("[", firstLine(f.key));
          exprTop(f.key, NumCtx::kKey);
          tok("]", f.keyCloseLine);
          tok("=", f.equalsLine);
          exprTop(f.value, NumCtx::kValue);
          break;
      }
    }
    tok("}", x->closeLine);
  }

  void interp(const InterpExpr* x) {
    if (x->exprs.size() == 1) {
      // One expression: tostring it right after evaluating it, then join the pieces.
      bool before = !x->pieces[0].empty();
      bool after = !x->pieces[1].empty();
      if (!before && !after) {
        at(x->line);
        put(helper(Helper::kToStr));
        put("(");
        exprTop(x->exprs[0], NumCtx::kValue);
        put(")");
        return;
      }
      tok("(", x->line);
      Level inner(*this, 2, x->line);
      if (before) {
        putString(x->pieces[0]);
        put("..");
      }
      put(helper(Helper::kToStr));
      put("(");
      exprTop(x->exprs[0], NumCtx::kValue);
      put(")");
      if (after) {
        put("..");
        putString(x->pieces[1]);
      }
      put(")");
      return;
    }
    // Several: all expressions are evaluated first, then each is converted in order, as in Luau.
    at(x->line);
    put(helper(Helper::kInterp));
    put("(");
    for (std::size_t i = 0; i < x->pieces.size(); ++i) {
      if (i != 0) put(",");
      putString(x->pieces[i]);
      if (i < x->exprs.size()) {
        put(",");
        exprTop(x->exprs[i], NumCtx::kValue);
      }
    }
    put(")");
  }

  void unary(const UnaryExpr* x, NumCtx ctx) {
    switch (x->op) {
      case UnaryOp::kNeg:
        if (auto v = numericLiteral(x)) {
          at(x->line);
          putNumber(*v, intOk(ctx));
        } else if (signFree(ctx)) {
          // Only an integer zero behaves differently, by its sign, which nothing here can see.
          tok("-", x->line);
          exprTop(x->operand, ctx);
        } else if (knownFloat(x->operand)) {
          tok("-", x->line);
          exprTop(x->operand, NumCtx::kValue);
        } else {
          // An integer zero would lose its sign (Luau's -0).
          at(x->line);
          put(helper(Helper::kNeg));
          put("(");
          exprTop(x->operand, NumCtx::kValue);
          put(")");
        }
        return;
      case UnaryOp::kNot:
        tok("not", x->line);
        exprTop(x->operand, NumCtx::kValue);
        return;
      case UnaryOp::kLen:
        tok("#", x->line);
        exprTop(x->operand, NumCtx::kValue);
        return;
    }
  }

  void native(const BinaryExpr* x, std::string_view op, NumCtx lhsCtx, NumCtx rhsCtx) {
    expr(x->lhs, lhsCtx);
    tok(op, x->line);
    exprTop(x->rhs, rhsCtx);
  }

  void helperCall(Helper h, const BinaryExpr* x) {
    at(firstLine(x->lhs));
    put(helper(h));
    put("(");
    exprTop(x->lhs, NumCtx::kValue);
    put(",");
    exprTop(x->rhs, NumCtx::kValue);
    put(")");
  }

  void binary(const BinaryExpr* x, NumCtx ctx) {
    std::optional<double> litL = numericLiteral(x->lhs);
    std::optional<double> litR = numericLiteral(x->rhs);
    switch (x->op) {
      case BinaryOp::kAdd:
      case BinaryOp::kSub: {
        // i + 1 stays an integer (array indices); additive growth cannot reach 2^53 in practice.
        NumCtx l = (litL && !litR) ? NumCtx::kInt : ctx;
        NumCtx r = (litR && !litL) ? NumCtx::kInt : ctx;
        native(x, x->op == BinaryOp::kAdd ? "+" : "-", l, r);
        return;
      }
      case BinaryOp::kMul:
        // A literal operand is written as a float (and a known double stays one), so the product is a
        // double and cannot wrap.
        if (litL || litR || knownFloat(x->lhs) || knownFloat(x->rhs)) {
          native(x, "*", NumCtx::kValue, NumCtx::kValue);
        } else {
          helperCall(Helper::kMul, x);
        }
        return;
      case BinaryOp::kDiv:
        native(x, "/", NumCtx::kValue, NumCtx::kValue);
        return;
      case BinaryOp::kPow:
        native(x, "^", NumCtx::kValue, NumCtx::kValue);
        return;
      case BinaryOp::kFloorDiv:
        if (litR) {
          // A positive integral divisor keeps integer floor division exact and sign-correct; any other
          // literal is written as a float so the division is Luau's floor(a / b) (inf, nan, -0).
          bool intOk = *litR > 0 && writesAsInteger(*litR, true);
          native(x, "//", NumCtx::kValue, intOk ? NumCtx::kInt : NumCtx::kValue);
        } else if (litL || knownFloat(x->lhs) || knownFloat(x->rhs)) {
          // One operand is a double (a literal is written as one): Lua's float floor division is Luau's
          // floor(a / b), and a metamethod runs as it would in Luau.
          native(x, "//", NumCtx::kValue, NumCtx::kValue);
        } else {
          helperCall(Helper::kIdiv, x);
        }
        return;
      case BinaryOp::kMod:
        if (litL && litR && *litR != 0 && std::isfinite(*litL) && std::isfinite(*litR)) {
          double a = *litL;
          double b = *litR;
          double r = a - std::floor(a / b) * b;  // Luau's definition
          at(firstLine(x->lhs));
          putNumber(r, intOk(ctx));
        } else if (signFree(ctx) && litR && *litR > 0 && writesAsInteger(*litR, true)) {
          // i % 2 == 0: with a positive integral divisor Lua's % gives Luau's value except for the sign
          // of a zero result, which a comparison or a key cannot see.
          native(x, "%", ctx, NumCtx::kInt);
        } else {
          helperCall(Helper::kMod, x);
        }
        return;
      case BinaryOp::kConcat:
        concat(x);
        return;
      case BinaryOp::kEq:
        native(x, "==", NumCtx::kKey, NumCtx::kKey);
        return;
      case BinaryOp::kNe:
        native(x, "~=", NumCtx::kKey, NumCtx::kKey);
        return;
      case BinaryOp::kLt:
        native(x, "<", NumCtx::kKey, NumCtx::kKey);
        return;
      case BinaryOp::kLe:
        native(x, "<=", NumCtx::kKey, NumCtx::kKey);
        return;
      case BinaryOp::kGt:
        native(x, ">", NumCtx::kKey, NumCtx::kKey);
        return;
      case BinaryOp::kGe:
        native(x, ">=", NumCtx::kKey, NumCtx::kKey);
        return;
      case BinaryOp::kAnd:
        native(x, "and", ctx, ctx);
        return;
      case BinaryOp::kOr:
        native(x, "or", ctx, ctx);
        return;
    }
  }

  // a .. b .. c: numbers become text as Luau writes them. Strings and interpolations are already text;
  // anything else goes through the str helper, which converts numbers and passes other values through
  // (so __concat still sees tables).
  void concat(const BinaryExpr* x) {
    concatOperand(x->lhs);
    tok("..", x->line);
    Level level(*this, 1, x->line);
    if (x->rhs->kind == ExprKind::kBinary && static_cast<const BinaryExpr*>(x->rhs)->op == BinaryOp::kConcat) {
      concat(static_cast<const BinaryExpr*>(x->rhs));
    } else {
      concatOperand(x->rhs);
    }
  }

  void concatOperand(const Expr* x) {
    if (x->kind == ExprKind::kString) {
      expr(x, NumCtx::kValue);
      return;
    }
    if (auto v = numericLiteral(x)) {
      at(firstLine(x));
      putString(luauNumberToString(*v));
      return;
    }
    if (x->kind == ExprKind::kInterp) {
      expr(x, NumCtx::kValue);
      return;
    }
    at(firstLine(x));
    put(helper(Helper::kStr));
    put("(");
    exprTop(x, NumCtx::kValue);
    put(")");
  }

  // if c then a elseif d then b else e. When every chosen value is known to be truthy the and/or idiom
  // is exact: (c and a or d and b or e). Otherwise values are boxed so false and nil survive the `or`:
  // unbox(c and box(a) or d and box(b) or e). Only the taken branch is evaluated, in Luau's order.
  void ifElse(const IfElseExpr* x, NumCtx ctx) {
    bool truthy = true;
    for (const IfArm& arm : x->arms) truthy = truthy && knownTruthy(arm.value);
    if (truthy) {
      tok("(", x->arms[0].keywordLine);
    } else {
      at(x->arms[0].keywordLine);
      put(helper(Helper::kUnbox));
      put("(");
    }
    Level outer(*this, 1, x->arms[0].keywordLine);
    for (std::size_t i = 0; i < x->arms.size(); ++i) {
      const IfArm& arm = x->arms[i];
      if (i != 0) tok("or", arm.keywordLine);
      Level armLevel(*this, i != 0 ? 1 : 0, arm.keywordLine);
      const Expr* cond = arm.cond;
      if (cond->kind == ExprKind::kBinary && static_cast<const BinaryExpr*>(cond)->op == BinaryOp::kOr) {
        at(firstLine(cond));
        put("(");
        exprTop(cond, NumCtx::kValue);
        put(")");
      } else {
        expr(cond, NumCtx::kValue);
      }
      tok("and", arm.thenLine);
      Level valueLevel(*this, 1, arm.thenLine);
      if (truthy) {
        expr(arm.value, ctx);
      } else {
        at(firstLine(arm.value));
        put(helper(Helper::kBox));
        put("(");
        exprTop(arm.value, ctx);
        put(")");
      }
    }
    tok("or", x->elseLine);
    {
      Level elseLevel(*this, 1, x->elseLine);
      expr(x->elseValue, ctx);
    }
    put(")");
  }

  bool knownFloat(const Expr* e) const { return tw::luau::knownFloat(e, floats_); }

  std::string_view source_;
  Arena& arena_;
  ErrorSink& errors_;
  const FloatLocals& floats_;
  std::string out_;
  char* w_ = nullptr;
  char* wEnd_ = nullptr;
  std::string scratch_;
  std::string labelText_;
  std::uint32_t line_ = 1;
  char lastChar_ = '\n';
  bool lastWasNumber_ = false;
  std::uint32_t helpersUsed_ = 0;
  std::uint32_t labelCounter_ = 0;
  std::vector<std::uint32_t> labels_;  // per enclosing loop: its continue label, or kContinueIsBreak
  static constexpr std::uint32_t kContinueIsBreak = 0xFFFFFFFFu;
  int level_ = 0;
};

}  // namespace

std::string emitLua(const Chunk& chunk, std::string_view source, Arena& arena, ErrorSink& errors) {
  const FloatLocals floats(chunk);
  Emitter emitter(source, arena, errors, floats);
  return emitter.run(chunk);
}

}  // namespace tw::luau
