// Luau's math library, written here on doubles (Lua 5.4's returns integers from floor/ceil/abs/max...,
// wraps math.abs(mininteger), rejects fmod(x, 0) on integers, and lacks Luau's extras). Results go through
// pushNumber(): an integer only where Luau code cannot tell (so floor/ceil beyond 2^31 stay doubles, and
// math.floor(-0.5) is -0).
//
// math.random is PCG32 seeded per VM, with Luau's seeding and range reduction, so a seeded sequence is the
// one Luau produces. math.noise is Ken Perlin's improved noise (his reference permutation and gradient
// rule), on floats like Luau, with the input wrapped modulo 256 first (noise repeats every 256 units).
#include <cmath>
#include <cstdint>
#include <ctime>
#include <limits>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRadiansPerDegree = kPi / 180.0;

double arg1(lua_State* L) { return checkNumber(L, 1); }

// Results that are integers in practice (floor, abs, min...): pushNumber keeps them Lua integers when that
// is invisible, so they index tables as fast as integers do.
int push(lua_State* L, double v) {
  pushNumber(L, v);
  return 1;
}

// Results of transcendental functions: doubles as they are.
int pushDouble(lua_State* L, double v) {
  lua_pushnumber(L, v);
  return 1;
}

int mathAbs(lua_State* L) { return push(L, std::fabs(arg1(L))); }
int mathSin(lua_State* L) { return pushDouble(L, std::sin(arg1(L))); }
int mathSinh(lua_State* L) { return pushDouble(L, std::sinh(arg1(L))); }
int mathCos(lua_State* L) { return pushDouble(L, std::cos(arg1(L))); }
int mathCosh(lua_State* L) { return pushDouble(L, std::cosh(arg1(L))); }
int mathTan(lua_State* L) { return pushDouble(L, std::tan(arg1(L))); }
int mathTanh(lua_State* L) { return pushDouble(L, std::tanh(arg1(L))); }
int mathAsin(lua_State* L) { return pushDouble(L, std::asin(arg1(L))); }
int mathAcos(lua_State* L) { return pushDouble(L, std::acos(arg1(L))); }
int mathAtan(lua_State* L) { return pushDouble(L, std::atan(arg1(L))); }
int mathAtan2(lua_State* L) { return pushDouble(L, std::atan2(checkNumber(L, 1), checkNumber(L, 2))); }
int mathCeil(lua_State* L) { return push(L, std::ceil(arg1(L))); }
int mathFloor(lua_State* L) { return push(L, std::floor(arg1(L))); }
int mathFmod(lua_State* L) { return push(L, std::fmod(checkNumber(L, 1), checkNumber(L, 2))); }
int mathSqrt(lua_State* L) { return pushDouble(L, std::sqrt(arg1(L))); }
int mathPow(lua_State* L) { return push(L, std::pow(checkNumber(L, 1), checkNumber(L, 2))); }
int mathLog10(lua_State* L) { return pushDouble(L, std::log10(arg1(L))); }
int mathExp(lua_State* L) { return pushDouble(L, std::exp(arg1(L))); }
int mathDeg(lua_State* L) { return pushDouble(L, arg1(L) / kRadiansPerDegree); }
int mathRad(lua_State* L) { return pushDouble(L, arg1(L) * kRadiansPerDegree); }
int mathRound(lua_State* L) { return push(L, std::round(arg1(L))); }

int mathModf(lua_State* L) {
  double ip = 0;
  const double fp = std::modf(arg1(L), &ip);
  pushNumber(L, ip);
  pushNumber(L, fp);
  return 2;
}

int mathLog(lua_State* L) {
  const double x = checkNumber(L, 1);
  if (lua_isnoneornil(L, 2)) return push(L, std::log(x));
  const double base = checkNumber(L, 2);
  if (base == 2.0) return push(L, std::log2(x));
  if (base == 10.0) return push(L, std::log10(x));
  return push(L, std::log(x) / std::log(base));
}

int mathFrexp(lua_State* L) {
  int e = 0;
  pushNumber(L, std::frexp(arg1(L), &e));
  lua_pushinteger(L, e);
  return 2;
}

int mathLdexp(lua_State* L) { return push(L, std::ldexp(checkNumber(L, 1), checkInt(L, 2))); }

