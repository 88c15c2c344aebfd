// JSON <-> Lua (see json_lua.h). Boundary rules (src/sandbox/lua_api.h): every frame below that calls a
// lua_* function which can raise holds only trivially destructible objects; C++ containers live in the
// host's frame outside the protected call (encodeValue) or in the VM's own JSON state (json.encode).
#include "events/json_lua.h"

#include <lua.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "events/json_parse.h"
#include "events/json_swar.h"
#include "limits/interrupt.h"
#include "sandbox/sandbox.h"
#include "sandbox/lua_api.h"

namespace tw::events {
namespace {

using detail::JsonError;
using detail::ParseFailure;

// Registry keys: their addresses are unique light userdata.
char kStateKey;

// json.encode keeps its scratch buffers between calls up to this size; larger ones are freed after the call
// so that thousands of idle VMs do not each hold a large block.
constexpr std::size_t kKeepScratchBytes = 64 * 1024;
constexpr std::size_t kMinGrow = 256;

// A growable byte buffer whose storage belongs to someone else (a std::string in the host's frame, or the
// VM's JSON state). Trivially destructible, so it may live in frames Lua can unwind.
struct GrowBuffer {
  char* data = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;
  bool (*grow)(GrowBuffer& b, std::size_t newCapacity) noexcept = nullptr;  // false on allocation failure
  void* owner = nullptr;
};

// The decoder's key cache: object member names recur on every event of a kind, and interning a short
// string costs Lua a byte-by-byte hash and a string-table probe. The cache keeps up to kKeyCacheMax names
// interned (anchored in a Lua table, user value 3 of the state) and finds them with a cheap word hash.
// Only the host's decode (pushJson, the dispatch path) adds names, so scripts cannot fill it with junk;
// json.decode only reads it.
constexpr std::size_t kKeyCacheSlots = 512;  // open addressing, power of two
constexpr int kKeyCacheMax = 384;            // at most 75 % full
constexpr std::size_t kKeyCacheMaxLen = 40;  // LUAI_MAXSHORTLEN: longer strings are not interned by Lua

struct KeyCacheEntry {
  const char* ptr;  // the cached Lua string's bytes (kept alive by the cache table); null: empty slot
  std::uint32_t len;
  std::int32_t ref;  // index in the cache table
};

inline std::uint64_t keyHash(const char* s, std::size_t n) {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n >= 8) {
    a = detail::swar::load(s);
    b = detail::swar::load(s + n - 8);
  } else if (n >= 4) {
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    std::memcpy(&x, s, 4);
    std::memcpy(&y, s + n - 4, 4);
    a = x;
    b = y;
  } else if (n > 0) {
    const auto* u = reinterpret_cast<const unsigned char*>(s);
    a = u[0] | (std::uint64_t{u[n / 2]} << 8) | (std::uint64_t{u[n - 1]} << 16);
  }
  std::uint64_t h = (a ^ 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
  h ^= (b + n) * 0x94D049BB133111EBULL;
  return h ^ (h >> 31);
}

// Per-VM JSON state, a full userdata anchored in the registry (freed by __gc at lua_close).
struct JsonVmState {
  JsonLimits limits;
  const void* nullPtr = nullptr;
  lua_Alloc alloc = nullptr;
  void* allocUd = nullptr;
  GrowBuffer out;   // json.encode output
  GrowBuffer keys;  // json.encode key sort scratch
  KeyCacheEntry* keyCache = nullptr;  // kKeyCacheSlots entries from the VM's allocator, on first insert
  int keyCacheCount = 0;
  const void* arrayMeta = nullptr;  // the array marker metatable (user value 2), for pointer comparison
};

// Scratch of json.encode: allocated with the VM's own allocator, so it counts against the VM's memory cap.
bool growWithVmAllocator(GrowBuffer& b, std::size_t newCapacity) noexcept {
  auto* st = static_cast<JsonVmState*>(b.owner);
  void* p = st->alloc(st->allocUd, b.data, b.data != nullptr ? b.capacity : 0, newCapacity);
  if (p == nullptr) return false;
  b.data = static_cast<char*>(p);
  b.capacity = newCapacity;
  return true;
}

void releaseVmBuffer(JsonVmState* st, GrowBuffer& b) {
  if (b.data != nullptr) st->alloc(st->allocUd, b.data, b.capacity, 0);
  b.data = nullptr;
  b.size = 0;
  b.capacity = 0;
}

int stateGc(lua_State* L) {
  auto* st = static_cast<JsonVmState*>(lua_touserdata(L, 1));
  releaseVmBuffer(st, st->out);
  releaseVmBuffer(st, st->keys);
  if (st->keyCache != nullptr) st->alloc(st->allocUd, st->keyCache, kKeyCacheSlots * sizeof(KeyCacheEntry), 0);
  st->keyCache = nullptr;
  return 0;
}

// lua_checkstack fails either because the stack would pass LUAI_MAXSTACK or because growing it needs memory
// the VM's allocator refuses; tell which.
bool stackLimitReached(lua_State* L, int extra) { return lua_gettop(L) + extra + 64 >= LUAI_MAXSTACK; }

constexpr const char* kNoMemory = "json: not enough memory";

[[noreturn, gnu::noinline]] void stackExhausted(lua_State* L, int extra) {
  luaL_error(L, "%s", stackLimitReached(L, extra) ? "json: Lua stack exhausted" : kNoMemory);
  std::abort();  // unreachable: luaL_error does not return
}

int nullToString(lua_State* L) {
  lua_pushliteral(L, "null");
  return 1;
}

// The VM's JSON state: one full userdata registered under kStateKey, with user values 1 = json.null,
// 2 = the array marker metatable and 3 = the key cache's strings. Created on first use, all or nothing:
// it is registered by one final rawsetp, so a memory error half-way leaves no partial state behind (and
// no second json.null later). May raise.
JsonVmState* ensureState(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kStateKey) == LUA_TUSERDATA) {
    auto* st = static_cast<JsonVmState*>(lua_touserdata(L, -1));
    lua_settop(L, -2);
    return st;
  }
  lua_settop(L, -2);
  if (!lua_checkstack(L, 6)) stackExhausted(L, 6);

