#include "luau/parser.h"

#include <optional>
#include <utility>

namespace tw::luau {
namespace {

struct Priority {
  int left;
  int right;
};

// Indexed by BinaryOp; the same priorities as Luau (and Lua 5.1).
constexpr Priority kPriority[] = {
    {6, 6}, {6, 6}, {7, 7}, {7, 7}, {7, 7}, {7, 7},  // + - * / // %
    {10, 9}, {5, 4},                                 // ^ .. (right associative)
    {3, 3}, {3, 3}, {3, 3}, {3, 3}, {3, 3}, {3, 3},  // == ~= < <= > >=
    {2, 2}, {1, 1},                                  // and or
};
constexpr int kUnaryPriority = 8;

std::optional<BinaryOp> binaryOpOf(int type) {
  switch (type) {
    case '+': return BinaryOp::kAdd;
    case '-': return BinaryOp::kSub;
    case '*': return BinaryOp::kMul;
    case '/': return BinaryOp::kDiv;
    case kTokFloorDiv: return BinaryOp::kFloorDiv;
    case '%': return BinaryOp::kMod;
    case '^': return BinaryOp::kPow;
    case kTokConcat: return BinaryOp::kConcat;
    case kTokEq: return BinaryOp::kEq;
    case kTokNe: return BinaryOp::kNe;
    case '<': return BinaryOp::kLt;
    case kTokLe: return BinaryOp::kLe;
    case '>': return BinaryOp::kGt;
    case kTokGe: return BinaryOp::kGe;
    case kTokAnd: return BinaryOp::kAnd;
    case kTokOr: return BinaryOp::kOr;
    default: return std::nullopt;
  }
}

std::optional<BinaryOp> compoundOpOf(int type) {
  switch (type) {
    case kTokAddAssign: return BinaryOp::kAdd;
    case kTokSubAssign: return BinaryOp::kSub;
    case kTokMulAssign: return BinaryOp::kMul;
    case kTokDivAssign: return BinaryOp::kDiv;
    case kTokFloorDivAssign: return BinaryOp::kFloorDiv;
    case kTokModAssign: return BinaryOp::kMod;
    case kTokPowAssign: return BinaryOp::kPow;
    case kTokConcatAssign: return BinaryOp::kConcat;
    default: return std::nullopt;
  }
}

std::string tokenName(int type) {
  if (type < 256) return std::string("'") + static_cast<char>(type) + "'";
  switch (type) {
    case kTokEof: return "<eof>";
    case kTokName: return "a name";
    case kTokNumber: return "a number";
    case kTokString: return "a string";
    case kTokAnd: return "'and'";
    case kTokBreak: return "'break'";
    case kTokDo: return "'do'";
    case kTokElse: return "'else'";
    case kTokElseif: return "'elseif'";
    case kTokEnd: return "'end'";
    case kTokFalse: return "'false'";
    case kTokFor: return "'for'";
    case kTokFunction: return "'function'";
    case kTokIf: return "'if'";
    case kTokIn: return "'in'";
    case kTokLocal: return "'local'";
    case kTokNil: return "'nil'";
    case kTokNot: return "'not'";
    case kTokOr: return "'or'";
    case kTokRepeat: return "'repeat'";
    case kTokReturn: return "'return'";
    case kTokThen: return "'then'";
    case kTokTrue: return "'true'";
    case kTokUntil: return "'until'";
    case kTokWhile: return "'while'";
    case kTokArrow: return "'->'";
    case kTokDots: return "'...'";
    default: return "a token";
  }
}

bool blockFollow(int type) {
  return type == kTokEof || type == kTokEnd || type == kTokElse || type == kTokElseif || type == kTokUntil;
}

bool isCallOrVararg(const Expr* e) { return e->kind == ExprKind::kCall || e->kind == ExprKind::kVararg; }

// Does `expr` (or a function inside it) read one of `names` where the name is not shadowed?
class FreeNameFinder {
 public:
  explicit FreeNameFinder(std::span<const Name> names) : names_(names) {}

  const Name* find(const Expr* e) {
    visitExpr(e);
    return found_;
  }

 private:
  bool shadowed(std::string_view n) const {
    for (std::string_view s : shadow_) {
      if (s == n) return true;
    }
    return false;
  }

  void visitExpr(const Expr* e) {
    if (found_ != nullptr || e == nullptr) return;
    switch (e->kind) {
      case ExprKind::kName: {
        auto* n = static_cast<const NameExpr*>(e);
        if (shadowed(n->name)) return;
        for (const Name& candidate : names_) {
          if (candidate.text == n->name) {
            found_ = &candidate;
            return;
          }
        }
        return;
      }
      case ExprKind::kInterp:
        for (const Expr* x : static_cast<const InterpExpr*>(e)->exprs) visitExpr(x);
        return;
      case ExprKind::kFunction:
        visitFunction(static_cast<const FunctionExpr*>(e)->body);
        return;
      case ExprKind::kTable:
        for (const TableField& f : static_cast<const TableExpr*>(e)->fields) {
          visitExpr(f.key);
          visitExpr(f.value);
        }
        return;
      case ExprKind::kField:
        visitExpr(static_cast<const FieldExpr*>(e)->object);
        return;
      case ExprKind::kIndex:
        visitExpr(static_cast<const IndexExpr*>(e)->object);
        visitExpr(static_cast<const IndexExpr*>(e)->key);
        return;
      case ExprKind::kCall: {
        auto* c = static_cast<const CallExpr*>(e);
        visitExpr(c->function);
        for (const Expr* a : c->args) visitExpr(a);
        return;
      }
      case ExprKind::kParen:
        visitExpr(static_cast<const ParenExpr*>(e)->inner);
        return;
      case ExprKind::kUnary:
        visitExpr(static_cast<const UnaryExpr*>(e)->operand);
        return;
      case ExprKind::kBinary:
        visitExpr(static_cast<const BinaryExpr*>(e)->lhs);
        visitExpr(static_cast<const BinaryExpr*>(e)->rhs);
        return;
      case ExprKind::kIfElse: {
        auto* x = static_cast<const IfElseExpr*>(e);
        for (const IfArm& arm : x->arms) {
          visitExpr(arm.cond);
          visitExpr(arm.value);
        }
        visitExpr(x->elseValue);
        return;
      }
      default:
        return;
    }
  }

  void visitFunction(const FunctionBody* body) {
    std::size_t mark = shadow_.size();
    if (body->method) shadow_.push_back("self");
    for (const Name& p : body->params) shadow_.push_back(p.text);
    visitBlock(body->body);
    shadow_.resize(mark);
  }

