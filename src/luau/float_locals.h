// FloatLocals: which references to local variables are known to hold a double (never a Lua integer).
//
// The lowering writes `a * b`, `a // b` and `-a` natively only when an operand is known to be a double:
// a Lua integer there could wrap or lose the sign of a zero, so otherwise it calls a helper (see
// NUMBERS.md). Locals are where number-heavy code keeps its doubles (`local x, v, dt = 0, 10, 0.016`), so
// this pass finds the locals that hold a double for their whole life: every value ever assigned to them
// (the initializer, plain and compound assignments, also from nested functions) is a double, where
//   - a number literal is a double (the lowering writes literals in value position as doubles);
//   - a numeric for counter is a number (an integer, or a double), while nothing assigns to it;
//   - `a + b`, `a - b`, `a * b`, `a // b`, `a % b` are doubles when both operands are numbers and one
//     of them is a double (no metamethod can run, and Lua's mixed arithmetic gives a double); `a / b` and
//     `a ^ b` are doubles when both are numbers;
//   - `-a` is a double when `a` is; `(e)` and if-expressions as their parts;
//   - a reference to such a local is a double.
// Anything else (a call, a field, a parameter, a loop variable, a missing initializer, a multiple
// assignment from a call) makes the local unknown. The rules are conjunctive ("a double if these locals
// are"), so one walk and a worklist reach the greatest fixpoint in linear time. Only the references the
// lowering asks about are kept: operands of `*`, `//`, unary minus, compound assignments, and the target
// and divisor of `x = a % m` statements.
//
// Threading: owned by one lowering; immutable after construction.
#pragma once

#include <unordered_set>

#include "luau/ast.h"

namespace tw::luau {

class FloatLocals {
 public:
  explicit FloatLocals(const Chunk& chunk);

  // True when `e` is a reference (a NameExpr operand of *, //, unary minus or a compound assignment) to a
  // local that always holds a double.
  bool isFloatRef(const Expr* e) const { return floatRefs_.count(e) != 0; }

  // True when the local declared by `name` (the only name of `local name = a % m`) always holds a double.
  bool isFloatLocal(const Name* name) const { return floatRefs_.count(name) != 0; }

 private:
  std::unordered_set<const void*> floatRefs_;
};

}  // namespace tw::luau