  auto* st = new (lua_newuserdatauv(L, sizeof(JsonVmState), 3)) JsonVmState();
  st->alloc = lua_getallocf(L, &st->allocUd);
  st->out.grow = growWithVmAllocator;
  st->out.owner = st;
  st->keys.grow = growWithVmAllocator;
  st->keys.owner = st;
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, stateGc);
  lua_setfield(L, -2, "__gc");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);

  // json.null: an empty userdata with a locked metatable. type() is "userdata", tostring() is "null",
  // getmetatable() is false, error messages call it "json.null".
  st->nullPtr = lua_newuserdatauv(L, 0, 0);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, nullToString);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "json.null");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_setiuservalue(L, -2, 1);

  // The array marker: one shared, locked metatable per VM, with no metamethods. A script sees only
  // getmetatable(t) == "json.array" and cannot change it, copy it or put it on a table of its own.
  // (Chosen over a weak-keyed registry set, which is invisible but cost ~8x more per decode: README.md.)
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "json.array");
  lua_setfield(L, -2, "__metatable");
  st->arrayMeta = lua_topointer(L, -1);
  lua_setiuservalue(L, -2, 2);

  lua_createtable(L, 0, 0);
  lua_setiuservalue(L, -2, 3);

  lua_rawsetp(L, LUA_REGISTRYINDEX, &kStateKey);
  return st;
}

// Pushes the state, json.null, the array metatable and the key cache table (4 values), creating the state if
// needed. May raise.
JsonVmState* pushStateParts(lua_State* L) {
  JsonVmState* st = ensureState(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kStateKey);
  lua_getiuservalue(L, -1, 1);
  lua_getiuservalue(L, -2, 2);
  lua_getiuservalue(L, -3, 3);
  return st;
}

// ---------------------------------------------------------------------------------------------------------
// Array marks

// Marks the table at the top of the stack (it has no metatable). Never allocates.
inline void markTop(lua_State* L, int metaSlot) {
  lua_pushvalue(L, metaSlot);
  lua_setmetatable(L, -2);
}

// True if the table at `slot` carries the array marker. Reads the metatable raw: no metamethod runs.
inline bool isMarked(lua_State* L, int slot, const void* arrayMeta) {
  if (arrayMeta == nullptr || !lua_getmetatable(L, slot)) return false;
  const bool marked = lua_topointer(L, -1) == arrayMeta;
  lua_settop(L, -2);
  return marked;
}

// ---------------------------------------------------------------------------------------------------------
// Decoder

[[gnu::noinline]] void pushUnescaped(lua_State* L, const char* s, std::size_t n) {
  luaL_Buffer b;
  char* out = luaL_buffinitsize(L, &b, n);
  const std::size_t len = detail::unescapeString(s, s + n, out);
  luaL_pushresultsize(&b, len);
}


// Pending elements (arrays) or key/value pairs (objects) kept on the Lua stack before they are moved into
// their table. The table is created once at its final size when the container has at most this many
// elements (no rehash chain); larger containers are flushed in chunks so the stack stays small.
constexpr std::int64_t kChunk = 32;

// Builds Lua values on the stack as the parser reports them. A container reserves a slot for its table
// (nil until created) and leaves its elements above it; when the container ends, or kChunk elements are
// pending, they move into the table. All members are trivially destructible.
struct LuaSink {
  struct Level {
    int slot;
    bool created;
    std::int64_t flushed;  // elements already moved into the table
  };

  LuaSink(lua_State* l, JsonVmState* st, int nullS, int markS, int cacheS, bool insert)
      : L(l), nullSlot(nullS), markSlot(markS), cacheSlot(cacheS), state(st), cacheInsert(insert) {}

  lua_State* L;
  int nullSlot;
  int markSlot;
  int cacheSlot;  // the key cache's table
  JsonVmState* state;
  bool cacheInsert;
  int depth = 0;
  Level levels[detail::kMaxDepthCeiling + 2];  // written before read; deliberately not initialised

  void null() { lua_pushvalue(L, nullSlot); }
  void boolean(bool b) { lua_pushboolean(L, b ? 1 : 0); }
  void integer(std::int64_t v) { lua_pushinteger(L, static_cast<lua_Integer>(v)); }
  void number(double d) { lua_pushnumber(L, d); }
  void string(const char* s, std::size_t n, bool escaped) {
    if (!escaped) {
      lua_pushlstring(L, s, n);
    } else {
      pushUnescaped(L, s, n);
    }
  }
  void key(const char* s, std::size_t n, bool escaped) {
    if (escaped || n > kKeyCacheMaxLen) return string(s, n, escaped);
    const std::uint64_t h = keyHash(s, n);
    if (const KeyCacheEntry* slots = state->keyCache) {
      for (std::size_t i = h & (kKeyCacheSlots - 1);; i = (i + 1) & (kKeyCacheSlots - 1)) {
        const KeyCacheEntry& e = slots[i];
        if (e.ptr == nullptr) break;
        if (e.len == n && std::memcmp(e.ptr, s, n) == 0) {
          lua_rawgeti(L, cacheSlot, e.ref);
          return;
        }
      }
    }
    lua_pushlstring(L, s, n);
    if (cacheInsert && state->keyCacheCount < kKeyCacheMax) cacheKey(h);
  }