int mathMin(lua_State* L) {
  const int n = lua_gettop(L);
  double result = checkNumber(L, 1);
  for (int i = 2; i <= n; ++i) {
    const double d = checkNumber(L, i);
    if (d < result) result = d;
  }
  return push(L, result);
}

int mathMax(lua_State* L) {
  const int n = lua_gettop(L);
  double result = checkNumber(L, 1);
  for (int i = 2; i <= n; ++i) {
    const double d = checkNumber(L, i);
    if (d > result) result = d;
  }
  return push(L, result);
}

int mathClamp(lua_State* L) {
  const double v = checkNumber(L, 1);
  const double lo = checkNumber(L, 2);
  const double hi = checkNumber(L, 3);
  argCheck(L, lo <= hi, 3, "max must be greater than or equal to min");
  double r = v < lo ? lo : v;
  r = r > hi ? hi : r;
  return push(L, r);
}

int mathSign(lua_State* L) {
  const double v = arg1(L);
  return push(L, v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0));
}

int mathMap(lua_State* L) {
  const double x = checkNumber(L, 1);
  const double inMin = checkNumber(L, 2);
  const double inMax = checkNumber(L, 3);
  const double outMin = checkNumber(L, 4);
  const double outMax = checkNumber(L, 5);
  return push(L, outMin + (x - inMin) * (outMax - outMin) / (inMax - inMin));
}

int mathLerp(lua_State* L) {
  const double a = checkNumber(L, 1);
  const double b = checkNumber(L, 2);
  const double t = checkNumber(L, 3);
  return push(L, t == 1.0 ? b : a + (b - a) * t);
}

int mathIsnan(lua_State* L) {
  lua_pushboolean(L, std::isnan(arg1(L)));
  return 1;
}
int mathIsinf(lua_State* L) {
  lua_pushboolean(L, std::isinf(arg1(L)));
  return 1;
}
int mathIsfinite(lua_State* L) {
  lua_pushboolean(L, std::isfinite(arg1(L)));
  return 1;
}

// ---- random: PCG32 (O'Neill), increment 105, as Luau ----

constexpr std::uint64_t kPcgMultiplier = 6364136223846793005ULL;
constexpr std::uint64_t kPcgIncrement = 105;