  void visitBlock(const Block& block) {
    std::size_t mark = shadow_.size();
    for (const Stat* s : block.stats) visitStat(s);
    shadow_.resize(mark);
  }

  void visitStat(const Stat* s) {
    if (found_ != nullptr) return;
    switch (s->kind) {
      case StatKind::kLocal: {
        auto* x = static_cast<const LocalStat*>(s);
        for (const Expr* v : x->values) visitExpr(v);
        for (const Name& n : x->names) shadow_.push_back(n.text);
        return;
      }
      case StatKind::kLocalFunction: {
        auto* x = static_cast<const LocalFunctionStat*>(s);
        shadow_.push_back(x->name.text);
        visitFunction(x->body);
        return;
      }
      case StatKind::kFunction: {
        auto* x = static_cast<const FunctionStat*>(s);
        if (!shadowed(x->root.text)) {
          for (const Name& candidate : names_) {
            if (candidate.text == x->root.text) found_ = &candidate;
          }
        }
        visitFunction(x->body);
        return;
      }
      case StatKind::kAssign: {
        auto* x = static_cast<const AssignStat*>(s);
        for (const Expr* t : x->targets) visitExpr(t);
        for (const Expr* v : x->values) visitExpr(v);
        return;
      }
      case StatKind::kCompound:
        visitExpr(static_cast<const CompoundStat*>(s)->target);
        visitExpr(static_cast<const CompoundStat*>(s)->value);
        return;
      case StatKind::kCall:
        visitExpr(static_cast<const CallStat*>(s)->call);
        return;
      case StatKind::kDo:
        visitBlock(static_cast<const DoStat*>(s)->body);
        return;
      case StatKind::kWhile:
        visitExpr(static_cast<const WhileStat*>(s)->cond);
        visitBlock(static_cast<const WhileStat*>(s)->body);
        return;
      case StatKind::kRepeat: {
        auto* x = static_cast<const RepeatStat*>(s);
        std::size_t mark = shadow_.size();
        for (const Stat* inner : x->body.stats) visitStat(inner);
        visitExpr(x->cond);
        shadow_.resize(mark);
        return;
      }
      case StatKind::kIf: {
        auto* x = static_cast<const IfStat*>(s);
        for (const IfClause& c : x->clauses) {
          visitExpr(c.cond);
          visitBlock(c.body);
        }
        visitBlock(x->elseBody);
        return;
      }
      case StatKind::kNumericFor: {
        auto* x = static_cast<const NumericForStat*>(s);
        visitExpr(x->start);
        visitExpr(x->limit);
        visitExpr(x->step);
        std::size_t mark = shadow_.size();
        shadow_.push_back(x->var.text);
        visitBlock(x->body);
        shadow_.resize(mark);
        return;
      }
      case StatKind::kGenericFor: {
        auto* x = static_cast<const GenericForStat*>(s);
        for (const Expr* v : x->values) visitExpr(v);
        std::size_t mark = shadow_.size();
        for (const Name& n : x->vars) shadow_.push_back(n.text);
        visitBlock(x->body);
        shadow_.resize(mark);
        return;
      }
      case StatKind::kReturn:
        for (const Expr* v : static_cast<const ReturnStat*>(s)->values) visitExpr(v);
        return;
      case StatKind::kBreak:
      case StatKind::kContinue:
        return;
    }
  }