  // Adds the string at the top of the stack to the key cache. May raise (memory) before changing anything.
  [[gnu::noinline]] void cacheKey(std::uint64_t h) {
    if (state->keyCache == nullptr) {
      void* p = state->alloc(state->allocUd, nullptr, 0, kKeyCacheSlots * sizeof(KeyCacheEntry));
      if (p == nullptr) return;  // no room: simply do not cache
      std::memset(p, 0, kKeyCacheSlots * sizeof(KeyCacheEntry));
      state->keyCache = static_cast<KeyCacheEntry*>(p);
    }
    const int ref = state->keyCacheCount + 1;
    lua_pushvalue(L, -1);
    lua_rawseti(L, cacheSlot, ref);
    std::size_t len = 0;
    const char* ptr = lua_tolstring(L, -1, &len);
    std::size_t i = h & (kKeyCacheSlots - 1);
    while (state->keyCache[i].ptr != nullptr) i = (i + 1) & (kKeyCacheSlots - 1);
    state->keyCache[i] = KeyCacheEntry{ptr, static_cast<std::uint32_t>(len), ref};
    state->keyCacheCount = ref;
  }

  void open() {
    if (!lua_checkstack(L, 2 * kChunk + 8)) stackExhausted(L, 2 * kChunk + 8);
    Level& lv = levels[++depth];
    lv.slot = lua_gettop(L) + 1;
    lv.created = false;
    lv.flushed = 0;
    lua_pushnil(L);
  }
  void create(Level& lv, std::int64_t narr, std::int64_t nrec) {
    constexpr std::int64_t kMaxHint = 1 << 24;
    lua_createtable(L, static_cast<int>(std::min(narr, kMaxHint)), static_cast<int>(std::min(nrec, kMaxHint)));
    lua_replace(L, lv.slot);
    lv.created = true;
  }

  void beginArray() { open(); }
  void flushArray(Level& lv, std::int64_t count, std::int64_t sizeHint) {
    if (!lv.created) create(lv, sizeHint, 0);
    for (std::int64_t i = count; i > lv.flushed; --i) lua_rawseti(L, lv.slot, static_cast<lua_Integer>(i));
    lv.flushed = count;
  }
  void arrayItem(std::int64_t count) {
    Level& lv = levels[depth];
    if (count - lv.flushed == kChunk) [[unlikely]] flushArray(lv, count, 2 * count);
  }
  void endArray(std::int64_t count) {
    flushArray(levels[depth--], count, count);
    markTop(L, markSlot);
  }

  void beginObject() { open(); }
  void flushObject(Level& lv, std::int64_t count, std::int64_t sizeHint) {
    if (!lv.created) create(lv, 0, sizeHint);
    const int top = lua_gettop(L);
    for (int p = lv.slot + 1; p < top; p += 2) {  // in order: the last of duplicate keys wins
      lua_pushvalue(L, p);
      lua_pushvalue(L, p + 1);
      lua_rawset(L, lv.slot);
    }
    lua_settop(L, lv.slot);
    lv.flushed = count;
  }
  void objectField(std::int64_t count) {
    Level& lv = levels[depth];
    if (count - lv.flushed == kChunk) [[unlikely]] flushObject(lv, count, 2 * count);
  }
  void endObject(std::int64_t count) { flushObject(levels[depth--], count, count); }

  void poll() { limits::pollInterrupt(L); }
};

// Parses [s, s+n) and pushes the value. On a syntax error returns false with `failure` set (the stack may
// hold partial values: the caller restores it). Raises on memory errors and at the execution deadline.
// Slots: json.null, the array metatable and the key cache table (absolute or upvalue pseudo-indices).
bool decodeOnto(lua_State* L, const char* s, std::size_t n, int maxDepth, JsonVmState* st, int nullSlot,
                int markSlot, int cacheSlot, bool cacheInsert, ParseFailure& failure) {
  LuaSink sink(L, st, nullSlot, markSlot, cacheSlot, cacheInsert);
  detail::Parser<LuaSink> parser(s, n, detail::clampDepth(maxDepth), sink);
  if (parser.parseDocument()) return true;
  failure = parser.failure();
  return false;
}

void formatTooLarge(char* out, std::size_t outSize, std::size_t size, std::size_t limit) {
  std::snprintf(out, outSize, "json: input of %zu bytes exceeds the limit of %zu bytes", size, limit);
}

// ---------------------------------------------------------------------------------------------------------
// Encoder

enum class EncodeError : std::uint8_t {
  kNone,
  kType,
  kDepth,
  kCycle,
  kOutput,
  kMemory,
  kUtf8Value,
  kUtf8Key,
  kKeyType,
  kNumber,
  kArrayKeys,
  kDuplicateKey,
  kStack,
};

// One key of an object being encoded. `str` points into the key string, which the table keeps alive (the
// table is anchored on the stack and no Lua code runs while encoding).
struct KeyEntry {
  const char* str;  // null for an integer key
  std::size_t len;
  std::uint64_t prefix;  // the first 8 bytes of the key's text, big-endian, zero-padded: orders most keys
  lua_Integer ikey;
  int slot;  // stack index of the value
};

enum class StepKind : std::uint8_t { kIndex, kKey, kIntKey };

struct PathStep {
  const char* key;
  std::size_t len;
  lua_Integer index;
  StepKind kind;
};

// The encoder's whole state. Trivially destructible; the arrays are left uninitialised (only the entries
// up to the current depth are ever read).
struct Encoder {
  lua_State* L;
  GrowBuffer* out;
  GrowBuffer* keys;
  std::size_t keyCount;
  std::size_t limit;
  char* cur;  // write position in out->data
  char* end;  // out->data + min(capacity, limit)
  const void* nullPtr;
  const void* arrayMeta;  // null: this VM has no array marker
  int maxDepth;
  unsigned pollCountdown;
  EncodeError error;
  int errorDepth;
  int errorType;
  double errorNumber;
  const void* ancestors[detail::kMaxDepthCeiling];
  PathStep path[detail::kMaxDepthCeiling + 1];
};