std::uint32_t pcgNext(std::uint64_t* state) {
  const std::uint64_t old = *state;
  *state = old * kPcgMultiplier + kPcgIncrement;
  const auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rot = static_cast<std::uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

void pcgSeed(std::uint64_t* state, std::uint64_t seed) {
  *state = 0;
  pcgNext(state);
  *state += seed;
  pcgNext(state);
}

// The generator state is upvalue 2 of random and randomseed (a full userdata holding one uint64).
std::uint64_t* rngState(lua_State* L) { return static_cast<std::uint64_t*>(lua_touserdata(L, lua_upvalueindex(2))); }

int mathRandom(lua_State* L) {
  std::uint64_t* state = rngState(L);
  switch (lua_gettop(L)) {
    case 0: {
      const std::uint32_t lo = pcgNext(state);
      const std::uint32_t hi = pcgNext(state);
      lua_pushnumber(L, std::ldexp(static_cast<double>(lo | (static_cast<std::uint64_t>(hi) << 32)), -64));
      return 1;
    }
    case 1: {
      const int u = checkInt(L, 1);
      argCheck(L, 1 <= u, 1, "interval is empty");
      const std::uint64_t x = static_cast<std::uint64_t>(u) * pcgNext(state);
      lua_pushinteger(L, 1 + static_cast<lua_Integer>(x >> 32));
      return 1;
    }
    case 2: {
      const int l = checkInt(L, 1);
      const int u = checkInt(L, 2);
      argCheck(L, l <= u, 2, "interval is empty");
      const std::uint32_t span = static_cast<std::uint32_t>(u) - static_cast<std::uint32_t>(l);
      argCheck(L, span < UINT32_MAX, 2, "interval is too large");
      const std::uint64_t x = static_cast<std::uint64_t>(span + 1) * pcgNext(state);
      lua_pushinteger(L, static_cast<lua_Integer>(l) + static_cast<lua_Integer>(x >> 32));
      return 1;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
}

int mathRandomseed(lua_State* L) {
  const int seed = checkInt(L, 1);
  pcgSeed(rngState(L), static_cast<std::uint64_t>(static_cast<std::int64_t>(seed)));
  return 0;
}

// ---- noise: Ken Perlin's improved noise (2002 reference), in single precision ----

// Perlin's reference permutation, with the first entry repeated at the end for the +1 lookups.
constexpr unsigned char kPermutation[257] = {
    151, 160, 137, 91,  90,  15,  131, 13,  201, 95,  96,  53,  194, 233, 7,   225, 140, 36,  103, 30,  69,  142,
    8,   99,  37,  240, 21,  10,  23,  190, 6,   148, 247, 120, 234, 75,  0,   26,  197, 62,  94,  252, 219, 203,
    117, 35,  11,  32,  57,  177, 33,  88,  237, 149, 56,  87,  174, 20,  125, 136, 171, 168, 68,  175, 74,  165,
    71,  134, 139, 48,  27,  166, 77,  146, 158, 231, 83,  111, 229, 122, 60,  211, 133, 230, 220, 105, 92,  41,
    55,  46,  245, 40,  244, 102, 143, 54,  65,  25,  63,  161, 1,   216, 80,  73,  209, 76,  132, 187, 208, 89,
    18,  169, 200, 196, 135, 130, 116, 188, 159, 86,  164, 100, 109, 198, 173, 186, 3,   64,  52,  217, 226, 250,
    124, 123, 5,   202, 38,  147, 118, 126, 255, 82,  85,  212, 207, 206, 59,  227, 47,  16,  58,  17,  182, 189,
    28,  42,  223, 183, 170, 213, 119, 248, 152, 2,   44,  154, 163, 70,  221, 153, 101, 155, 167, 43,  172, 9,
    129, 22,  39,  253, 19,  98,  108, 110, 79,  113, 224, 232, 178, 185, 112, 104, 218, 246, 97,  228, 251, 34,
    242, 193, 238, 210, 144, 12,  191, 179, 162, 241, 81,  51,  145, 235, 249, 14,  239, 107, 49,  192, 214, 31,
    181, 199, 106, 157, 184, 84,  204, 176, 115, 121, 50,  45,  127, 4,   150, 254, 138, 236, 205, 93,  222, 114,
    67,  29,  24,  72,  243, 141, 128, 195, 78,  66,  215, 61,  156, 180, 151};

float fade(float t) { return t * t * t * (t * (t * 6 - 15) + 10); }
float lerp(float t, float a, float b) { return a + t * (b - a); }

// Perlin's gradient rule (12 cube-edge directions, 4 repeated), written as coefficients.
float grad(int hash, float x, float y, float z) {
  const int h = hash & 15;
  float gx = 0;
  float gy = 0;
  float gz = 0;
  const float s1 = (h & 1) != 0 ? -1.0f : 1.0f;
  const float s2 = (h & 2) != 0 ? -1.0f : 1.0f;
  if (h < 8) {  // u = x
    gx = s1;
    if (h < 4) {
      gy = s2;
    } else {
      gz = s2;
    }
  } else {  // u = y
    gy = s1;
    if (h == 12 || h == 14) {
      gx = s2;
    } else {
      gz = s2;
    }
  }
  return gx * x + gy * y + gz * z;
}

float perlin(float x, float y, float z) {
  const float xf0 = std::floor(x);
  const float yf0 = std::floor(y);
  const float zf0 = std::floor(z);
  const int xi = static_cast<int>(xf0) & 255;
  const int yi = static_cast<int>(yf0) & 255;
  const int zi = static_cast<int>(zf0) & 255;
  const float xf = x - xf0;
  const float yf = y - yf0;
  const float zf = z - zf0;
  const float u = fade(xf);
  const float v = fade(yf);
  const float w = fade(zf);
  const unsigned char* p = kPermutation;
  const int a = (p[xi] + yi) & 255;
  const int aa = (p[a] + zi) & 255;
  const int ab = (p[a + 1] + zi) & 255;
  const int b = (p[xi + 1] + yi) & 255;
  const int ba = (p[b] + zi) & 255;
  const int bb = (p[b + 1] + zi) & 255;
  const float la = lerp(u, grad(p[aa], xf, yf, zf), grad(p[ba], xf - 1, yf, zf));
  const float lb = lerp(u, grad(p[ab], xf, yf - 1, zf), grad(p[bb], xf - 1, yf - 1, zf));
  const float la1 = lerp(u, grad(p[aa + 1], xf, yf, zf - 1), grad(p[ba + 1], xf - 1, yf, zf - 1));
  const float lb1 = lerp(u, grad(p[ab + 1], xf, yf - 1, zf - 1), grad(p[bb + 1], xf - 1, yf - 1, zf - 1));
  return lerp(w, lerp(v, la, lb), lerp(v, la1, lb1));
}

int mathNoise(lua_State* L) {
  int nx = 0;
  int ny = 0;
  int nz = 0;
  double x = lua_tonumberx(L, 1, &nx);
  double y = lua_tonumberx(L, 2, &ny);
  double z = lua_tonumberx(L, 3, &nz);
  if (nx == 0) typeError(L, 1, "number");
  if (ny == 0 && !lua_isnoneornil(L, 2)) typeError(L, 2, "number");
  if (nz == 0 && !lua_isnoneornil(L, 3)) typeError(L, 3, "number");
  x = std::fmod(x, 256.0);
  y = std::fmod(y, 256.0);
  z = std::fmod(z, 256.0);
  return push(L, static_cast<double>(perlin(static_cast<float>(x), static_cast<float>(y), static_cast<float>(z))));
}

}  // namespace

int openMath(lua_State* L) {
  static const LibFunction kFunctions[] = {
      {"abs", mathAbs},     {"acos", mathAcos},         {"asin", mathAsin},   {"atan2", mathAtan2},
      {"atan", mathAtan},   {"ceil", mathCeil},         {"cosh", mathCosh},   {"cos", mathCos},
      {"deg", mathDeg},     {"exp", mathExp},           {"floor", mathFloor}, {"fmod", mathFmod},
      {"frexp", mathFrexp}, {"ldexp", mathLdexp},       {"log10", mathLog10}, {"log", mathLog},
      {"max", mathMax},     {"min", mathMin},           {"modf", mathModf},   {"pow", mathPow},
      {"rad", mathRad},     {"sinh", mathSinh},         {"sin", mathSin},     {"sqrt", mathSqrt},
      {"tanh", mathTanh},   {"tan", mathTan},           {"noise", mathNoise}, {"clamp", mathClamp},
      {"sign", mathSign},   {"round", mathRound},       {"map", mathMap},     {"lerp", mathLerp},
      {"isnan", mathIsnan}, {"isinf", mathIsinf},       {"isfinite", mathIsfinite},
      {nullptr, nullptr},
  };
  lua_createtable(L, 0, 48);
  setFunctions(L, kFunctions);

  // random and randomseed share the generator state (upvalue 2).
  auto* state = static_cast<std::uint64_t*>(lua_newuserdatauv(L, sizeof(std::uint64_t), 0));
  std::uint64_t seed = reinterpret_cast<std::uintptr_t>(L);
  seed ^= static_cast<std::uint64_t>(std::time(nullptr));
  seed ^= static_cast<std::uint64_t>(std::clock());
  pcgSeed(state, seed);
  const int stateIndex = lua_gettop(L);
  lua_pushliteral(L, "random");
  lua_pushvalue(L, stateIndex);
  lua_pushcclosure(L, mathRandom, 2);
  lua_setfield(L, -3, "random");
  lua_pushliteral(L, "randomseed");
  lua_pushvalue(L, stateIndex);
  lua_pushcclosure(L, mathRandomseed, 2);
  lua_setfield(L, -3, "randomseed");
  lua_pop(L, 1);

  const std::pair<const char*, double> kConstants[] = {
      {"pi", kPi},
      {"huge", HUGE_VAL},
      {"nan", std::numeric_limits<double>::quiet_NaN()},
      {"e", 2.71828182845904523536},
      {"phi", 1.61803398874989484820},
      {"sqrt2", 1.41421356237309504880},
      {"tau", 6.28318530717958647692},
  };
  for (const auto& [name, value] : kConstants) {
    lua_pushnumber(L, value);
    lua_setfield(L, -2, name);
  }
  return 1;
}

}  // namespace tw::luau::rt