  std::span<const Name> names_;
  std::vector<std::string_view> shadow_;
  const Name* found_ = nullptr;
};

}  // namespace

bool readsName(const Expr* expr, std::string_view name) {
  Name target{name, 0};
  FreeNameFinder finder(std::span<const Name>(&target, 1));
  return finder.find(expr) != nullptr;
}

std::uint32_t firstLine(const Expr* e) {
  for (;;) {
    switch (e->kind) {
      case ExprKind::kBinary:
        e = static_cast<const BinaryExpr*>(e)->lhs;
        break;
      case ExprKind::kCall:
        e = static_cast<const CallExpr*>(e)->function;
        break;
      case ExprKind::kField:
        e = static_cast<const FieldExpr*>(e)->object;
        break;
      case ExprKind::kIndex:
        e = static_cast<const IndexExpr*>(e)->object;
        break;
      case ExprKind::kIfElse:
        return static_cast<const IfElseExpr*>(e)->arms[0].keywordLine;
      default:
        return e->line;
    }
  }
}

class Parser::DepthGuard {
 public:
  DepthGuard(Parser& parser, int cost) : parser_(parser), saved_(parser.depth_) { parser.enter(cost); }
  ~DepthGuard() { parser_.depth_ = saved_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Parser& parser_;
  int saved_;
};

Parser::Parser(std::string_view source, Arena& arena, ErrorSink& errors)
    : arena_(arena), errors_(errors), lexer_(source, arena, errors) {
  errorExpr_ = arena_.make<Expr>(Expr{ExprKind::kError, 0});
  stats_.reserve(64);
  exprs_.reserve(64);
  names_.reserve(32);
}

void Parser::enter(int cost) {
  depth_ += cost;
  if (depth_ > kMaxDepth && !errors_.failed) {
    error("too many nested syntax levels (the limit is " + std::to_string(kMaxDepth) + "); simplify the code");
  }
}

void Parser::errorAt(std::uint32_t offset, std::string message) {
  errors_.report(offset, std::move(message));
  lexer_.abort();
}

void Parser::error(std::string message) {
  if (errors_.failed) {
    lexer_.abort();
    return;
  }
  errorAt(cur().offset, std::move(message) + " near " + lexer_.describe(cur()));
}

bool Parser::accept(int type) {
  if (cur().type != type) return false;
  next();
  return true;
}

bool Parser::expect(int type, const char* context) {
  if (cur().type == type) {
    next();
    return true;
  }
  std::string message = "expected " + tokenName(type);
  if (context != nullptr) message += std::string(" ") + context;
  error(std::move(message));
  return false;
}

bool Parser::expectClosing(int type, int openType, std::uint32_t openLine) {
  if (cur().type == type) {
    next();
    return true;
  }
  if (cur().line == openLine) {
    error("expected " + tokenName(type));
  } else {
    error("expected " + tokenName(type) + " (to close " + tokenName(openType) + " at line " + std::to_string(openLine) + ")");
  }
  return false;
}

Name Parser::expectName(const char* context) {
  Name name{cur().text, cur().line};
  if (cur().type != kTokName) {
    error(std::string("expected a name") + (context != nullptr ? std::string(" for ") + context : std::string()));
    return Name{"_", cur().line};
  }
  next();
  return name;
}

Chunk* Parser::parseChunk() {
  Block body = parseBlock();
  if (cur().type != kTokEof) error("expected <eof>");
  if (errors_.failed) return nullptr;
  return arena_.make<Chunk>(Chunk{body, cur().line});
}

Block Parser::parseBlock(LoopInfo* watch, std::uint32_t* firstWatched) {
  std::size_t mark = stats_.size();
  std::uint32_t index = 0;
  while (!blockFollow(cur().type)) {
    if (accept(';')) continue;  // empty statements
    std::uint32_t continuesBefore = watch != nullptr ? watch->continues : 0;
    Stat* stat = parseStatement();
    if (watch != nullptr && firstWatched != nullptr && watch->continues != continuesBefore && *firstWatched == UINT32_MAX) {
      *firstWatched = index;
    }
    accept(';');
    if (stat == nullptr) continue;  // erased (type alias)
    stats_.push_back(stat);
    ++index;
    if (stat->kind == StatKind::kReturn || stat->kind == StatKind::kBreak || stat->kind == StatKind::kContinue) {
      if (!blockFollow(cur().type)) {
        const char* what = stat->kind == StatKind::kReturn ? "'return'" : stat->kind == StatKind::kBreak ? "'break'" : "'continue'";
        error(std::string(what) + " must be the last statement of its block");
      }
      break;
    }
  }
  return Block{take(stats_, mark)};
}

Stat* Parser::parseStatement() {
  DepthGuard guard(*this, 1);
  switch (cur().type) {
    case kTokIf: return parseIf();
    case kTokWhile: return parseWhile();
    case kTokDo: return parseDo();
    case kTokFor: return parseFor();
    case kTokRepeat: return parseRepeat();
    case kTokFunction: return parseFunctionStat(cur().line);
    case kTokLocal: return parseLocal(cur().line);
    case kTokReturn: return parseReturn();
    case kTokBreak: return parseBreak();
    case kTokAttribute:
    case kTokAttributeOpen: {
      std::uint32_t line = cur().line;
      parseAttributes();
      if (cur().type == kTokFunction) return parseFunctionStat(line);
      if (cur().type == kTokLocal && lexer_.peek().type == kTokFunction) return parseLocal(line);
      error("expected 'function' or 'local function' after attributes");
      return nullptr;
    }
    default:
      return parseExpressionStatement();
  }
}

Stat* Parser::parseIf() {
  std::uint32_t line = cur().line;
  std::size_t mark = clauses_.size();
  // Clauses are kept on the scratch stack while their bodies (which may hold other ifs) are parsed.
  do {
    std::uint32_t keywordLine = cur().line;
    next();  // if / elseif
    Expr* cond = parseExpr();
    std::uint32_t thenLine = cur().line;
    expect(kTokThen);
    Block body = parseBlock();
    clauses_.push_back(IfClause{cond, keywordLine, thenLine, body});
  } while (cur().type == kTokElseif);
  std::uint32_t elseLine = 0;
  Block elseBody;
  if (cur().type == kTokElse) {
    elseLine = cur().line;
    next();
    elseBody = parseBlock();
  }
  std::uint32_t endLine = cur().line;
  expectClosing(kTokEnd, kTokIf, line);
  auto* stat = arena_.make<IfStat>();
  stat->kind = StatKind::kIf;
  stat->line = line;
  stat->clauses = take(clauses_, mark);
  stat->elseLine = elseLine;
  stat->elseBody = elseBody;
  stat->endLine = endLine;
  return stat;
}

Block Parser::parseLoopBody(LoopInfo& loop, bool& hasContinue, std::uint32_t* firstWatched) {
  loops_.push_back(&loop);
  Block body = parseBlock(&loop, firstWatched);
  loops_.pop_back();
  hasContinue = loop.continues != 0;
  return body;
}

Stat* Parser::parseWhile() {
  std::uint32_t line = cur().line;
  next();
  Expr* cond = parseExpr();
  std::uint32_t doLine = cur().line;
  expect(kTokDo);
  LoopInfo loop;
  bool hasContinue = false;
  Block body = parseLoopBody(loop, hasContinue);
  std::uint32_t endLine = cur().line;
  expectClosing(kTokEnd, kTokWhile, line);
  auto* stat = arena_.make<WhileStat>();
  stat->kind = StatKind::kWhile;
  stat->line = line;
  stat->cond = cond;
  stat->doLine = doLine;
  stat->body = body;
  stat->endLine = endLine;
  stat->hasContinue = hasContinue;
  return stat;
}

Stat* Parser::parseDo() {
  std::uint32_t line = cur().line;
  next();
  Block body = parseBlock();
  std::uint32_t endLine = cur().line;
  expectClosing(kTokEnd, kTokDo, line);
  auto* stat = arena_.make<DoStat>();
  stat->kind = StatKind::kDo;
  stat->line = line;
  stat->body = body;
  stat->endLine = endLine;
  return stat;
}

Stat* Parser::parseFor() {
  std::uint32_t line = cur().line;
  next();
  Name first = expectName("the loop variable");
  if (accept(':')) parseType();
  if (cur().type == '=') {
    std::uint32_t equalsLine = cur().line;
    next();
    Expr* start = parseExpr();
    expect(',', "in the numeric for range");
    Expr* limit = parseExpr();
    Expr* step = nullptr;
    if (accept(',')) step = parseExpr();
    std::uint32_t doLine = cur().line;
    expect(kTokDo);
    LoopInfo loop;
    bool hasContinue = false;
    Block body = parseLoopBody(loop, hasContinue);
    std::uint32_t endLine = cur().line;
    expectClosing(kTokEnd, kTokFor, line);
    auto* stat = arena_.make<NumericForStat>();
    stat->kind = StatKind::kNumericFor;
    stat->line = line;
    stat->var = first;
    stat->equalsLine = equalsLine;
    stat->start = start;
    stat->limit = limit;
    stat->step = step;
    stat->doLine = doLine;
    stat->body = body;
    stat->endLine = endLine;
    stat->hasContinue = hasContinue;
    return stat;
  }
  std::size_t nameMark = names_.size();
  names_.push_back(first);
  while (accept(',')) {
    names_.push_back(expectName("a loop variable"));
    if (accept(':')) parseType();
  }
  std::span<Name> vars = take(names_, nameMark);
  std::uint32_t inLine = cur().line;
  expect(kTokIn, "or '=' in the for loop");
  std::size_t exprMark = exprs_.size();
  parseExprList();
  std::span<Expr*> values = take(exprs_, exprMark);
  std::uint32_t doLine = cur().line;
  expect(kTokDo);
  LoopInfo loop;
  bool hasContinue = false;
  Block body = parseLoopBody(loop, hasContinue);
  std::uint32_t endLine = cur().line;
  expectClosing(kTokEnd, kTokFor, line);
  auto* stat = arena_.make<GenericForStat>();
  stat->kind = StatKind::kGenericFor;
  stat->line = line;
  stat->vars = vars;
  stat->inLine = inLine;
  stat->values = values;
  stat->doLine = doLine;
  stat->body = body;
  stat->endLine = endLine;
  stat->hasContinue = hasContinue;
  return stat;
}

Stat* Parser::parseRepeat() {
  std::uint32_t line = cur().line;
  next();
  LoopInfo loop;
  bool hasContinue = false;
  std::uint32_t firstContinueStat = UINT32_MAX;
  Block body = parseLoopBody(loop, hasContinue, &firstContinueStat);
  std::uint32_t untilLine = cur().line;
  expectClosing(kTokUntil, kTokRepeat, line);
  Expr* cond = parseExpr();
  auto* stat = arena_.make<RepeatStat>();
  stat->kind = StatKind::kRepeat;
  stat->line = line;
  stat->body = body;
  stat->untilLine = untilLine;
  stat->cond = cond;
  stat->hasContinue = hasContinue;
  stat->firstContinueStat = firstContinueStat;
  if (hasContinue && !errors_.failed) checkRepeatCondition(*stat, loop.firstContinueLine);
  return stat;
}

void Parser::checkRepeatCondition(const RepeatStat& stat, std::uint32_t continueLine) {
  // A continue jumps to the condition; locals declared after the statement holding it would be
  // uninitialized there, so Luau rejects conditions that read them.
  std::size_t mark = names_.size();
  for (std::size_t i = stat.firstContinueStat + 1; i < stat.body.stats.size(); ++i) {
    const Stat* s = stat.body.stats[i];
    if (s->kind == StatKind::kLocal) {
      for (const Name& n : static_cast<const LocalStat*>(s)->names) names_.push_back(n);
    } else if (s->kind == StatKind::kLocalFunction) {
      names_.push_back(static_cast<const LocalFunctionStat*>(s)->name);
    }
  }
  if (names_.size() > mark) {
    FreeNameFinder finder(std::span<const Name>(names_.data() + mark, names_.size() - mark));
    if (const Name* used = finder.find(stat.cond)) {
      // Report at the start of the condition's line; nodes keep lines only.
      std::string_view src = lexer_.source();
      std::uint32_t line = 1;
      std::uint32_t offset = 0;
      while (line < stat.untilLine && offset < src.size()) {
        if (src[offset] == '\n') ++line;
        ++offset;
      }
      std::size_t untilPos = src.find("until", offset);
      errorAt(static_cast<std::uint32_t>(untilPos == std::string_view::npos ? offset : untilPos),
              "local '" + std::string(used->text) + "' (line " + std::to_string(used->line) +
                  ") is used in the repeat..until condition but the 'continue' on line " + std::to_string(continueLine) +
                  " can skip its declaration");
    }
  }
  names_.resize(mark);
}

Stat* Parser::parseFunctionStat(std::uint32_t line) {
  std::uint32_t functionLine = cur().line;
  next();  // function
  Name root = expectName("the function");
  std::size_t mark = names_.size();
  while (accept('.')) names_.push_back(expectName("the function field"));
  Name method{};
  if (accept(':')) method = expectName("the method");
  std::span<Name> path = take(names_, mark);
  FunctionBody* body = parseFunctionBody(!method.text.empty(), kTokFunction, functionLine);
  auto* stat = arena_.make<FunctionStat>();
  stat->kind = StatKind::kFunction;
  stat->line = line;
  stat->functionLine = functionLine;
  stat->root = root;
  stat->path = path;
  stat->method = method;
  stat->body = body;
  return stat;
}

FunctionBody* Parser::parseFunctionBody(bool method, int openType, std::uint32_t openLine) {
  if (cur().type == '<') parseGenericList(/*withDefaults=*/false);
  auto* body = arena_.make<FunctionBody>();
  body->method = method;
  body->openLine = cur().line;
  expect('(', "to start the parameter list");
  std::size_t mark = names_.size();
  if (cur().type != ')') {
    for (;;) {
      if (cur().type == kTokDots) {
        next();
        body->vararg = true;
        if (accept(':')) {
          if (cur().type == kTokName && lexer_.peek().type == kTokDots) {
            next();
            next();
          } else {
            parseType();
          }
        }
        break;
      }
      names_.push_back(expectName("a parameter"));
      if (accept(':')) parseType();
      if (!accept(',')) break;
    }
  }
  body->params = take(names_, mark);
  body->closeLine = cur().line;
  expect(')', "to close the parameter list");
  if (cur().type == ':') {
    next();
    parseReturnType();
  } else if (cur().type == kTokArrow) {
    error("function return types are written after ':' instead of '->'");
  }
  // A function body has its own loops and varargs.
  std::size_t savedBase = loopBase_;
  loopBase_ = loops_.size();
  bool savedVararg = varargAllowed_;
  varargAllowed_ = body->vararg;
  body->body = parseBlock();
  varargAllowed_ = savedVararg;
  loopBase_ = savedBase;
  body->endLine = cur().line;
  expectClosing(kTokEnd, openType, openLine);
  return body;
}

Stat* Parser::parseLocal(std::uint32_t line) {
  next();  // local
  if (cur().type == kTokFunction) {
    std::uint32_t functionLine = cur().line;
    next();
    Name name = expectName("the local function");
    FunctionBody* body = parseFunctionBody(false, kTokFunction, functionLine);
    auto* stat = arena_.make<LocalFunctionStat>();
    stat->kind = StatKind::kLocalFunction;
    stat->line = line;
    stat->functionLine = functionLine;
    stat->name = name;
    stat->body = body;
    return stat;
  }
  std::size_t nameMark = names_.size();
  do {
    names_.push_back(expectName("the local variable"));
    if (accept(':')) parseType();
  } while (accept(','));
  std::span<Name> names = take(names_, nameMark);
  std::uint32_t equalsLine = 0;
  std::span<Expr*> values;
  if (cur().type == '=') {
    equalsLine = cur().line;
    next();
    std::size_t exprMark = exprs_.size();
    parseExprList();
    values = take(exprs_, exprMark);
  }
  auto* stat = arena_.make<LocalStat>();
  stat->kind = StatKind::kLocal;
  stat->line = line;
  stat->names = names;
  stat->values = values;
  stat->equalsLine = equalsLine;
  return stat;
}

Stat* Parser::parseReturn() {
  std::uint32_t line = cur().line;
  next();
  std::size_t mark = exprs_.size();
  if (!blockFollow(cur().type) && cur().type != ';') parseExprList();
  auto* stat = arena_.make<ReturnStat>();
  stat->kind = StatKind::kReturn;
  stat->line = line;
  stat->values = take(exprs_, mark);
  return stat;
}

Stat* Parser::parseBreak() {
  std::uint32_t line = cur().line;
  if (!insideLoop()) {
    error("'break' outside a loop");
    return nullptr;
  }
  next();
  auto* stat = arena_.make<BreakStat>();
  stat->kind = StatKind::kBreak;
  stat->line = line;
  return stat;
}

Stat* Parser::parseExpressionStatement() {
  std::uint32_t line = cur().line;
  std::uint32_t startOffset = cur().offset;
  Expr* expr = parsePrimaryExpr();
  if (expr->kind == ExprKind::kCall) {
    auto* stat = arena_.make<CallStat>();
    stat->kind = StatKind::kCall;
    stat->line = line;
    stat->call = expr;
    return stat;
  }
  if (cur().type == ',' || cur().type == '=') return parseAssignment(expr, line);
  if (compoundOpOf(cur().type)) return parseCompound(expr, line);
  if (expr->kind == ExprKind::kName) {
    std::string_view ident = static_cast<NameExpr*>(expr)->name;
    if (ident == "type" && (cur().type == kTokName || cur().type == kTokFunction)) {
      parseTypeAlias();
      return nullptr;
    }
    if (ident == "export" && cur().type == kTokName && cur().text == "type") {
      next();
      parseTypeAlias();
      return nullptr;
    }
    if (ident == "continue") {
      if (!insideLoop()) {
        errorAt(startOffset, "'continue' outside a loop");
        return nullptr;
      }
      LoopInfo* loop = loops_.back();
      if (loop->continues++ == 0) loop->firstContinueLine = line;
      auto* stat = arena_.make<ContinueStat>();
      stat->kind = StatKind::kContinue;
      stat->line = line;
      return stat;
    }
  }
  if (expr->kind == ExprKind::kError) return nullptr;
  if (cur().type == kTokInterpBegin || cur().type == kTokInterpSimple) {
    error("an interpolated string must be wrapped in parentheses to be a call argument");
  } else {
    error("expected an assignment or a function call");
  }
  return nullptr;
}

Stat* Parser::parseAssignment(Expr* first, std::uint32_t line) {
  std::size_t mark = exprs_.size();
  Expr* target = first;
  for (;;) {
    if (target->kind != ExprKind::kName && target->kind != ExprKind::kField && target->kind != ExprKind::kIndex) {
      error("only variables and fields can be assigned to");
      break;
    }
    exprs_.push_back(target);
    if (!accept(',')) break;
    target = parsePrimaryExpr();
  }
  std::span<Expr*> targets = take(exprs_, mark);
  std::uint32_t equalsLine = cur().line;
  expect('=', "in the assignment");
  parseExprList();
  std::span<Expr*> values = take(exprs_, mark);
  auto* stat = arena_.make<AssignStat>();
  stat->kind = StatKind::kAssign;
  stat->line = line;
  stat->targets = targets;
  stat->values = values;
  stat->equalsLine = equalsLine;
  return stat;
}

Stat* Parser::parseCompound(Expr* target, std::uint32_t line) {
  if (target->kind != ExprKind::kName && target->kind != ExprKind::kField && target->kind != ExprKind::kIndex) {
    error("only variables and fields can be assigned to");
    return nullptr;
  }
  BinaryOp op = *compoundOpOf(cur().type);
  std::uint32_t opLine = cur().line;
  next();
  Expr* value = parseExpr();
  auto* stat = arena_.make<CompoundStat>();
  stat->kind = StatKind::kCompound;
  stat->line = line;
  stat->op = op;
  stat->target = target;
  stat->value = value;
  stat->opLine = opLine;
  return stat;
}

void Parser::parseTypeAlias() {
  // After `type` (and `export`).
  if (cur().type == kTokFunction) {
    std::uint32_t functionLine = cur().line;
    next();
    expectName("the type function");
    parseFunctionBody(false, kTokFunction, functionLine);  // runs in the type checker only: dropped
    return;
  }
  expectName("the type alias");
  if (cur().type == '<') parseGenericList(/*withDefaults=*/true);
  expect('=', "in the type alias");
  parseType();
}

void Parser::parseAttributeLiteral() {
  switch (cur().type) {
    case kTokNil:
    case kTokTrue:
    case kTokFalse:
    case kTokNumber:
    case kTokString:
      next();
      return;
    case '{': {
      DepthGuard guard(*this, 1);
      std::uint32_t line = cur().line;
      next();
      while (cur().type != '}' && cur().type != kTokEof) {
        if (cur().type == kTokName && lexer_.peek().type == '=') {
          next();
          next();
        }
        parseAttributeLiteral();
        if (!accept(',') && !accept(';')) break;
      }
      expectClosing('}', '{', line);
      return;
    }
    default:
      error("expected a literal in the attribute arguments");
  }
}

void Parser::parseAttributes() {
  while (cur().type == kTokAttribute || cur().type == kTokAttributeOpen) {
    if (cur().type == kTokAttribute) {
      next();
      continue;
    }
    std::uint32_t line = cur().line;
    next();  // @[
    do {
      expectName("the attribute");
      if (cur().type == '(') {
        std::uint32_t open = cur().line;
        next();
        if (cur().type != ')') {
          do {
            parseAttributeLiteral();
          } while (accept(','));
        }
        expectClosing(')', '(', open);
      } else if (cur().type == '{' || cur().type == kTokString) {
        parseAttributeLiteral();
      }
    } while (accept(','));
    expectClosing(']', '[', line);
  }
}

// ---------------------------------------------------------------------------------------------------
// Expressions

void Parser::parseExprList() {
  exprs_.push_back(parseExpr());
  while (accept(',')) exprs_.push_back(parseExpr());
}

Expr* Parser::parseExpr(int limit) {
  DepthGuard guard(*this, 1);
  Expr* expr = nullptr;
  int type = cur().type;
  if (type == kTokNot || type == '-' || type == '#') {
    std::uint32_t line = cur().line;
    next();
    Expr* operand = parseExpr(kUnaryPriority);
    auto* unary = arena_.make<UnaryExpr>();
    unary->kind = ExprKind::kUnary;
    unary->line = line;
    unary->op = type == kTokNot ? UnaryOp::kNot : type == '-' ? UnaryOp::kNeg : UnaryOp::kLen;
    unary->operand = operand;
    expr = unary;
  } else if (type == '!') {
    error("unexpected '!'; did you mean 'not'?");
    return errorExpr_;
  } else {
    expr = parseAsExpr();
  }
  for (;;) {
    std::optional<BinaryOp> op = binaryOpOf(cur().type);
    if (!op) {
      int t = cur().type;
      if ((t == '&' || t == '|') && lexer_.peek().type == t) {
        error(t == '&' ? "unexpected '&&'; did you mean 'and'?" : "unexpected '||'; did you mean 'or'?");
      } else if (t == '!' && lexer_.peek().type == '=') {
        error("unexpected '!='; did you mean '~='?");
      }
      break;
    }
    if (kPriority[static_cast<int>(*op)].left <= limit) break;
    std::uint32_t line = cur().line;
    next();
    Expr* rhs = parseExpr(kPriority[static_cast<int>(*op)].right);
    auto* binary = arena_.make<BinaryExpr>();
    binary->kind = ExprKind::kBinary;
    binary->line = line;
    binary->op = *op;
    binary->lhs = expr;
    binary->rhs = rhs;
    expr = binary;
    // The tree deepens with every operator even though this loop does not recurse.
    enter(1);
  }
  return expr;
}

Expr* Parser::parseAsExpr() {
  Expr* expr = parseSimpleExpr();
  if (cur().type == kTokDoubleColon) {
    next();
    parseType();
    // The cast is erased; it still cuts a call or `...` down to one value, as in Luau.
    if (isCallOrVararg(expr)) {
      auto* paren = arena_.make<ParenExpr>();
      paren->kind = ExprKind::kParen;
      paren->line = firstLine(expr);
      paren->inner = expr;
      paren->closeLine = lexer_.previousLine();
      expr = paren;
    }
  }
  return expr;
}

Expr* Parser::parseSimpleExpr() {
  const Token& t = cur();
  switch (t.type) {
    case kTokNil:
    case kTokTrue:
    case kTokFalse: {
      auto* e = arena_.make<Expr>(Expr{t.type == kTokNil ? ExprKind::kNil : t.type == kTokTrue ? ExprKind::kTrue : ExprKind::kFalse, t.line});
      next();
      return e;
    }
    case kTokDots: {
      if (!varargAllowed_) {
        error("cannot use '...' outside a vararg function");
        return errorExpr_;
      }
      auto* e = arena_.make<Expr>(Expr{ExprKind::kVararg, t.line});
      next();
      return e;
    }
    case kTokNumber: {
      auto* e = arena_.make<NumberExpr>();
      e->kind = ExprKind::kNumber;
      e->line = t.line;
      e->value = t.number;
      next();
      return e;
    }
    case kTokString:
    case kTokInterpSimple: {
      auto* e = arena_.make<StringExpr>();
      e->kind = ExprKind::kString;
      e->line = t.line;
      e->value = t.value;
      next();
      return e;
    }
    case kTokInterpBegin:
      return parseInterp();
    case '{':
      return parseTable();
    case kTokFunction:
      return parseFunctionExpr(t.line);
    case kTokAttribute:
    case kTokAttributeOpen: {
      parseAttributes();
      if (cur().type != kTokFunction) {
        error("expected 'function' after attributes");
        return errorExpr_;
      }
      return parseFunctionExpr(cur().line);
    }
    case kTokIf:
      return parseIfElseExpr();
    default:
      return parsePrimaryExpr();
  }
}

Expr* Parser::parseFunctionExpr(std::uint32_t line) {
  next();  // function
  auto* e = arena_.make<FunctionExpr>();
  e->kind = ExprKind::kFunction;
  e->line = line;
  e->body = parseFunctionBody(false, kTokFunction, line);
  return e;
}

Expr* Parser::parsePrefixExpr() {
  if (cur().type == '(') {
    std::uint32_t line = cur().line;
    next();
    Expr* inner = parseExpr();
    std::uint32_t closeLine = cur().line;
    expectClosing(')', '(', line);
    auto* e = arena_.make<ParenExpr>();
    e->kind = ExprKind::kParen;
    e->line = line;
    e->inner = inner;
    e->closeLine = closeLine;
    return e;
  }
  if (cur().type == kTokName) {
    auto* e = arena_.make<NameExpr>();
    e->kind = ExprKind::kName;
    e->line = cur().line;
    e->name = cur().text;
    next();
    return e;
  }
  error("unexpected symbol");
  return errorExpr_;
}

void Parser::skipExplicitInstantiation() {
  // At `<<` after a callable: f<<T, U>>(...). Types are dropped.
  std::uint32_t line = cur().line;
  next();
  next();
  if (cur().type != '>') {
    for (;;) {
      if (atTypePack()) {
        parseTypePack();
      } else if (cur().type == '(') {
        bool wasPack = false;
        parseParenType(/*allowPack=*/true, &wasPack);
      } else {
        parseType();
      }
      if (!accept(',')) break;
    }
  }
  expectCloseAngle(line);
  expectCloseAngle(line);
}

Expr* Parser::parsePrimaryExpr() {
  Expr* expr = parsePrefixExpr();
  int saved = depth_;
  for (;;) {
    int type = cur().type;
    if (type == '.') {
      std::uint32_t line = cur().line;
      next();
      auto* e = arena_.make<FieldExpr>();
      e->kind = ExprKind::kField;
      e->line = line;
      e->object = expr;
      e->field = expectName("the field");
      expr = e;
    } else if (type == '[') {
      std::uint32_t line = cur().line;
      next();
      Expr* key = parseExpr();
      std::uint32_t closeLine = cur().line;
      expectClosing(']', '[', line);
      auto* e = arena_.make<IndexExpr>();
      e->kind = ExprKind::kIndex;
      e->line = line;
      e->object = expr;
      e->key = key;
      e->closeLine = closeLine;
      expr = e;
    } else if (type == ':') {
      std::uint32_t colonLine = cur().line;
      next();
      Name method = expectName("the method");
      if (cur().type == '<' && lexer_.peek().type == '<') skipExplicitInstantiation();
      expr = parseCallArgs(expr, method, colonLine);
    } else if (type == '(' || type == '{' || type == kTokString) {
      if (type == '(' && cur().line != lexer_.previousLine()) {
        error("ambiguous syntax: this '(' could be a call or the start of a new statement; use ';' to separate statements");
        break;
      }
      expr = parseCallArgs(expr, Name{}, 0);
    } else if (type == '<' && lexer_.peek().type == '<') {
      skipExplicitInstantiation();
    } else if (type == kTokInterpBegin || type == kTokInterpSimple) {
      error("an interpolated string must be wrapped in parentheses to be a call argument");
      break;
    } else {
      break;
    }
    enter(1);
  }
  depth_ = saved;
  return expr;
}

Expr* Parser::parseCallArgs(Expr* function, Name method, std::uint32_t colonLine) {
  auto* call = arena_.make<CallExpr>();
  call->kind = ExprKind::kCall;
  call->line = cur().line;
  call->function = function;
  call->method = method;
  call->colonLine = colonLine;
  if (cur().type == '(') {
    std::uint32_t line = cur().line;
    next();
    std::size_t mark = exprs_.size();
    if (cur().type != ')') parseExprList();
    call->args = take(exprs_, mark);
    call->style = ArgStyle::kParens;
    call->closeLine = cur().line;
    expectClosing(')', '(', line);
  } else if (cur().type == '{') {
    Expr* table = parseTable();
    call->args = arena_.copy(std::span<Expr* const>(&table, 1));
    call->style = ArgStyle::kTable;
    call->closeLine = static_cast<TableExpr*>(table)->closeLine;
  } else if (cur().type == kTokString) {
    auto* s = arena_.make<StringExpr>();
    s->kind = ExprKind::kString;
    s->line = cur().line;
    s->value = cur().value;
    next();
    Expr* arg = s;
    call->args = arena_.copy(std::span<Expr* const>(&arg, 1));
    call->style = ArgStyle::kString;
    call->closeLine = s->line;
  } else {
    error("expected function arguments");
    return errorExpr_;
  }
  return call;
}

Expr* Parser::parseTable() {
  DepthGuard guard(*this, 1);
  std::uint32_t line = cur().line;
  next();  // {
  std::size_t mark = fields_.size();
  while (cur().type != '}') {
    TableField field{};
    if (cur().type == '[') {
      std::uint32_t open = cur().line;
      next();
      field.kind = FieldKind::kKeyed;
      field.key = parseExpr();
      field.keyCloseLine = cur().line;
      expectClosing(']', '[', open);
      field.equalsLine = cur().line;
      expect('=', "in the table field");
      field.value = parseExpr();
    } else if (cur().type == kTokName && lexer_.peek().type == '=') {
      field.kind = FieldKind::kNamed;
      field.name = Name{cur().text, cur().line};
      next();
      field.equalsLine = cur().line;
      next();  // =
      field.value = parseExpr();
    } else {
      field.kind = FieldKind::kPositional;
      field.value = parseExpr();
    }
    fields_.push_back(field);
    if (!accept(',') && !accept(';')) break;
  }
  std::uint32_t closeLine = cur().line;
  expectClosing('}', '{', line);
  auto* e = arena_.make<TableExpr>();
  e->kind = ExprKind::kTable;
  e->line = line;
  e->fields = take(fields_, mark);
  e->closeLine = closeLine;
  return e;
}

Expr* Parser::parseInterp() {
  DepthGuard guard(*this, 1);
  std::uint32_t line = cur().line;
  std::size_t pieceMark = pieces_.size();
  std::size_t exprMark = exprs_.size();
  pieces_.push_back(cur().value);
  next();  // `...{
  for (;;) {
    if (cur().type == kTokInterpMid || cur().type == kTokInterpEnd) {
      error("malformed interpolated string: expected an expression inside '{}'");
      break;
    }
    exprs_.push_back(parseExpr());
    if (cur().type == kTokInterpMid) {
      pieces_.push_back(cur().value);
      next();
      continue;
    }
    if (cur().type == kTokInterpEnd) {
      pieces_.push_back(cur().value);
      next();
      break;
    }
    error("malformed interpolated string: expected '}' after the expression");
    break;
  }
  auto* e = arena_.make<InterpExpr>();
  e->kind = ExprKind::kInterp;
  e->line = line;
  e->exprs = take(exprs_, exprMark);
  e->pieces = take(pieces_, pieceMark);
  if (e->pieces.size() != e->exprs.size() + 1) return errorExpr_;
  return e;
}

Expr* Parser::parseIfElseExpr() {
  DepthGuard guard(*this, 1);
  std::size_t mark = arms_.size();
  do {
    IfArm arm{};
    arm.keywordLine = cur().line;
    next();  // if / elseif
    arm.cond = parseExpr();
    arm.thenLine = cur().line;
    expect(kTokThen, "in the if-then-else expression");
    arm.value = parseExpr();
    arms_.push_back(arm);
  } while (cur().type == kTokElseif);
  std::uint32_t elseLine = cur().line;
  expect(kTokElse, "in the if-then-else expression (an if expression needs an else)");
  Expr* elseValue = parseExpr();
  auto* e = arena_.make<IfElseExpr>();
  e->kind = ExprKind::kIfElse;
  e->line = elseLine;
  e->arms = take(arms_, mark);
  e->elseValue = elseValue;
  e->elseLine = elseLine;
  return e;
}

// ---------------------------------------------------------------------------------------------------
// Types. Only validated: nothing is kept.

bool Parser::atTypePack() {
  return cur().type == kTokDots || (cur().type == kTokName && lexer_.peek().type == kTokDots);
}

void Parser::parseTypePack() {
  if (accept(kTokDots)) {
    parseType();
    return;
  }
  next();  // name
  next();  // ...
}

void Parser::expectCloseAngle(std::uint32_t openLine) {
  if (cur().type == kTokGe) {
    lexer_.splitGreaterEqual();
    return;
  }
  expectClosing('>', '<', openLine);
}

void Parser::parseType() {
  DepthGuard guard(*this, 1);
  // A leading '|' or '&' is allowed.
  if (cur().type == '|' || cur().type == '&') next();
  bool wasPack = false;
  parseSimpleType(/*allowPack=*/false, &wasPack);
  bool sawUnion = false;
  bool sawIntersection = false;
  for (;;) {
    int t = cur().type;
    if (t == '|') {
      next();
      sawUnion = true;
      parseSimpleType(false, &wasPack);
    } else if (t == '&') {
      next();
      sawIntersection = true;
      parseSimpleType(false, &wasPack);
    } else if (t == '?') {
      next();
      sawUnion = true;
    } else {
      break;
    }
    enter(1);
  }
  if (sawUnion && sawIntersection) error("mixing union and intersection types is not allowed; use parentheses");
}

void Parser::parseSimpleType(bool allowPack, bool* wasPack) {
  DepthGuard guard(*this, 1);
  *wasPack = false;
  switch (cur().type) {
    case kTokNil:
    case kTokTrue:
    case kTokFalse:
    case kTokString:
      next();
      return;
    case kTokInterpBegin:
    case kTokInterpSimple:
      error("interpolated strings cannot be used as types");
      return;
    case kTokName: {
      bool isTypeof = cur().text == "typeof";
      next();
      if (accept('.')) {
        expectName("the type");
      } else if (isTypeof && cur().type == '(') {
        std::uint32_t line = cur().line;
        next();
        parseExpr();  // never evaluated: dropped
        expectClosing(')', '(', line);
        return;
      } else if (cur().type == kTokDots) {
        error("a type pack is not allowed here");
        return;
      }
      if (cur().type == '<') parseTypeArgs();
      return;
    }
    case '{':
      parseTableType();
      return;
    case '(':
    case '<':
      parseParenType(allowPack, wasPack);
      return;
    case kTokFunction:
      error("'function' is not a type; write a function type such as '(...any) -> ...any'");
      return;
    default:
      error("expected a type");
      return;
  }
}

void Parser::parseTypeArgs() {
  std::uint32_t line = cur().line;
  next();  // <
  if (cur().type != '>' && cur().type != kTokGe) {
    for (;;) {
      if (atTypePack()) {
        parseTypePack();
      } else if (cur().type == '(') {
        bool wasPack = false;
        parseParenType(/*allowPack=*/true, &wasPack);
        if (!wasPack) {
          // `(A) | B` and friends: continue as a type.
          while (cur().type == '|' || cur().type == '&' || cur().type == '?') {
            if (cur().type == '?') {
              next();
            } else {
              next();
              parseSimpleType(false, &wasPack);
            }
          }
        }
      } else {
        parseType();
      }
      if (!accept(',')) break;
    }
  }
  expectCloseAngle(line);
}

void Parser::parseTableType() {
  std::uint32_t line = cur().line;
  next();  // {
  bool first = true;
  while (cur().type != '}' && cur().type != kTokEof) {
    // read/write modifiers, unless the name is itself the property (`read: T`).
    if (cur().type == kTokName && (cur().text == "read" || cur().text == "write")) {
      int after = lexer_.peek().type;
      if (after == kTokName || after == '[') next();
    }
    if (cur().type == '[') {
      std::uint32_t open = cur().line;
      next();
      parseType();
      expectClosing(']', '[', open);
      expect(':', "in the table type");
      parseType();
    } else if (first && !(cur().type == kTokName && lexer_.peek().type == ':')) {
      parseType();  // {T}: an array type
      break;
    } else {
      expectName("the table type property");
      expect(':', "in the table type");
      parseType();
    }
    first = false;
    if (!accept(',') && !accept(';')) break;
  }
  expectClosing('}', '{', line);
}

void Parser::parseParenType(bool allowPack, bool* wasPack) {
  // [<generics>] '(' [TypeList] ')' ['->' ReturnType]: a function type, a parenthesized type or a pack.
  bool generic = false;
  if (cur().type == '<') {
    parseGenericList(/*withDefaults=*/false);
    generic = true;
  }
  std::uint32_t line = cur().line;
  expect('(', "in the function type");
  int count = 0;
  bool named = false;
  bool variadic = false;
  if (cur().type != ')') {
    for (;;) {
      if (atTypePack()) {
        parseTypePack();
        variadic = true;
        break;
      }
      if (cur().type == kTokName && lexer_.peek().type == ':') {
        next();
        next();
        named = true;
      }
      parseType();
      ++count;
      if (!accept(',')) break;
    }
  }
  expectClosing(')', '(', line);
  if (cur().type == kTokArrow) {
    next();
    parseReturnType();
    return;
  }
  if (cur().type == ':' && (generic || named)) {
    error("return types in function types are written after '->' instead of ':'");
    return;
  }
  if (generic || named) {
    expect(kTokArrow, "in the function type");
    return;
  }
  if (count == 1 && !variadic) {
    *wasPack = allowPack;
    return;  // (T)
  }
  if (allowPack) {
    *wasPack = true;
    return;
  }
  if (count == 0 && !variadic) {
    error("expected '->' after '()' in the function type; did you mean 'nil'?");
  } else {
    expect(kTokArrow, "in the function type");
  }
}

void Parser::parseReturnType() {
  DepthGuard guard(*this, 1);
  if (atTypePack()) {
    parseTypePack();
    return;
  }
  if (cur().type == '(') {
    bool wasPack = false;
    parseParenType(/*allowPack=*/true, &wasPack);
    if (!wasPack) return;
    // `(A)` may continue as `(A) | B` or `(A)?`.
    while (cur().type == '|' || cur().type == '&' || cur().type == '?') {
      if (cur().type == '?') {
        next();
      } else {
        next();
        parseSimpleType(false, &wasPack);
      }
    }
    return;
  }
  parseType();
}

void Parser::parseGenericList(bool withDefaults) {
  std::uint32_t line = cur().line;
  next();  // <
  bool seenPack = false;
  for (;;) {
    expectName("the generic type");
    bool pack = accept(kTokDots);
    if (!pack && seenPack) error("generic types must come before generic type packs");
    seenPack = seenPack || pack;
    if (withDefaults && accept('=')) {
      if (pack) {
        if (atTypePack()) {
          parseTypePack();
        } else if (cur().type == '(') {
          bool wasPack = false;
          parseParenType(/*allowPack=*/true, &wasPack);
        } else {
          error("expected a type pack as the default of a generic type pack");
        }
      } else {
        parseType();
      }
    }
    if (!accept(',')) break;
  }
  expectCloseAngle(line);
}

}  // namespace tw::luau