void initEncoder(Encoder& e, lua_State* L, GrowBuffer* out, GrowBuffer* keys, const JsonLimits& limits,
                 const void* nullPtr, const void* arrayMeta) {
  e.L = L;
  e.out = out;
  e.keys = keys;
  e.keyCount = 0;
  e.limit = limits.maxOutputBytes;
  out->size = 0;
  e.cur = out->data;
  e.end = out->data + std::min(out->capacity, e.limit);
  e.nullPtr = nullPtr;
  e.arrayMeta = arrayMeta;
  e.maxDepth = detail::clampDepth(limits.maxDepth);
  e.pollCountdown = detail::kPollEvery;
  e.error = EncodeError::kNone;
  e.errorDepth = 0;
  e.errorType = LUA_TNONE;
  e.errorNumber = 0;
}

bool fail(Encoder& e, EncodeError error, int depth, int luaType = LUA_TNONE) {
  e.error = error;
  e.errorDepth = depth;
  e.errorType = luaType;
  return false;
}

inline void poll(Encoder& e) {
  if (--e.pollCountdown == 0) [[unlikely]] {
    e.pollCountdown = detail::kPollEvery;
    limits::pollInterrupt(e.L);
  }
}

[[gnu::noinline]] bool reserveSlow(Encoder& e, std::size_t n) {
  GrowBuffer& b = *e.out;
  const auto used = static_cast<std::size_t>(e.cur - b.data);
  if (n > e.limit - used) return fail(e, EncodeError::kOutput, 0);
  const std::size_t want = used + n;
  if (want > b.capacity) {
    const std::size_t cap = std::min(std::max({want, b.capacity * 2, kMinGrow}), std::max(want, e.limit));
    b.size = used;
    if (!b.grow(b, cap)) return fail(e, EncodeError::kMemory, 0);
  }
  e.cur = b.data + used;
  e.end = b.data + std::min(b.capacity, e.limit);
  return true;
}

inline bool put(Encoder& e, const char* s, std::size_t n) {
  if (n > static_cast<std::size_t>(e.end - e.cur)) [[unlikely]] {
    if (!reserveSlow(e, n)) return false;
  }
  std::memcpy(e.cur, s, n);
  e.cur += n;
  return true;
}

inline bool putChar(Encoder& e, char c) {
  if (e.cur == e.end) [[unlikely]] {
    if (!reserveSlow(e, 1)) return false;
  }
  *e.cur++ = c;
  return true;
}

bool putEscape(Encoder& e, unsigned char c) {
  char buf[6] = {'\\', 0, 0, 0, 0, 0};
  switch (c) {
    case '"': buf[1] = '"'; return put(e, buf, 2);
    case '\\': buf[1] = '\\'; return put(e, buf, 2);
    case '\n': buf[1] = 'n'; return put(e, buf, 2);
    case '\r': buf[1] = 'r'; return put(e, buf, 2);
    case '\t': buf[1] = 't'; return put(e, buf, 2);
    case '\b': buf[1] = 'b'; return put(e, buf, 2);
    case '\f': buf[1] = 'f'; return put(e, buf, 2);
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      buf[1] = 'u';
      buf[2] = '0';
      buf[3] = '0';
      buf[4] = kHex[c >> 4];
      buf[5] = kHex[c & 0xF];
      return put(e, buf, 6);
    }
  }
}

// A quoted, escaped string. Fails on ill-formed UTF-8 (error kUtf8Value or kUtf8Key at `depth`).
bool writeString(Encoder& e, const char* s, std::size_t n, int depth, EncodeError utf8Error) {
  if (!putChar(e, '"')) return false;
  const char* p = s;
  const char* const end = s + n;
  const char* run = p;
  while (p != end) {
    p = detail::swar::findStringSpecial(p, end);
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      const int len = detail::utf8SequenceLength(reinterpret_cast<const unsigned char*>(p),
                                                 reinterpret_cast<const unsigned char*>(end));
      if (len == 0) return fail(e, utf8Error, depth);
      p += len;
      continue;
    }
    // '"', '\\' or a control character
    if (!put(e, run, static_cast<std::size_t>(p - run)) || !putEscape(e, c)) return false;
    run = ++p;
  }
  return put(e, run, static_cast<std::size_t>(p - run)) && putChar(e, '"');
}

bool writeNumber(Encoder& e, int slot, int depth) {
  char buf[40];
  if (lua_isinteger(e.L, slot)) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(lua_tointegerx(e.L, slot, nullptr)));
    return put(e, buf, static_cast<std::size_t>(r.ptr - buf));
  }
  const double d = lua_tonumberx(e.L, slot, nullptr);
  if (!std::isfinite(d)) {
    e.errorNumber = d;
    return fail(e, EncodeError::kNumber, depth);
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round trip; 5.0 -> "5"
  return put(e, buf, static_cast<std::size_t>(r.ptr - buf));
}

// Formats an integer key as its decimal text into buf (>= 24 bytes); returns the length.
std::size_t intKeyText(lua_Integer k, char* buf) {
  const auto r = std::to_chars(buf, buf + 24, static_cast<long long>(k));
  return static_cast<std::size_t>(r.ptr - buf);
}

std::uint64_t keyPrefix(const char* s, std::size_t n) {
  if (n == 0) return 0;
  const std::uint64_t v = n >= 8 ? detail::swar::load(s) : detail::swar::loadTail(s, n, 0);
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
  return v;
}

// Bytewise order of the keys' text (integer keys as decimal text).
int compareKeysSlow(const KeyEntry& a, const KeyEntry& b) noexcept;

inline int compareKeys(const KeyEntry& a, const KeyEntry& b) noexcept {
  if (a.prefix != b.prefix) return a.prefix < b.prefix ? -1 : 1;
  if (a.str != nullptr && b.str != nullptr && a.len <= 8 && b.len <= 8) {
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);  // equal padded prefixes: the shorter first
  }
  return compareKeysSlow(a, b);
}

