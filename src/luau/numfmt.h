// Number text: Luau's tostring format and Lua 5.4 literals that keep a double's exact value.
//
// Threading: stateless.
#pragma once

#include <string>

namespace tw::luau {

// Luau's tostring: shortest round-trip digits; fixed notation when the decimal point falls within
// [-5, 21] digits of the first significant digit, else d.ddde+XX (at least two exponent digits);
// "-0", "inf", "-inf", "nan".
std::string luauNumberToString(double value);

// Appends `value` as a Lua 5.4 literal. With integerOk, an integral value below 2^31 in magnitude
// (not -0) is written as an integer; anything else as a float literal with the same double value.
void appendLuaNumber(std::string& out, double value, bool integerOk);

// True when appendLuaNumber would write an integer.
bool writesAsInteger(double value, bool integerOk);

}  // namespace tw::luau
