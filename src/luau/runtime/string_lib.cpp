// Luau's string library: our bounded Lua string functions (src/sandbox/stdlib) behind Luau's argument
// conventions (pushWrapped: floats truncate where Luau takes integers, Luau's error wording), plus Luau's
// own format and split.
//
// string.format follows Luau: %d/%i/%o/%u/%x/%X/%c take any number (truncated), %s takes strings and
// numbers (numbers written as Luau writes them, not Lua's "%.14g"), %q quotes strings Luau's way, %* writes
// any value as tostring() does, and options Luau lacks (%a, %A, %F...) are errors. The loop over the format
// polls the deadline; every item is at most 512 bytes.
//
// Method calls on strings (`s:sub(1, 2)`) go through the string metatable, which the Lua flavour shares:
// they reach the Lua string functions, plus `split`, which addStringMethods() adds for both dialects.
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "luau/runtime/internal.h"

namespace tw::luau::rt {

namespace {

constexpr char kFlags[] = "-+ #0";
constexpr std::size_t kMaxItem = 512;
constexpr std::size_t kMaxFormat = 32;

void addQuoted(lua_State* L, luaL_Buffer* b, int arg) {
  std::size_t len = 0;
  const char* s = checkString(L, arg, &len);
  luaL_addchar(b, '"');
  for (std::size_t i = 0; i < len; ++i) {
    const char c = s[i];
    switch (c) {
      case '"':
      case '\\':
      case '\n':
        luaL_addchar(b, '\\');
        luaL_addchar(b, c);
        break;
      case '\r':
        luaL_addlstring(b, "\\r", 2);
        break;
      case '\0':
        luaL_addlstring(b, "\\000", 4);
        break;
      default:
        luaL_addchar(b, c);
        break;
    }
    if ((i & (kPollEvery - 1)) == kPollEvery - 1) limits::pollInterrupt(L);
  }
  luaL_addchar(b, '"');
}

// Copies one format item's flags, width and precision ("%-5.2") into `form`; returns the conversion char's
// position. `size` receives the length of the spec after '%'.
const char* scanFormat(lua_State* L, const char* p, const char* end, char* form, std::size_t* size) {
  const char* start = p;
  while (p < end && *p != '\0' && std::strchr(kFlags, *p) != nullptr) ++p;
  if (static_cast<std::size_t>(p - start) >= sizeof kFlags) luaL_error(L, "invalid format (repeated flags)");
  if (p < end && std::isdigit(static_cast<unsigned char>(*p))) ++p;
  if (p < end && std::isdigit(static_cast<unsigned char>(*p))) ++p;
  if (p < end && *p == '.') {
    ++p;
    if (p < end && std::isdigit(static_cast<unsigned char>(*p))) ++p;
    if (p < end && std::isdigit(static_cast<unsigned char>(*p))) ++p;
  }
  if (p < end && std::isdigit(static_cast<unsigned char>(*p))) luaL_error(L, "invalid format (width or precision too long)");
  *size = static_cast<std::size_t>(p - start) + 1;  // including the conversion character
  form[0] = '%';
  const std::size_t copy = p < end ? *size : *size - 1;
  std::memcpy(form + 1, start, copy);
  form[1 + copy] = '\0';
  return p;
}

// Turns "%...d" into "%...lld" (or the given conversion) in place.
void useLongLong(char* form, std::size_t size, char conversion) {
  form[size] = 'l';
  form[size + 1] = 'l';
  form[size + 2] = conversion;
  form[size + 3] = '\0';
}

long long toLongLong(double v) {
  if (v >= -9223372036854775808.0 && v < 9223372036854775808.0) return static_cast<long long>(v);
  return INT64_MIN;
}

unsigned long long toUnsignedLongLong(double v) {
  if (v < 0) return static_cast<unsigned long long>(toLongLong(v));
  if (v < 18446744073709551616.0) return static_cast<unsigned long long>(v);
  return 0x8000000000000000ULL;
}

// The item formats passed to snprintf are built by scanFormat from a checked spec (flags "-+ #0", two-digit
// width and precision) and a conversion chosen by the switch, so they match their arguments.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int strFormat(lua_State* L) {
  const int top = lua_gettop(L);
  int arg = 1;
  std::size_t formatLen = 0;
  const char* p = checkString(L, arg, &formatLen);
  const char* end = p + formatLen;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  std::uint32_t steps = 0;
  while (p < end) {
    if ((++steps & (kPollEvery - 1)) == 0) limits::pollInterrupt(L);
    if (*p != '%') {
      luaL_addchar(&b, *p++);
      continue;
    }
    ++p;
    if (p < end && *p == '%') {
      luaL_addchar(&b, *p++);
      continue;
    }
    if (p < end && *p == '*') {
      ++p;
      if (++arg > top) return luaL_error(L, "missing argument #%d", arg);
      pushToString(L, arg, nullptr);
      luaL_addvalue(&b);
      continue;
    }
    if (++arg > top) return luaL_error(L, "missing argument #%d", arg);
    char form[kMaxFormat];
    std::size_t size = 0;
    p = scanFormat(L, p, end, form, &size);
    const char conversion = p < end ? *p++ : '\0';
    char buff[kMaxItem];
    int n = 0;
    switch (conversion) {
      case 'c':
        n = std::snprintf(buff, sizeof buff, form, numberToInt(checkNumber(L, arg)));
        luaL_addlstring(&b, buff, static_cast<std::size_t>(n));
        continue;
      case 'd':
      case 'i':
        useLongLong(form, size, conversion);
        n = std::snprintf(buff, sizeof buff, form, toLongLong(checkNumber(L, arg)));
        break;
      case 'o':
      case 'u':
      case 'x':
      case 'X':
        useLongLong(form, size, conversion);
        n = std::snprintf(buff, sizeof buff, form, toUnsignedLongLong(checkNumber(L, arg)));
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'g':
      case 'G':
        n = std::snprintf(buff, sizeof buff, form, checkNumber(L, arg));
        break;
      case 'q':
        addQuoted(L, &b, arg);
        continue;
      case 's': {
        std::size_t len = 0;
        const char* s = checkString(L, arg, &len);
        if (form[2] == '\0' || (std::strchr(form, '.') == nullptr && len >= 100)) {
          // No precision and long, or no format at all: the whole string.
          lua_pushvalue(L, arg);
          luaL_addvalue(&b);
          continue;
        }
        n = std::snprintf(buff, sizeof buff, form, s);
        break;
      }
      case '*':
        return luaL_error(L, "'%%*' does not take a form");
      default:
        return luaL_error(L, "invalid option '%%%c' to 'format'", conversion);
    }
    if (n > 0) luaL_addlstring(&b, buff, static_cast<std::size_t>(n) < sizeof buff ? static_cast<std::size_t>(n) : sizeof buff - 1);
  }
  luaL_pushresult(&b);
  return 1;
}
#pragma GCC diagnostic pop

// string.split(s [, separator = ","]): the pieces between separators; an empty separator splits into bytes.
int strSplit(lua_State* L) {
  std::size_t len = 0;
  const char* s = checkString(L, 1, &len);
  std::size_t sepLen = 0;
  const char* sep = optString(L, 2, ",", &sepLen);
  lua_createtable(L, 0, 0);
  lua_Integer count = 0;
  std::size_t spanStart = 0;
  std::size_t i = sepLen == 0 ? 1 : 0;
  std::uint32_t steps = 0;
  for (; sepLen <= len && i <= len - sepLen; ++i) {
    if ((++steps & (kPollEvery - 1)) == 0) limits::pollInterrupt(L);
    if (std::memcmp(s + i, sep, sepLen) == 0) {
      lua_pushlstring(L, s + spanStart, i - spanStart);
      lua_rawseti(L, -2, ++count);
      spanStart = i + sepLen;
      if (sepLen > 0) i += sepLen - 1;
    }
  }
  if (sepLen > 0) {
    lua_pushlstring(L, s + spanStart, len - spanStart);
    lua_rawseti(L, -2, ++count);
  }
  return 1;
}

// Lua string functions kept behind Luau's conventions (see WrapSpec; bit n-1 = argument n).
struct Wrapped {
  const char* name;
  WrapSpec spec;
};

constexpr Wrapped kWrapped[] = {
    {"byte", {0b110, 0b1, 3}},   {"char", {~0u, 0, -1}},       {"find", {0b100, 0b11, 4}},
    {"gmatch", {0, 0b11, 2}},    {"gsub", {0b1000, 0b111, 4}}, {"len", {0, 0b1, 1}},
    {"lower", {0, 0b1, 1}},      {"match", {0b100, 0b11, 3}},  {"rep", {0b10, 0b1, 2}},
    {"reverse", {0, 0b1, 1}},    {"sub", {0b110, 0b1, 3}},     {"upper", {0, 0b1, 1}},
    {"pack", {0, 0, -1}},        {"packsize", {0, 0b1, 1}},    {"unpack", {0b100, 0b11, 3}},
};

}  // namespace

int openString(lua_State* L, int luaString) {
  luaString = lua_absindex(L, luaString);
  lua_createtable(L, 0, 20);
  for (const Wrapped& w : kWrapped) {
    lua_getfield(L, luaString, w.name);
    pushWrapped(L, w.name, -1, w.spec);
    lua_setfield(L, -3, w.name);
    lua_pop(L, 1);
  }
  static const LibFunction kFunctions[] = {{"format", strFormat}, {"split", strSplit}, {nullptr, nullptr}};
  setFunctions(L, kFunctions);
  return 1;
}

void addStringMethods(lua_State* L, int stringMethods) {
  stringMethods = lua_absindex(L, stringMethods);
  pushFunction(L, "split", strSplit);
  lua_setfield(L, stringMethods, "split");
}

}  // namespace tw::luau::rt