int compareKeysSlow(const KeyEntry& a, const KeyEntry& b) noexcept {
  char abuf[24];
  char bbuf[24];
  const char* as = a.str;
  std::size_t al = a.len;
  const char* bs = b.str;
  std::size_t bl = b.len;
  if (as == nullptr) {
    al = intKeyText(a.ikey, abuf);
    as = abuf;
  }
  if (bs == nullptr) {
    bl = intKeyText(b.ikey, bbuf);
    bs = bbuf;
  }
  const int c = std::memcmp(as, bs, std::min(al, bl));
  if (c != 0) return c;
  return al < bl ? -1 : (al > bl ? 1 : 0);
}

bool encodeAny(Encoder& e, int slot, int depth);

// True if the keys of the table at `slot` are exactly 1..n. Stops at the first other key.
bool keysAreSequence(lua_State* L, int slot, lua_Unsigned n, unsigned& pollCountdown) {
  lua_Unsigned count = 0;
  lua_pushnil(L);
  while (lua_next(L, slot) != 0) {
    lua_settop(L, -2);  // the value
    if (!lua_isinteger(L, -1)) {
      lua_settop(L, -2);
      return false;
    }
    const lua_Integer k = lua_tointegerx(L, -1, nullptr);
    if (k < 1 || static_cast<lua_Unsigned>(k) > n) {
      lua_settop(L, -2);
      return false;
    }
    ++count;
    if (--pollCountdown == 0) [[unlikely]] {
      pollCountdown = detail::kPollEvery;
      limits::pollInterrupt(L);
    }
  }
  return count == n;
}

bool tableIsEmpty(lua_State* L, int slot) {
  lua_pushnil(L);
  if (lua_next(L, slot) == 0) return true;
  lua_settop(L, -3);
  return false;
}

bool encodeArray(Encoder& e, int slot, lua_Unsigned n, int depth) {
  if (!putChar(e, '[')) return false;
  for (lua_Unsigned i = 1; i <= n; ++i) {
    if (i > 1 && !putChar(e, ',')) return false;
    PathStep& step = e.path[depth + 1];
    step.kind = StepKind::kIndex;
    step.index = static_cast<lua_Integer>(i);
    lua_rawgeti(e.L, slot, static_cast<lua_Integer>(i));
    if (!encodeAny(e, lua_gettop(e.L), depth + 1)) return false;
    lua_settop(e.L, -2);
  }
  return putChar(e, ']');
}

KeyEntry* keyEntries(Encoder& e) { return reinterpret_cast<KeyEntry*>(e.keys->data); }

bool pushKeyEntry(Encoder& e, const KeyEntry& k) {
  GrowBuffer& b = *e.keys;
  const std::size_t need = (e.keyCount + 1) * sizeof(KeyEntry);
  if (need > b.capacity) {
    const std::size_t cap = std::max({need, b.capacity * 2, 16 * sizeof(KeyEntry)});
    if (!b.grow(b, cap)) return false;
  }
  keyEntries(e)[e.keyCount++] = k;
  return true;
}

bool encodeObject(Encoder& e, int slot, int depth) {
  lua_State* L = e.L;
  const int base = lua_gettop(L);
  const std::size_t first = e.keyCount;

  // Collect: each key/value pair stays on the stack (a copy of the key drives lua_next), each key's text
  // goes to the key scratch.
  lua_pushnil(L);
  while (lua_next(L, slot) != 0) {
    KeyEntry k{nullptr, 0, 0, 0, lua_gettop(L)};  // ... key value
    const int keyType = lua_type(L, -2);
    if (keyType == LUA_TSTRING) {
      k.str = lua_tolstring(L, -2, &k.len);
      k.prefix = keyPrefix(k.str, k.len);
    } else if (keyType == LUA_TNUMBER && lua_isinteger(L, -2)) {
      k.ikey = lua_tointegerx(L, -2, nullptr);
      char buf[24];
      k.prefix = keyPrefix(buf, intKeyText(k.ikey, buf));
    } else {
      if (keyType == LUA_TNUMBER) e.errorNumber = lua_tonumberx(L, -2, nullptr);
      return fail(e, EncodeError::kKeyType, depth, keyType);
    }
    if (!pushKeyEntry(e, k)) return fail(e, EncodeError::kMemory, depth);
    if (!lua_checkstack(L, 4)) {
      return fail(e, stackLimitReached(L, 4) ? EncodeError::kStack : EncodeError::kMemory, depth);
    }
    lua_pushvalue(L, -2);
    poll(e);
  }

  const std::size_t count = e.keyCount - first;
  KeyEntry* entries = keyEntries(e) + first;
  // Bytewise order of the key text; an integer key sorts before the equal string key (reported as a
  // duplicate below, at the string key).
  std::sort(entries, entries + count, [](const KeyEntry& a, const KeyEntry& b) noexcept {
    const int c = compareKeys(a, b);
    return c != 0 ? c < 0 : (a.str == nullptr && b.str != nullptr);
  });

  if (!putChar(e, '{')) return false;
  for (std::size_t i = 0; i < count; ++i) {
    const KeyEntry k = keyEntries(e)[first + i];  // the scratch may move while children are encoded
    PathStep& step = e.path[depth + 1];
    if (k.str != nullptr) {
      step.kind = StepKind::kKey;
      step.key = k.str;
      step.len = k.len;
    } else {
      step.kind = StepKind::kIntKey;
      step.index = k.ikey;
    }
    if (i > 0) {
      if (compareKeys(keyEntries(e)[first + i - 1], k) == 0) return fail(e, EncodeError::kDuplicateKey, depth + 1);
      if (!putChar(e, ',')) return false;
    }
    if (k.str != nullptr) {
      if (!writeString(e, k.str, k.len, depth + 1, EncodeError::kUtf8Key)) return false;
    } else {
      char buf[26];
      buf[0] = '"';
      const std::size_t len = intKeyText(k.ikey, buf + 1);
      buf[len + 1] = '"';
      if (!put(e, buf, len + 2)) return false;
    }
    if (!putChar(e, ':') || !encodeAny(e, k.slot, depth + 1)) return false;
  }
  lua_settop(L, base);
  e.keyCount = first;
  return putChar(e, '}');
}

