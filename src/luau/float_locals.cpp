#include "luau/float_locals.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace tw::luau {

namespace {

bool arithmetic(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod:
    case BinaryOp::kPow:
      return true;
    default:
      return false;
  }
}

const Expr* unparen(const Expr* e) {
  while (e->kind == ExprKind::kParen) e = static_cast<const ParenExpr*>(e)->inner;
  return e;
}

// One pass over the chunk: resolves names to locals (lexical scopes, nested functions included), and for
// every value given to a local records whether it is a double given that some locals are (its
// dependencies): the rules of float_locals.h are conjunctive, so "a double if all of these locals are".
// Only the name references the lowering asks about (operands of *, //, unary minus and of compound
// assignments) are kept.
class Walker {
 public:
  // What a local holds while it stays a candidate: a double (locals with a value), or a number of
  // either subtype (numeric for counters, while nothing assigns to them).
  struct Local {
    bool candidate = true;
    bool counter = false;
  };
  struct Assignment {
    std::uint32_t target;
    std::uint32_t depsBegin;
    std::uint32_t depsEnd;
  };

  std::vector<Local> locals;
  std::vector<Assignment> assignments;
  std::vector<std::uint32_t> deps;
  std::vector<std::pair<const void*, std::uint32_t>> operandRefs;  // NameExpr or declared Name -> local

  void run(const Chunk& chunk) { block(chunk.body); }

 private:
  struct Visible {
    std::string_view name;
    std::uint32_t local;
  };

  std::uint32_t declare(std::string_view name) {
    const auto index = static_cast<std::uint32_t>(locals.size());
    locals.push_back(Local{});
    scope_.push_back(Visible{name, index});
    return index;
  }