bool encodeTable(Encoder& e, int slot, int depth) {
  lua_State* L = e.L;
  if (depth >= e.maxDepth) return fail(e, EncodeError::kDepth, depth);
  const void* self = lua_topointer(L, slot);
  for (int i = 0; i < depth; ++i) {
    if (e.ancestors[i] == self) return fail(e, EncodeError::kCycle, depth);
  }
  e.ancestors[depth] = self;
  if (!lua_checkstack(L, 6)) {
    return fail(e, stackLimitReached(L, 6) ? EncodeError::kStack : EncodeError::kMemory, depth);
  }

  // A read-only table (a frozen table, a library) is encoded as what it reads through to.
  if (sandbox::pushReadOnlyTarget(L, slot)) {
    const bool ok = encodeTable(e, lua_gettop(L), depth);
    lua_settop(L, -2);
    return ok;
  }

  const lua_Unsigned n = lua_rawlen(L, slot);
  if (n > 0 && keysAreSequence(L, slot, n, e.pollCountdown)) return encodeArray(e, slot, n, depth);
  if (isMarked(L, slot, e.arrayMeta)) {
    if (n == 0 && tableIsEmpty(L, slot)) return put(e, "[]", 2);
    return fail(e, EncodeError::kArrayKeys, depth);
  }
  return encodeObject(e, slot, depth);
}

bool encodeAny(Encoder& e, int slot, int depth) {
  poll(e);
  switch (lua_type(e.L, slot)) {
    case LUA_TNIL: return put(e, "null", 4);
    case LUA_TBOOLEAN: return lua_toboolean(e.L, slot) != 0 ? put(e, "true", 4) : put(e, "false", 5);
    case LUA_TNUMBER: return writeNumber(e, slot, depth);
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* s = lua_tolstring(e.L, slot, &n);  // a string already: no conversion
      return writeString(e, s, n, depth, EncodeError::kUtf8Value);
    }
    case LUA_TTABLE: return encodeTable(e, slot, depth);
    case LUA_TUSERDATA:
      if (e.nullPtr != nullptr && lua_touserdata(e.L, slot) == e.nullPtr) return put(e, "null", 4);
      return fail(e, EncodeError::kType, depth, LUA_TUSERDATA);
    default: return fail(e, EncodeError::kType, depth, lua_type(e.L, slot));
  }
}

// Runs the encoder on the value at `slot`. On success out->size is the text's length.
bool runEncoder(Encoder& e, int slot) {
  const int top = lua_gettop(e.L);
  const bool ok = encodeAny(e, slot, 0);
  lua_settop(e.L, top);
  e.out->size = ok ? static_cast<std::size_t>(e.cur - e.out->data) : 0;
  return ok;
}

bool isIdentifier(const char* s, std::size_t n) {
  if (n == 0 || n > 64) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// "$.a.b[3]" for the path down to `depth`, truncated with "..." to fit.
void formatPath(const Encoder& e, int depth, char* out, std::size_t outSize) {
  std::size_t len = 0;
  auto append = [&](const char* s, std::size_t n) {
    if (len >= outSize - 1) return;
    const std::size_t room = outSize - 1 - len;
    std::memcpy(out + len, s, std::min(n, room));
    len += std::min(n, room);
  };
  append("$", 1);
  constexpr std::size_t kMaxPath = 200;
  for (int d = 1; d <= depth && d <= detail::kMaxDepthCeiling; ++d) {
    if (len > kMaxPath) {
      append("...", 3);
      break;
    }
    const PathStep& step = e.path[d];
    char buf[64];
    if (step.kind == StepKind::kKey && isIdentifier(step.key, step.len)) {
      append(".", 1);
      append(step.key, step.len);
    } else if (step.kind == StepKind::kKey) {
      append("[\"", 2);
      const std::size_t shown = std::min<std::size_t>(step.len, 40);
      for (std::size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(step.key[i]);
        const char printable = (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ? static_cast<char>(c) : '?';
        append(&printable, 1);
      }
      if (shown < step.len) append("...", 3);
      append("\"]", 2);
    } else {
      const int n = std::snprintf(buf, sizeof buf, "[%lld]", static_cast<long long>(step.index));
      append(buf, static_cast<std::size_t>(n));
    }
  }
  out[len] = '\0';
}

void formatEncodeFailure(const Encoder& e, char* out, std::size_t outSize) {
  char path[256];
  formatPath(e, e.errorDepth, path, sizeof path);
  switch (e.error) {
    case EncodeError::kNone: std::snprintf(out, outSize, "json: no error"); return;
    case EncodeError::kType:
      std::snprintf(out, outSize, "json: cannot encode a %s value at %s", lua_typename(e.L, e.errorType), path);
      return;
    case EncodeError::kDepth:
      std::snprintf(out, outSize, "json: nesting deeper than %d levels at %s", e.maxDepth, path);
      return;
    case EncodeError::kCycle:
      std::snprintf(out, outSize, "json: cannot encode a table that contains itself (a cycle) at %s", path);
      return;
    case EncodeError::kOutput:
      std::snprintf(out, outSize, "json: output larger than the limit of %zu bytes", e.limit);
      return;
    case EncodeError::kMemory: std::snprintf(out, outSize, "%s", kNoMemory); return;
    case EncodeError::kUtf8Value: std::snprintf(out, outSize, "json: invalid UTF-8 in a string at %s", path); return;
    case EncodeError::kUtf8Key: std::snprintf(out, outSize, "json: invalid UTF-8 in a key at %s", path); return;
    case EncodeError::kKeyType: {
      const char* what = e.errorType == LUA_TNUMBER ? "float" : lua_typename(e.L, e.errorType);
      std::snprintf(out, outSize, "json: cannot encode a table with a %s key at %s", what, path);
      return;
    }
    case EncodeError::kNumber:
      std::snprintf(out, outSize, "json: cannot encode %s at %s",
                    std::isnan(e.errorNumber) ? "NaN" : (e.errorNumber > 0 ? "inf" : "-inf"), path);
      return;
    case EncodeError::kArrayKeys:
      std::snprintf(out, outSize, "json: a table marked as array has keys other than 1..n at %s", path);
      return;
    case EncodeError::kDuplicateKey:
      std::snprintf(out, outSize, "json: key appears both as an integer and as a string at %s", path);
      return;
    case EncodeError::kStack: std::snprintf(out, outSize, "json: Lua stack exhausted at %s", path); return;
  }
  std::snprintf(out, outSize, "json: encode failed");
}

ErrorKind encodeErrorKind(EncodeError e) {
  switch (e) {
    case EncodeError::kDepth:
    case EncodeError::kOutput:
    case EncodeError::kStack: return ErrorKind::kLimitExceeded;
    case EncodeError::kMemory: return ErrorKind::kMemoryLimit;
    default: return ErrorKind::kRuntimeError;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Lua-facing functions. Upvalues: 1 = JSON state, 2 = json.null, 3 = the array metatable, 4 = key cache.

JsonVmState* upState(lua_State* L) { return static_cast<JsonVmState*>(lua_touserdata(L, lua_upvalueindex(1))); }

void shrinkScratch(JsonVmState* st) {
  if (st->out.capacity > kKeepScratchBytes) releaseVmBuffer(st, st->out);
  if (st->keys.capacity > kKeepScratchBytes) releaseVmBuffer(st, st->keys);
}

int luaEncode(lua_State* L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  JsonVmState* st = upState(L);
  char message[sandbox::kMaxErrorMessage];
  bool ok = false;
  {
    Encoder e;  // NOLINT: left uninitialised on purpose (initEncoder sets what is read)
    initEncoder(e, L, &st->out, &st->keys, st->limits, st->nullPtr, st->arrayMeta);
    ok = runEncoder(e, 1);
    if (!ok) formatEncodeFailure(e, message, sizeof message);
  }
  if (!ok) {
    shrinkScratch(st);
    lua_pushstring(L, message);
    return lua_error(L);
  }
  lua_pushlstring(L, st->out.data, st->out.size);
  shrinkScratch(st);
  return 1;
}

int luaDecode(lua_State* L) {
  std::size_t n = 0;
  const char* s = luaL_checklstring(L, 1, &n);
  lua_settop(L, 1);
  JsonVmState* st = upState(L);
  char message[sandbox::kMaxErrorMessage];
  if (n > st->limits.maxInputBytes) {
    formatTooLarge(message, sizeof message, n, st->limits.maxInputBytes);
    lua_pushstring(L, message);
    return lua_error(L);
  }
  ParseFailure failure;
  if (decodeOnto(L, s, n, st->limits.maxDepth, st, lua_upvalueindex(2), lua_upvalueindex(3), lua_upvalueindex(4),
                 false, failure)) {
    return 1;
  }
  detail::formatParseFailure(failure, s, n, message, sizeof message);
  lua_pushstring(L, message);
  return lua_error(L);
}

int luaArray(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_createtable(L, 0, 0);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (lua_getmetatable(L, 1)) {
      // Already an array: fine. Any other metatable stays; replacing it would change the table's behaviour.
      if (lua_rawequal(L, -1, lua_upvalueindex(3))) {
        lua_settop(L, 1);
        return 1;
      }
      return luaL_argerror(L, 1, "the table already has another metatable");
    }
  }
  markTop(L, lua_upvalueindex(3));
  return 1;
}

int luaIsArray(lua_State* L) {
  bool result = false;
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_settop(L, 1);
    const lua_Unsigned n = lua_rawlen(L, 1);
    unsigned countdown = detail::kPollEvery;
    if (n > 0 && keysAreSequence(L, 1, n, countdown)) {
      result = true;
    } else if (n == 0 && isMarked(L, 1, upState(L)->arrayMeta)) {
      result = tableIsEmpty(L, 1);
    }
  }
  lua_pushboolean(L, result ? 1 : 0);
  return 1;
}

// ---------------------------------------------------------------------------------------------------------
// Host-side protected calls

// Calls fn(ud[, value]) under lua_pcall. valueIndex is an absolute index or 0.
int callProtected(lua_State* L, lua_CFunction fn, void* ud, int valueIndex, int nresults) {
  if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, ud);
  if (valueIndex != 0) lua_pushvalue(L, valueIndex);
  return lua_pcall(L, valueIndex != 0 ? 2 : 1, nresults, 0);
}

// The Status for a Lua error left at the top of the stack by callProtected (the caller restores the stack).
Error luaFailure(lua_State* L, int status) {
  if (status == LUA_ERRMEM) return makeError(ErrorKind::kMemoryLimit, kNoMemory);
  std::string message = lua_gettop(L) > 0 ? sandbox::errorMessage(L, -1) : std::string("unknown error");
  if (message == limits::kKillMessage) return makeError(ErrorKind::kTimeout, std::move(message));
  if (message == kNoMemory) return makeError(ErrorKind::kMemoryLimit, std::move(message));
  if (message.rfind("json: Lua stack exhausted", 0) == 0) {
    return makeError(ErrorKind::kLimitExceeded, std::move(message));
  }
  return makeError(ErrorKind::kInternal, std::move(message));
}

struct DecodeCall {
  const char* text;
  std::size_t size;
  int maxDepth;
  bool failed;
  ParseFailure failure;
};

int decodeThunk(lua_State* L) {
  auto* call = static_cast<DecodeCall*>(lua_touserdata(L, 1));
  JsonVmState* st = pushStateParts(L);  // 2 = state, 3 = json.null, 4 = array metatable, 5 = key cache
  if (decodeOnto(L, call->text, call->size, call->maxDepth, st, 3, 4, 5, true, call->failure)) return 1;
  call->failed = true;
  return 0;
}

struct EncodeCall {
  GrowBuffer* out;
  GrowBuffer* keys;
  const JsonLimits* limits;
  bool failed;
  ErrorKind kind;
  char message[sandbox::kMaxErrorMessage];
};

int encodeThunk(lua_State* L) {
  auto* call = static_cast<EncodeCall*>(lua_touserdata(L, 1));
  // 2 = the value, 3 = the JSON state (or nil: this VM never opened json)
  const JsonVmState* st = nullptr;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kStateKey) == LUA_TUSERDATA) {
    st = static_cast<const JsonVmState*>(lua_touserdata(L, 3));
  }
  Encoder e;  // NOLINT: left uninitialised on purpose (initEncoder sets what is read)
  initEncoder(e, L, call->out, call->keys, *call->limits, st != nullptr ? st->nullPtr : nullptr,
              st != nullptr ? st->arrayMeta : nullptr);
  if (!runEncoder(e, 2)) {
    call->failed = true;
    call->kind = encodeErrorKind(e.error);
    formatEncodeFailure(e, call->message, sizeof call->message);
  }
  return 0;
}