  // The local `name` denotes here, or -1 for a global.
  std::int64_t resolve(std::string_view name) const {
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
      if (it->name == name) return it->local;
    }
    return -1;
  }

  void unknown(std::uint32_t local) { locals[local].candidate = false; }

  enum class Kind : std::uint8_t { kOther, kNumber, kFloat };

  static Kind arithmeticResult(BinaryOp op, Kind a, Kind b) {
    if (a == Kind::kOther || b == Kind::kOther) return Kind::kOther;
    if (op == BinaryOp::kDiv || op == BinaryOp::kPow) return Kind::kFloat;
    return (a == Kind::kFloat || b == Kind::kFloat) ? Kind::kFloat : Kind::kNumber;
  }

  // What `e` is, provided the locals it appends to deps stay candidates. Operands are numbers of either
  // subtype (a literal inside an expression may be written as an integer), so: two numbers give a
  // number, a double among them gives a double; / and ^ always give a double.
  Kind classify(const Expr* e, bool top) {
    switch (e->kind) {
      case ExprKind::kNumber:
        return top ? Kind::kFloat : Kind::kNumber;  // a literal value on its own is written as a double
      case ExprKind::kName: {
        const std::int64_t local = resolve(static_cast<const NameExpr*>(e)->name);
        if (local < 0) return Kind::kOther;
        const Local& l = locals[static_cast<std::size_t>(local)];
        if (!l.candidate) return Kind::kOther;
        deps.push_back(static_cast<std::uint32_t>(local));
        return l.counter ? Kind::kNumber : Kind::kFloat;
      }
      case ExprKind::kParen:
        return classify(static_cast<const ParenExpr*>(e)->inner, top);
      case ExprKind::kUnary: {
        auto* x = static_cast<const UnaryExpr*>(e);
        if (x->op != UnaryOp::kNeg) return Kind::kOther;
        return classify(x->operand, top);
      }
      case ExprKind::kBinary: {
        auto* x = static_cast<const BinaryExpr*>(e);
        if (!arithmetic(x->op)) return Kind::kOther;
        const Kind a = classify(x->lhs, false);
        if (a == Kind::kOther) return a;
        return arithmeticResult(x->op, a, classify(x->rhs, false));
      }
      case ExprKind::kIfElse: {
        auto* x = static_cast<const IfElseExpr*>(e);
        Kind result = Kind::kFloat;
        for (const IfArm& arm : x->arms) {
          const Kind k = classify(arm.value, top);
          if (k == Kind::kOther) return k;
          if (k == Kind::kNumber) result = Kind::kNumber;
        }
        const Kind k = classify(x->elseValue, top);
        if (k == Kind::kOther) return k;
        return k == Kind::kNumber ? Kind::kNumber : result;
      }
      default:
        return Kind::kOther;
    }
  }

  // Records that `value` is given to `local` (with the local itself as the left operand when `compound`).
  void assign(std::uint32_t local, const Expr* value, bool compound, BinaryOp op) {
    Local& l = locals[local];
    if (!l.candidate) return;
    if (l.counter) {  // anything assigned to a loop counter may be anything
      unknown(local);
      return;
    }
    const auto begin = static_cast<std::uint32_t>(deps.size());
    const Kind kind = compound ? (arithmetic(op) ? arithmeticResult(op, Kind::kFloat, classify(value, false)) : Kind::kOther)
                               : classify(value, true);
    if (kind != Kind::kFloat) {
      deps.resize(begin);
      unknown(local);
      return;
    }
    assignments.push_back(Assignment{local, begin, static_cast<std::uint32_t>(deps.size())});
  }

  // `target = a % m` as a statement: the lowering may compute Luau's modulo in place (see lowering.cpp),
  // so it asks about the target and the divisor.
  void modAssignment(const void* targetKey, std::uint32_t target, const Expr* value) {
    value = unparen(value);
    if (value->kind != ExprKind::kBinary || static_cast<const BinaryExpr*>(value)->op != BinaryOp::kMod) return;
    operandRefs.emplace_back(targetKey, target);
    operand(static_cast<const BinaryExpr*>(value)->rhs);
  }

  // Keeps the reference behind `e` (through parentheses) if it names a local: the lowering asks about it.
  void operand(const Expr* e) {
    e = unparen(e);
    if (e->kind != ExprKind::kName) return;
    const std::int64_t local = resolve(static_cast<const NameExpr*>(e)->name);
    if (local >= 0) operandRefs.emplace_back(e, static_cast<std::uint32_t>(local));
  }

  void block(const Block& b) {
    const std::size_t mark = scope_.size();
    for (const Stat* s : b.stats) stat(s);
    scope_.resize(mark);
  }

  void function(const FunctionBody* body) {
    const std::size_t mark = scope_.size();
    if (body->method) unknown(declare("self"));
    for (const Name& p : body->params) unknown(declare(p.text));
    block(body->body);
    scope_.resize(mark);
  }

  void stat(const Stat* s) {
    switch (s->kind) {
      case StatKind::kLocal: {
        auto* x = static_cast<const LocalStat*>(s);
        for (const Expr* v : x->values) expr(v);
        for (std::size_t i = 0; i < x->names.size(); ++i) {
          const std::uint32_t local = declare(x->names[i].text);
          if (i < x->values.size()) {
            assign(local, x->values[i], false, BinaryOp::kAdd);
          } else {
            unknown(local);  // nil, or a further value of a multi-value call
          }
        }
        if (x->names.size() == 1 && x->values.size() == 1) {
          modAssignment(&x->names[0], static_cast<std::uint32_t>(locals.size() - 1), x->values[0]);
        }
        return;
      }
      case StatKind::kLocalFunction: {
        auto* x = static_cast<const LocalFunctionStat*>(s);
        unknown(declare(x->name.text));
        function(x->body);
        return;
      }
      case StatKind::kFunction: {
        auto* x = static_cast<const FunctionStat*>(s);
        if (x->path.empty() && x->method.text.empty()) {
          const std::int64_t local = resolve(x->root.text);
          if (local >= 0) unknown(static_cast<std::uint32_t>(local));
        }
        function(x->body);
        return;
      }
      case StatKind::kAssign: {
        auto* x = static_cast<const AssignStat*>(s);
        for (const Expr* v : x->values) expr(v);
        for (std::size_t i = 0; i < x->targets.size(); ++i) {
          const Expr* target = x->targets[i];
          if (target->kind != ExprKind::kName) {
            expr(target);
            continue;
          }
          const std::int64_t local = resolve(static_cast<const NameExpr*>(target)->name);
          if (local < 0) continue;
          if (i < x->values.size()) {
            assign(static_cast<std::uint32_t>(local), x->values[i], false, BinaryOp::kAdd);
            if (x->targets.size() == 1 && x->values.size() == 1) {
              modAssignment(target, static_cast<std::uint32_t>(local), x->values[0]);
            }
          } else {
            unknown(static_cast<std::uint32_t>(local));
          }
        }
        return;
      }
      case StatKind::kCompound: {
        auto* x = static_cast<const CompoundStat*>(s);
        expr(x->value);
        if (x->op == BinaryOp::kMul || x->op == BinaryOp::kFloorDiv || x->op == BinaryOp::kMod) {
          operand(x->target);
          operand(x->value);
        }
        if (x->target->kind == ExprKind::kName) {
          const std::int64_t local = resolve(static_cast<const NameExpr*>(x->target)->name);
          if (local >= 0) assign(static_cast<std::uint32_t>(local), x->value, true, x->op);
        } else {
          expr(x->target);
        }
        return;
      }
      case StatKind::kCall:
        expr(static_cast<const CallStat*>(s)->call);
        return;
      case StatKind::kDo:
        block(static_cast<const DoStat*>(s)->body);
        return;
      case StatKind::kWhile: {
        auto* x = static_cast<const WhileStat*>(s);
        expr(x->cond);
        block(x->body);
        return;
      }
      case StatKind::kRepeat: {
        auto* x = static_cast<const RepeatStat*>(s);
        const std::size_t mark = scope_.size();
        for (const Stat* inner : x->body.stats) stat(inner);
        expr(x->cond);  // `until` sees the body's locals
        scope_.resize(mark);
        return;
      }
      case StatKind::kIf: {
        auto* x = static_cast<const IfStat*>(s);
        for (const IfClause& c : x->clauses) {
          expr(c.cond);
          block(c.body);
        }
        block(x->elseBody);
        return;
      }
      case StatKind::kNumericFor: {
        auto* x = static_cast<const NumericForStat*>(s);
        expr(x->start);
        expr(x->limit);
        if (x->step != nullptr) expr(x->step);
        const std::size_t mark = scope_.size();
        locals[declare(x->var.text)].counter = true;  // a number, while nothing assigns to it
        block(x->body);
        scope_.resize(mark);
        return;
      }
      case StatKind::kGenericFor: {
        auto* x = static_cast<const GenericForStat*>(s);
        for (const Expr* v : x->values) expr(v);
        const std::size_t mark = scope_.size();
        for (const Name& v : x->vars) unknown(declare(v.text));
        block(x->body);
        scope_.resize(mark);
        return;
      }
      case StatKind::kReturn:
        for (const Expr* v : static_cast<const ReturnStat*>(s)->values) expr(v);
        return;
      case StatKind::kBreak:
      case StatKind::kContinue:
        return;
    }
  }

  // Visits sub-expressions for nested functions and for the operands the lowering asks about.
  void expr(const Expr* e) {
    switch (e->kind) {
      case ExprKind::kInterp:
        for (const Expr* x : static_cast<const InterpExpr*>(e)->exprs) expr(x);
        return;
      case ExprKind::kFunction:
        function(static_cast<const FunctionExpr*>(e)->body);
        return;
      case ExprKind::kTable:
        for (const TableField& f : static_cast<const TableExpr*>(e)->fields) {
          if (f.kind == FieldKind::kKeyed) expr(f.key);
          expr(f.value);
        }
        return;
      case ExprKind::kField:
        expr(static_cast<const FieldExpr*>(e)->object);
        return;
      case ExprKind::kIndex: {
        auto* x = static_cast<const IndexExpr*>(e);
        expr(x->object);
        expr(x->key);
        return;
      }
      case ExprKind::kCall: {
        auto* x = static_cast<const CallExpr*>(e);
        expr(x->function);
        for (const Expr* a : x->args) expr(a);
        return;
      }
      case ExprKind::kParen:
        expr(static_cast<const ParenExpr*>(e)->inner);
        return;
      case ExprKind::kUnary: {
        auto* x = static_cast<const UnaryExpr*>(e);
        if (x->op == UnaryOp::kNeg) operand(x->operand);
        expr(x->operand);
        return;
      }
      case ExprKind::kBinary: {
        auto* x = static_cast<const BinaryExpr*>(e);
        if (x->op == BinaryOp::kMul || x->op == BinaryOp::kFloorDiv) {
          operand(x->lhs);
          operand(x->rhs);
        }
        expr(x->lhs);
        expr(x->rhs);
        return;
      }
      case ExprKind::kIfElse: {
        auto* x = static_cast<const IfElseExpr*>(e);
        for (const IfArm& arm : x->arms) {
          expr(arm.cond);
          expr(arm.value);
        }
        expr(x->elseValue);
        return;
      }
      default:
        return;
    }
  }

  std::vector<Visible> scope_;
};

}  // namespace

FloatLocals::FloatLocals(const Chunk& chunk) {
  Walker w;
  w.run(chunk);
  if (w.operandRefs.empty()) return;
  // Worklist propagation: a local stops being a candidate when some value given to it depends on a local
  // that is not one (the rules are conjunctive, so this reaches the greatest fixpoint).
  std::vector<std::uint32_t> dependentsBegin(w.locals.size() + 1, 0);
  for (const auto& a : w.assignments) {
    for (std::uint32_t i = a.depsBegin; i < a.depsEnd; ++i) ++dependentsBegin[w.deps[i] + 1];
  }
  for (std::size_t i = 1; i < dependentsBegin.size(); ++i) dependentsBegin[i] += dependentsBegin[i - 1];
  std::vector<std::uint32_t> dependents(dependentsBegin.back());
  std::vector<std::uint32_t> fill(dependentsBegin.begin(), dependentsBegin.end() - 1);
  for (const auto& a : w.assignments) {
    for (std::uint32_t i = a.depsBegin; i < a.depsEnd; ++i) dependents[fill[w.deps[i]]++] = a.target;
  }
  std::vector<std::uint32_t> work;
  for (std::uint32_t l = 0; l < w.locals.size(); ++l) {
    if (!w.locals[l].candidate) work.push_back(l);
  }
  while (!work.empty()) {
    const std::uint32_t l = work.back();
    work.pop_back();
    for (std::uint32_t i = dependentsBegin[l]; i < dependentsBegin[l + 1]; ++i) {
      const std::uint32_t target = dependents[i];
      if (w.locals[target].candidate) {
        w.locals[target].candidate = false;
        work.push_back(target);
      }
    }
  }
  for (const auto& [e, local] : w.operandRefs) {
    const auto& l = w.locals[local];
    if (l.candidate && !l.counter) floatRefs_.insert(e);  // a counter may be an integer
  }
}

}  // namespace tw::luau