bool growString(GrowBuffer& b, std::size_t newCapacity) noexcept {
  auto* s = static_cast<std::string*>(b.owner);
  try {
    s->resize(newCapacity);
  } catch (...) {
    return false;
  }
  b.data = s->data();
  b.capacity = s->size();
  return true;
}

// The host encoder's key scratch: inline storage for the common case, the heap past it. Lives in
// encodeValue's frame, outside the protected call.
struct HostKeys {
  static constexpr std::size_t kInline = 64;
  alignas(KeyEntry) char inlineStorage[kInline * sizeof(KeyEntry)];
  GrowBuffer buffer;
  HostKeys();
  HostKeys(const HostKeys&) = delete;
  HostKeys& operator=(const HostKeys&) = delete;
  ~HostKeys() {
    if (buffer.data != inlineStorage) std::free(buffer.data);
  }
};

bool growHostKeys(GrowBuffer& b, std::size_t newCapacity) noexcept {
  auto* keys = static_cast<HostKeys*>(b.owner);
  void* p = nullptr;
  if (b.data == keys->inlineStorage) {
    p = std::malloc(newCapacity);
    if (p != nullptr) std::memcpy(p, b.data, b.capacity);
  } else {
    p = std::realloc(b.data, newCapacity);
  }
  if (p == nullptr) return false;
  b.data = static_cast<char*>(p);
  b.capacity = newCapacity;
  return true;
}

HostKeys::HostKeys() : buffer{inlineStorage, 0, sizeof inlineStorage, growHostKeys, this} {}

}  // namespace

Status pushJson(lua_State* L, std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.maxInputBytes) {
    char message[sandbox::kMaxErrorMessage];
    formatTooLarge(message, sizeof message, text.size(), limits.maxInputBytes);
    return makeError(ErrorKind::kLimitExceeded, message);
  }
  DecodeCall call{text.data(), text.size(), limits.maxDepth, false, {}};
  const int top = lua_gettop(L);
  const int status = callProtected(L, decodeThunk, &call, 0, 1);
  if (status != LUA_OK) {
    Error error = luaFailure(L, status);
    lua_settop(L, top);
    return error;
  }
  if (call.failed) {
    lua_settop(L, top);
    char message[sandbox::kMaxErrorMessage];
    detail::formatParseFailure(call.failure, text.data(), text.size(), message, sizeof message);
    return makeError(call.failure.error == JsonError::kTooDeep ? ErrorKind::kLimitExceeded : ErrorKind::kBadInput,
                     message);
  }
  return {};
}

Status encodeValue(lua_State* L, int index, std::string& out, const JsonLimits& limits) {
  const int value = lua_absindex(L, index);
  const int top = lua_gettop(L);
  out.clear();  // keeps the capacity: growString resizes within it before it reallocates
  GrowBuffer outBuf{out.data(), 0, 0, growString, &out};
  HostKeys keys;
  EncodeCall call{&outBuf, &keys.buffer, &limits, false, ErrorKind::kInternal, {}};
  const int status = callProtected(L, encodeThunk, &call, value, 0);
  if (status != LUA_OK) {
    Error error = luaFailure(L, status);
    lua_settop(L, top);
    out.clear();
    return error;
  }
  lua_settop(L, top);
  if (call.failed) {
    out.clear();
    return makeError(call.kind, call.message);
  }
  out.resize(outBuf.size);
  return {};
}

int openJson(lua_State* L, const JsonLimits* limits) {
  JsonVmState* st = ensureState(L);
  if (limits != nullptr) st->limits = *limits;
  if (!lua_checkstack(L, 6)) stackExhausted(L, 6);
  lua_createtable(L, 0, 5);
  struct Fn {
    const char* name;
    lua_CFunction fn;
  };
  static constexpr Fn kFunctions[] = {
      {"encode", sandbox::guarded<luaEncode>},
      {"decode", sandbox::guarded<luaDecode>},
      {"array", sandbox::guarded<luaArray>},
      {"isarray", sandbox::guarded<luaIsArray>},
  };
  for (const Fn& f : kFunctions) {
    pushStateParts(L);
    lua_pushcclosure(L, f.fn, 4);
    lua_setfield(L, -2, f.name);
  }
  pushNull(L);
  lua_setfield(L, -2, "null");
  return 1;
}

void pushNull(lua_State* L) {
  ensureState(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kStateKey);
  lua_getiuservalue(L, -1, 1);
  lua_remove(L, -2);
}

bool isNull(lua_State* L, int index) {
  if (lua_type(L, index) != LUA_TUSERDATA || !lua_checkstack(L, 1)) return false;
  const void* p = lua_touserdata(L, index);
  bool result = false;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &kStateKey) == LUA_TUSERDATA) {
    result = static_cast<const JsonVmState*>(lua_touserdata(L, -1))->nullPtr == p;
  }
  lua_settop(L, -2);
  return result;
}

}  // namespace tw::events
