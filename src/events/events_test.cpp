// Tests of the JSON <-> Lua codec (json_lua.h) and the Event type (event.h).
#include <gtest/gtest.h>
#include <lua.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/json_lua.h"
#include "limits/interrupt.h"
#include "limits/memory.h"

namespace tw::events {
namespace {

std::string readFixture() {
  std::string path;
  if (const char* dir = std::getenv("TW_SOURCE_DIR")) {
    path = std::string(dir) + "/bench/fixtures/message_create.json";
  } else {
    path = TW_EVENTS_FIXTURE;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

struct OpenArgs {
  const JsonLimits* limits;
};

int openJsonAsGlobal(lua_State* L) {
  auto* args = static_cast<OpenArgs*>(lua_touserdata(L, 1));
  openJson(L, args->limits);
  lua_setglobal(L, "json");
  return 0;
}

struct Outcome {
  bool ok;
  std::string text;  // the result (tostring'd) or the error message
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) { return os << (o.ok ? "ok: " : "error: ") << o.text; }

class JsonLuaTest : public ::testing::Test {
 protected:
  void SetUp() override { open(nullptr); }
  void TearDown() override {
    if (L_ != nullptr) lua_close(L_);
  }

  void open(const JsonLimits* limits, lua_State* state = nullptr) {
    if (L_ != nullptr) lua_close(L_);
    L_ = state != nullptr ? state : luaL_newstate();
    ASSERT_NE(L_, nullptr);
    luaL_openlibs(L_);
    OpenArgs args{limits};
    lua_pushcfunction(L_, openJsonAsGlobal);
    lua_pushlightuserdata(L_, &args);
    ASSERT_EQ(lua_pcall(L_, 1, 0, 0), LUA_OK);
    // Helpers for the tests written in Lua.
    ASSERT_EQ(run(R"lua(
      function deepeq(a, b)
        if type(a) ~= type(b) then return false end
        if type(a) ~= "table" then
          if type(a) == "number" and math.type(a) ~= math.type(b) then return false end
          return a == b
        end
        for k, v in next, a do if not deepeq(v, rawget(b, k)) then return false end end
        for k in next, b do if rawget(a, k) == nil then return false end end
        return true
      end
      function rt(s) return json.encode(json.decode(s)) end
    )lua")
                  .ok,
              true);
  }

  // Runs a chunk; the result is the first returned value through tostring.
  Outcome run(const std::string& code) {
    const int top = lua_gettop(L_);
    Outcome out{false, {}};
    if (luaL_loadstring(L_, code.c_str()) != LUA_OK || lua_pcall(L_, 0, 1, 0) != LUA_OK) {
      out.text = lua_type(L_, -1) == LUA_TSTRING ? lua_tostring(L_, -1) : "(non-string error)";
    } else {
      out.ok = true;
      std::size_t n = 0;
      const char* s = luaL_tolstring(L_, -1, &n);
      out.text.assign(s, n);
    }
    lua_settop(L_, top);
    return out;
  }

  // json.decode(text) then json.encode of the result, through Lua; binary-safe.
  Outcome decodeEncode(const std::string& text) {
    const int top = lua_gettop(L_);
    Outcome out{false, {}};
    lua_getglobal(L_, "json");
    lua_getfield(L_, -1, "decode");
    lua_pushlstring(L_, text.data(), text.size());
    if (lua_pcall(L_, 1, 1, 0) != LUA_OK) {
      out.text = lua_tostring(L_, -1);
      lua_settop(L_, top);
      return out;
    }
    lua_getfield(L_, top + 1, "encode");
    lua_insert(L_, -2);
    if (lua_pcall(L_, 1, 1, 0) != LUA_OK) {
      out.text = lua_tostring(L_, -1);
    } else {
      out.ok = true;
      std::size_t n = 0;
      const char* s = lua_tolstring(L_, -1, &n);
      out.text.assign(s, n);
    }
    lua_settop(L_, top);
    return out;
  }

  // Host-side pushJson + encodeValue.
  Outcome hostRoundTrip(const std::string& text, const JsonLimits& limits = {}) {
    const int top = lua_gettop(L_);
    Status s = pushJson(L_, text, limits);
    if (!s) {
      EXPECT_EQ(lua_gettop(L_), top);
      return {false, s.error().message};
    }
    EXPECT_EQ(lua_gettop(L_), top + 1);
    std::string out;
    Status e = encodeValue(L_, -1, out, limits);
    EXPECT_EQ(lua_gettop(L_), top + 1);
    lua_settop(L_, top);
    if (!e) return {false, e.error().message};
    return {true, out};
  }

  lua_State* L_ = nullptr;
};

// ---------------------------------------------------------------------------------------------------------
// Round trips

TEST_F(JsonLuaTest, CanonicalTextsRoundTripExactly) {
  const std::vector<std::string> texts = {
      "null", "true", "false", "0", "-1", "42", "9223372036854775807", "-9223372036854775808", "1.5", "-0",
      "0.1", "1e+100", "-2.5e-300", "5e-324", "1.7976931348623157e+308", "9223372036854775808", R"("")",
      R"("a\"b\\c\n\r\t\b\f")", R"("\u0000\u001f")", "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"", "[]", "{}",
      "[[]]", "[{}]", "{\"a\":[]}", "{\"a\":{}}", "[1,2,3]", "[null,null]", R"({"a":1,"b":[true,false,null]})",
      R"({"":0,"A":1,"a":2,"aa":3,"b":4})", R"([[[[[[1]]]]]])", R"({"x":{"y":{"z":[1,{"w":[]}]}}})",
      "\"\x7F/\"", R"({"1":1,"x":2})",
  };
  for (const std::string& t : texts) {
    EXPECT_EQ(decodeEncode(t).text, t) << t;
    EXPECT_EQ(hostRoundTrip(t).text, t) << t;
  }
}

TEST_F(JsonLuaTest, NonCanonicalTextsNormalise) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" [ 1 , 2 ] ", "[1,2]"},
      {"\t\r\n{ \"b\" : 1 , \"a\" : 2 }\n", R"({"a":2,"b":1})"},
      {"1.0", "1"},
      {"1E2", "100"},
      {"-0.0", "-0"},
      {"1e-400", "0"},
      {"-1e-400", "-0"},
      {"0.5e1", "5"},
      {R"("\u00e9\/")", "\"\xC3\xA9/\""},
      {R"("\uD83D\uDE00")", "\"\xF0\x9F\x98\x80\""},
      {R"({"a":1,"a":2})", R"({"a":2})"},
      {R"({"a":[1],"a":{}})", R"({"a":{}})"},
      {"123456789012345678901234567890", "1.2345678901234568e+29"},
      {"-9223372036854775809", "-9223372036854775808"},  // a float that prints as 2^63
      {"[1e2, 2.50]", "[100,2.5]"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(decodeEncode(in).text, want) << in;
    EXPECT_EQ(hostRoundTrip(in).text, want) << in;
  }
}

TEST_F(JsonLuaTest, LargeContainersAndDuplicateKeysAcrossChunks) {
  // Containers are built on the Lua stack and flushed into their table every 32 elements.
  for (int n : {0, 1, 31, 32, 33, 64, 65, 1000, 100000}) {
    std::string arr = "[";
    std::string obj = "{";
    for (int i = 0; i < n; ++i) {
      arr += (i ? "," : "") + std::to_string(i);
      obj += std::string(i ? "," : "") + "\"k" + std::to_string(100000 + i) + "\":[" + std::to_string(i) + "]";
    }
    arr += "]";
    obj += "}";
    EXPECT_EQ(hostRoundTrip(arr).text, arr) << n;
    if (n > 0) {
      EXPECT_EQ(hostRoundTrip(obj).text, obj) << n;  // keys are already in sorted order
    }
  }
  // The last duplicate wins, wherever the chunk boundaries fall.
  std::string dup = "{\"a\":0";
  for (int i = 0; i < 100; ++i) dup += ",\"f" + std::to_string(100 + i) + "\":" + std::to_string(i);
  dup += ",\"a\":1}";
  const Outcome o = hostRoundTrip(dup);
  EXPECT_EQ(o.text.substr(0, 7), "{\"a\":1,");
  EXPECT_EQ(run("return json.decode('[' .. ('[],'):rep(99) .. '{}]')[100] ~= nil").text, "true");
}

TEST_F(JsonLuaTest, KeyCacheServesRepeatedKeysAndResistsFlooding) {
  // The host's decode caches member names; json.decode reads the cache but never fills it.
  ASSERT_TRUE(pushJson(L_, R"({"username":1,"avatar":2})").ok());
  lua_setglobal(L_, "a");
  ASSERT_TRUE(pushJson(L_, R"({"username":3,"avatar":4,"id":5})").ok());
  lua_setglobal(L_, "b");
  EXPECT_EQ(run("return a.username + b.username + b.avatar + b.id").text, "13");
  // Flood with distinct names from a script, then from the host: lookups stay correct.
  EXPECT_EQ(run("local t = {} for i = 1, 2000 do t[#t + 1] = '\"name' .. i .. '\":' .. i end "
                "local d = json.decode('{' .. table.concat(t, ',') .. '}') return d.name1 + d.name2000")
                .text,
            "2001");
  std::string flood = "{";
  for (int i = 0; i < 2000; ++i) {
    flood += std::string(i ? "," : "") + "\"host" + std::to_string(i) + "\":" + std::to_string(i);
  }
  flood += "}";
  ASSERT_TRUE(pushJson(L_, flood).ok());
  lua_setglobal(L_, "f");
  EXPECT_EQ(run("return f.host0 + f.host1999 + f.host383 + f.host384").text, "2766");
  const std::string longKey(42, 'k');  // longer than Lua's short strings: never cached
  ASSERT_TRUE(pushJson(L_, R"({"host5":"x","avatar":"y","x\u0041":"z",")" + longKey + R"(":1})").ok());
  lua_setglobal(L_, "g");
  EXPECT_EQ(run("return g.host5 .. g.avatar .. g.xA .. g[('k'):rep(42)]").text, "xyz1");
}

TEST_F(JsonLuaTest, NumbersKeepTheirSubtype) {
  EXPECT_EQ(run("return math.type(json.decode('9007199254740993'))").text, "integer");
  EXPECT_EQ(run("return json.decode('9007199254740993') == 9007199254740993").text, "true");
  EXPECT_EQ(run("return math.type(json.decode('9223372036854775807'))").text, "integer");
  EXPECT_EQ(run("return math.type(json.decode('-9223372036854775808'))").text, "integer");
  EXPECT_EQ(run("return math.type(json.decode('9223372036854775808'))").text, "float");
  EXPECT_EQ(run("return math.type(json.decode('1.0'))").text, "float");
  EXPECT_EQ(run("return math.type(json.decode('0'))").text, "integer");
  EXPECT_EQ(run("local z = json.decode('-0') return math.type(z) .. ' ' .. tostring(1/z)").text, "float -inf");
  EXPECT_EQ(run("return json.encode(5.0)").text, "5");
  EXPECT_EQ(run("return json.encode(2^53)").text, "9007199254740992");
  EXPECT_EQ(run("return json.encode(1e21)").text, "1e+21");
  EXPECT_EQ(run("return json.encode(0.1 + 0.2)").text, "0.30000000000000004");
  EXPECT_EQ(run("return json.encode(-0.0)").text, "-0");
  EXPECT_EQ(run("return json.encode(math.mininteger)").text, "-9223372036854775808");
  EXPECT_EQ(run("local x = 0.1 + 0.2 return json.decode(json.encode(x)) == x").text, "true");
}

TEST_F(JsonLuaTest, FixtureDecodesIntoTablesAndRoundTrips) {
  const std::string body = readFixture();
  ASSERT_GT(body.size(), 1500u);
  auto event = parseEvent(body);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->name, "MESSAGE_CREATE");

  ASSERT_TRUE(pushJson(L_, event->dataJson).ok());
  lua_setglobal(L_, "data");
  EXPECT_EQ(run("return data.author.username").text, "alice.w");
  EXPECT_EQ(run("return data.embeds[1].color").text, "15158332");
  EXPECT_EQ(run("return math.type(data.embeds[1].color)").text, "integer");
  EXPECT_EQ(run("return data.embeds[1].fields[2].name").text, "threshold");
  EXPECT_EQ(run("return #data.mentions .. ' ' .. #data.member.roles").text, "1 3");
  EXPECT_EQ(run("return data.referenced_message == json.null").text, "true");
  EXPECT_EQ(run("return tostring(data.member.avatar)").text, "null");
  EXPECT_EQ(run("return data.tts == false and data.mentions[1].bot == true").text, "true");
  EXPECT_EQ(run("return json.isarray(data.components) and next(data.components) == nil").text, "true");
  EXPECT_EQ(run("return json.isarray(data.member) or json.isarray({})").text, "false");
  EXPECT_EQ(run("return data.guild_id").text, "1090011223344556600");  // snowflakes stay strings

  // Encode, decode again: the same Lua value, and the encoding is a fixed point.
  std::string once;
  lua_getglobal(L_, "data");
  ASSERT_TRUE(encodeValue(L_, -1, once).ok());
  lua_settop(L_, 0);
  EXPECT_TRUE(validateJson(once).ok());
  EXPECT_EQ(once.size(), event->dataJson.size());  // same members, only the key order differs
  EXPECT_NE(once.find(R"("components":[])"), std::string::npos);
  EXPECT_EQ(hostRoundTrip(once).text, once);
  lua_pushlstring(L_, once.data(), once.size());
  lua_setglobal(L_, "once");
  EXPECT_EQ(run("return deepeq(json.decode(once), data)").text, "true");
  EXPECT_EQ(run("return json.encode(data) == once").text, "true");
}

// ---------------------------------------------------------------------------------------------------------
// Decoder errors (RFC 8259 strictness)

TEST_F(JsonLuaTest, EveryRfcErrorHasAClearMessageWithOffset) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "json: unexpected end of input at offset 0"},
      {"   ", "json: unexpected end of input at offset 3"},
      {"[1,]", "json: expected a value at offset 3"},
      {"[,1]", "json: unexpected character ',' at offset 1"},
      {R"({"a":1,})", "json: expected a string key at offset 7"},
      {"[1 2]", "json: expected ',' or ']' at offset 3"},
      {R"({"a":1 "b":2})", "json: expected ',' or '}' at offset 7"},
      {R"({"a" 1})", "json: expected ':' at offset 5"},
      {"{1:2}", "json: expected a string key at offset 1"},
      {"{'a':1}", "json: expected a string key at offset 1"},
      {"// c\n1", "json: unexpected character '/' at offset 0"},
      {"[1 /* c */]", "json: expected ',' or ']' at offset 3"},
      {"NaN", "json: unexpected character 'N' at offset 0"},
      {"Infinity", "json: unexpected character 'I' at offset 0"},
      {"-Infinity", "json: invalid number at offset 1"},
      {"01", "json: leading zeros are not allowed at offset 0"},
      {"-01", "json: leading zeros are not allowed at offset 0"},
      {"[00]", "json: leading zeros are not allowed at offset 1"},
      {"1.", "json: unexpected end of input at offset 2"},
      {"1.e5", "json: invalid number at offset 2"},
      {".5", "json: unexpected character '.' at offset 0"},
      {"+1", "json: unexpected character '+' at offset 0"},
      {"1e", "json: unexpected end of input at offset 2"},
      {"1e+", "json: unexpected end of input at offset 3"},
      {"[1e+]", "json: invalid number at offset 4"},
      {"-", "json: unexpected end of input at offset 1"},
      {"0x10", "json: unexpected text after the value at offset 1"},
      {"1e999999", "json: number out of range at offset 0"},
      {"[-1e999999]", "json: number out of range at offset 1"},
      {"1" + std::string(400, '0'), "json: number out of range at offset 0"},
      {"\"a\x01\"", "json: control character in string at offset 2"},
      {"\"\t\"", "json: control character in string at offset 1"},
      {"\"a\nb\"", "json: control character in string at offset 2"},
      {R"("\x")", "json: invalid escape at offset 1"},
      {R"("\')", "json: invalid escape at offset 1"},
      {R"("\u12G4")", "json: invalid \\u escape at offset 1"},
      {R"("\u12")", "json: invalid \\u escape at offset 1"},
      {R"("\uD800")", "json: lone surrogate in \\u escape at offset 1"},
      {R"("\uDC00")", "json: lone surrogate in \\u escape at offset 1"},
      {R"("x\uD800\u0041")", "json: lone surrogate in \\u escape at offset 2"},
      {R"("\uD800x")", "json: lone surrogate in \\u escape at offset 1"},
      {R"("\uD800\uD800")", "json: lone surrogate in \\u escape at offset 1"},
      {"\"\xFF\"", "json: invalid UTF-8 at offset 1"},
      {"\"ab\xC0\xAF\"", "json: invalid UTF-8 at offset 3"},  // overlong '/'
      {"\"\xED\xA0\x80\"", "json: invalid UTF-8 at offset 1"},  // encoded surrogate
      {"\"\xE2\x82\"", "json: invalid UTF-8 at offset 1"},      // truncated
      {"\"\xF4\x90\x80\x80\"", "json: invalid UTF-8 at offset 1"},  // > U+10FFFF
      {"\"\x80\"", "json: invalid UTF-8 at offset 1"},  // stray continuation byte
      {"\"\xF0\x9F\x98\"", "json: invalid UTF-8 at offset 1"},
      {"tru", "json: invalid literal at offset 0"},
      {"nul", "json: invalid literal at offset 0"},
      {"[truex]", "json: expected ',' or ']' at offset 5"},
      {"True", "json: unexpected character 'T' at offset 0"},
      {"[1] x", "json: unexpected text after the value at offset 4"},
      {"1 2", "json: unexpected text after the value at offset 2"},
      {"\"abc", "json: unexpected end of input at offset 4"},
      {"[", "json: unexpected end of input at offset 1"},
      {"{", "json: unexpected end of input at offset 1"},
      {R"({"a")", "json: unexpected end of input at offset 4"},
      {R"({"a":)", "json: unexpected end of input at offset 5"},
      {"\xEF\xBB\xBF" "1", "json: unexpected byte 0xEF at offset 0"},  // no BOM
      {std::string("\0", 1), "json: unexpected byte 0x00 at offset 0"},
      {"\x0B" "1", "json: unexpected byte 0x0B at offset 0"},  // vertical tab is not JSON whitespace
  };
  for (const auto& [in, want] : cases) {
    const Outcome lua = decodeEncode(in);
    EXPECT_FALSE(lua.ok) << in;
    EXPECT_EQ(lua.text, want) << in;
    const Outcome host = hostRoundTrip(in);
    EXPECT_EQ(host.text, want) << in;
    Status v = validateJson(in);
    ASSERT_FALSE(v.ok()) << in;
    EXPECT_EQ(v.error().message, want) << in;
    EXPECT_EQ(v.error().kind, ErrorKind::kBadInput) << in;
  }
}

TEST_F(JsonLuaTest, DepthIsLimited) {
  const int depth = 128;
  const std::string ok = std::string(depth, '[') + std::string(depth, ']');
  EXPECT_TRUE(decodeEncode(ok).ok);
  EXPECT_EQ(decodeEncode(ok).text, ok);
  const std::string deep = std::string(depth + 1, '[') + std::string(depth + 1, ']');
  EXPECT_EQ(decodeEncode(deep).text, "json: nesting too deep at offset 128");
  std::string objects;
  for (int i = 0; i < 200; ++i) objects += R"({"a":)";
  EXPECT_EQ(decodeEncode(objects).text, "json: nesting too deep at offset 640");

  // 100 000 deep: rejected at the limit, no recursion past it.
  const std::string hostile(100000, '[');
  EXPECT_EQ(decodeEncode(hostile).text, "json: nesting too deep at offset 128");
  Status s = pushJson(L_, hostile);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kLimitExceeded);

  // The limit is configurable and clamped to the ceiling.
  JsonLimits shallow;
  shallow.maxDepth = 2;
  EXPECT_TRUE(hostRoundTrip("[[1]]", shallow).ok);
  EXPECT_EQ(hostRoundTrip("[[[1]]]", shallow).text, "json: nesting too deep at offset 2");
  JsonLimits huge;
  huge.maxDepth = 1 << 30;
  EXPECT_EQ(hostRoundTrip(hostile, huge).text, "json: nesting too deep at offset 512");
}

TEST_F(JsonLuaTest, InputSizeIsLimitedAndWhitespaceIsLinear) {
  const std::string spaces(50u << 20, ' ');
  const auto t0 = std::chrono::steady_clock::now();
  Outcome o = hostRoundTrip(spaces);
  EXPECT_EQ(o.text, "json: input of 52428800 bytes exceeds the limit of 8388608 bytes");
  EXPECT_EQ(decodeEncode(spaces).text, o.text);

  JsonLimits roomy;
  roomy.maxInputBytes = 64u << 20;
  EXPECT_EQ(hostRoundTrip(spaces, roomy).text, "json: unexpected end of input at offset 52428800");
  std::string padded = spaces;
  padded[padded.size() / 2] = '1';
  EXPECT_EQ(hostRoundTrip(padded, roomy).text, "1");
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 10);

  JsonLimits tiny;
  tiny.maxInputBytes = 4;
  open(&tiny);
  EXPECT_EQ(run("return json.encode(json.decode('[1]'))").text, "[1]");
  EXPECT_EQ(run("return json.decode('[1,2]')").text, "json: input of 5 bytes exceeds the limit of 4 bytes");
}

// ---------------------------------------------------------------------------------------------------------
// json.null, arrays, the Lua-facing table

TEST_F(JsonLuaTest, NullIsAUniqueLockedSentinel) {
  EXPECT_EQ(run("return type(json.null)").text, "userdata");
  EXPECT_EQ(run("return tostring(json.null)").text, "null");
  EXPECT_EQ(run("return getmetatable(json.null)").text, "false");
  EXPECT_EQ(run("return json.decode('null') == json.null and rawequal(json.decode('[null]')[1], json.null)").text,
            "true");
  EXPECT_EQ(run("return json.encode(json.null) .. json.encode({a = json.null}) .. json.encode(nil)").text,
            R"(null{"a":null}null)");
  EXPECT_FALSE(run("return json.null.x").ok);
  EXPECT_NE(run("return json.null.x").text.find("json.null"), std::string::npos);
  EXPECT_FALSE(run("json.null.x = 1").ok);
  EXPECT_FALSE(run("setmetatable(json.null, {})").ok);
  EXPECT_FALSE(run("return #json.null").ok);
  EXPECT_EQ(run("return json.null == false or json.null == nil").text, "false");

  // The host sees the same sentinel.
  pushNull(L_);
  EXPECT_TRUE(isNull(L_, -1));
  lua_getglobal(L_, "json");
  lua_getfield(L_, -1, "null");
  EXPECT_TRUE(lua_rawequal(L_, -1, -3));
  lua_settop(L_, 0);
  lua_newuserdatauv(L_, 0, 0);
  EXPECT_FALSE(isNull(L_, -1));
  lua_pushinteger(L_, 1);
  EXPECT_FALSE(isNull(L_, -1));
  lua_settop(L_, 0);

  // A second json table over the same VM shares the sentinel; another VM has its own.
  ASSERT_TRUE(run("json2 = json").ok);
  OpenArgs args{nullptr};
  lua_pushcfunction(L_, openJsonAsGlobal);
  lua_pushlightuserdata(L_, &args);
  ASSERT_EQ(lua_pcall(L_, 1, 0, 0), LUA_OK);
  EXPECT_EQ(run("return json ~= json2 and json.null == json2.null").text, "true");
  lua_State* other = luaL_newstate();
  pushNull(other);
  pushNull(L_);
  EXPECT_NE(lua_touserdata(other, -1), lua_touserdata(L_, -1));
  lua_close(other);
  lua_settop(L_, 0);
}

TEST_F(JsonLuaTest, EmptyArraysStayDistinctFromEmptyObjects) {
  EXPECT_EQ(run("return rt('[]') .. rt('{}') .. rt('[[],{}]') .. rt('{\"a\":[],\"b\":{}}')").text,
            R"([]{}[[],{}]{"a":[],"b":{}})");
  EXPECT_EQ(run("return json.encode({}) .. json.encode(json.array()) .. json.encode(json.array({}))").text,
            "{}[][]");
  EXPECT_EQ(run("local t = {} return rawequal(json.array(t), t)").text, "true");
  // A decoded array emptied by the script is still an array; one filled by it too.
  EXPECT_EQ(run("local d = json.decode('{\"a\":[1,2],\"b\":[]}') d.a[2] = nil d.a[1] = nil d.b[1] = 'x' "
                "return json.encode(d)")
                .text,
            R"({"a":[],"b":["x"]})");
  // The mark is a locked metatable without metamethods: type, tostring, #, next, pairs, ipairs behave as for
  // any table; getmetatable tells it is an array; it cannot be changed, read or forged.
  EXPECT_EQ(run("local a = json.decode('[]') return type(a) .. tostring(getmetatable(a)) .. #a .. tostring(next(a)) "
                ".. (tostring(a):match('^table: ') and 'T' or 'F')")
                .text,
            "tablejson.array0nilT");
  EXPECT_EQ(run("local a = json.decode('[3,4]') local s = 0 for i, v in ipairs(a) do s = s + v end "
                "for k, v in pairs(a) do s = s + v end return s")
                .text,
            "14");
  const Outcome changed = run("local a = json.decode('[1]') setmetatable(a, {}) return json.encode(a)");
  EXPECT_FALSE(changed.ok);
  EXPECT_NE(changed.text.find("cannot change a protected metatable"), std::string::npos) << changed;
  EXPECT_EQ(run("local t = setmetatable({}, {__metatable = 'json.array'}) return json.encode(t)").text, "{}");
  EXPECT_EQ(run("local a = json.array() return rawequal(json.array(a), a)").text, "true");
  const Outcome refused = run("return json.array(setmetatable({}, {}))");
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.text.find("already has another metatable"), std::string::npos) << refused;
  // A marked table with keys other than 1..n is an error, not a silent object.
  EXPECT_EQ(run("local a = json.decode('[1]') a.x = 1 return json.encode(a)").text,
            "json: a table marked as array has keys other than 1..n at $");
  EXPECT_EQ(run("local a = json.array() a[2] = 1 return json.encode({list = a})").text,
            "json: a table marked as array has keys other than 1..n at $.list");
  EXPECT_EQ(run("return tostring(json.isarray({1,2})) .. tostring(json.isarray({a=1})) .. "
                "tostring(json.isarray(json.array())) .. tostring(json.isarray(5)) .. tostring(json.isarray({}))")
                .text,
            "truefalsetruefalsefalse");
  EXPECT_FALSE(run("json.array(5)").ok);
  // Marks do not keep tables alive (2 000 arrays of 10 KB each would be 20 MB).
  EXPECT_EQ(run("collectgarbage() local before = collectgarbage('count') "
                "local text = '[\"' .. ('x'):rep(10000) .. '\"]' "
                "for i = 1, 2000 do json.decode(text) end "
                "collectgarbage() collectgarbage() return collectgarbage('count') - before < 1024")
                .text,
            "true");
}

TEST_F(JsonLuaTest, TablesEncodeAsArraysOrSortedObjects) {
  EXPECT_EQ(run("return json.encode({1, 2, 3})").text, "[1,2,3]");
  EXPECT_EQ(run("return json.encode({b = 1, a = 2, [''] = 0, B = 3, aa = 4})").text,
            R"({"":0,"B":3,"a":2,"aa":4,"b":1})");
  EXPECT_EQ(run("return json.encode({1, 2, x = 3})").text, R"({"1":1,"2":2,"x":3})");
  EXPECT_EQ(run("return json.encode({[1] = 'a', [3] = 'c'})").text, R"({"1":"a","3":"c"})");
  EXPECT_EQ(run("return json.encode({[10] = 'a', [9] = 'b', [-1] = 'c'})").text, R"({"-1":"c","10":"a","9":"b"})");
  EXPECT_EQ(run("return json.encode({[0] = 'z', 'a'})").text, R"({"0":"z","1":"a"})");
  EXPECT_EQ(run("return json.encode({[1] = 'a', ['1'] = 'b'})").text,
            "json: key appears both as an integer and as a string at $[\"1\"]");
  EXPECT_EQ(run("return json.encode({[true] = 1})").text, "json: cannot encode a table with a boolean key at $");
  EXPECT_EQ(run("return json.encode({a = {[1.5] = 1}})").text, "json: cannot encode a table with a float key at $.a");
  EXPECT_EQ(run("return json.encode({[{}] = 1})").text, "json: cannot encode a table with a table key at $");
  // Deterministic: the same content gives the same text whatever the insertion order.
  EXPECT_EQ(run("local a, b = {}, {} for i = 1, 100 do a['k' .. i] = i end for i = 100, 1, -1 do b['k' .. i] = i end "
                "return json.encode(a) == json.encode(b)")
                .text,
            "true");
}

TEST_F(JsonLuaTest, StringsAreEscapedAndUtf8Checked) {
  EXPECT_EQ(run(R"(return json.encode("a\"b\\c/d\n\r\t\b\f\1\31\127"))").text,
            R"("a\"b\\c/d\n\r\t\b\f\u0001\u001f)" "\x7F\"");
  EXPECT_EQ(run(R"(return json.encode("\0"))").text, R"("\u0000")");
  EXPECT_EQ(run(R"(return json.encode("h\u{E9}llo \u{1F600}"))").text, "\"h\xC3\xA9llo \xF0\x9F\x98\x80\"");
  EXPECT_EQ(run(R"(return json.encode({a = {b = "\xff"}}))").text, "json: invalid UTF-8 in a string at $.a.b");
  EXPECT_EQ(run(R"(return json.encode({["\xc0\xaf"] = 1}))").text, "json: invalid UTF-8 in a key at $[\"??\"]");
  EXPECT_EQ(run(R"(return json.encode("\u{D800}"))").text, "json: invalid UTF-8 in a string at $");
  EXPECT_EQ(run(R"(return json.encode({["my key"] = {1, "\xff"}}))").text,
            "json: invalid UTF-8 in a string at $[\"my key\"][2]");
  // Long strings with escapes far apart.
  EXPECT_EQ(run(R"(local s = ("x"):rep(1000) .. "\n" .. ("y"):rep(1000) return json.decode(json.encode(s)) == s)").text,
            "true");
}

// ---------------------------------------------------------------------------------------------------------
// Hostile values

TEST_F(JsonLuaTest, UnencodableValuesNameTheirTypeAndPath) {
  EXPECT_EQ(run("return json.encode({a = {b = {1, 2, print}}})").text,
            "json: cannot encode a function value at $.a.b[3]");
  EXPECT_EQ(run("return json.encode(coroutine.create(print))").text, "json: cannot encode a thread value at $");
  EXPECT_EQ(run("return json.encode({x = io.stdout})").text, "json: cannot encode a userdata value at $.x");
  EXPECT_EQ(run("return json.encode(0/0)").text, "json: cannot encode NaN at $");
  EXPECT_EQ(run("return json.encode({a = math.huge})").text, "json: cannot encode inf at $.a");
  EXPECT_EQ(run("return json.encode({-math.huge})").text, "json: cannot encode -inf at $[1]");
  EXPECT_EQ(run("return json.encode({['a b'] = {['x\"y'] = print}})").text,
            "json: cannot encode a function value at $[\"a b\"][\"x?y\"]");
  lua_pushlightuserdata(L_, L_);
  std::string out = "stale";
  Status s = encodeValue(L_, -1, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kRuntimeError);
  EXPECT_EQ(s.error().message, "json: cannot encode a userdata value at $");
  EXPECT_TRUE(out.empty());
  lua_settop(L_, 0);
}

TEST_F(JsonLuaTest, CyclesAreReportedNotFollowed) {
  EXPECT_EQ(run("local t = {} t.a = t return json.encode(t)").text,
            "json: cannot encode a table that contains itself (a cycle) at $.a");
  EXPECT_EQ(run("local a = {b = {}} a.b.c = {a} return json.encode(a)").text,
            "json: cannot encode a table that contains itself (a cycle) at $.b.c[1]");
  // Shared (acyclic) references are fine.
  EXPECT_EQ(run("local x = {1} return json.encode({a = x, b = x, c = {x, x}})").text,
            R"({"a":[1],"b":[1],"c":[[1],[1]]})");
}

TEST_F(JsonLuaTest, DeepNestingIsBoundedNotAStackOverflow) {
  ASSERT_TRUE(run("deep = {} local t = deep for i = 1, 10000 do t[1] = {} t = t[1] end "
                  "deepo = {} t = deepo for i = 1, 10000 do t.k = {} t = t.k end")
                  .ok);
  const Outcome arr = run("return json.encode(deep)");
  EXPECT_EQ(arr.text.rfind("json: nesting deeper than 128 levels at $[1][1][1]", 0), 0u) << arr;
  EXPECT_LT(arr.text.size(), 300u);
  const Outcome obj = run("return json.encode(deepo)");
  EXPECT_EQ(obj.text.rfind("json: nesting deeper than 128 levels at $.k.k.k", 0), 0u) << obj;
  lua_getglobal(L_, "deep");
  std::string out;
  Status s = encodeValue(L_, -1, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kLimitExceeded);
  JsonLimits deepLimits;
  deepLimits.maxDepth = 100000;  // clamped to 512
  s = encodeValue(L_, -1, out, deepLimits);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.rfind("json: nesting deeper than 512 levels", 0), 0u) << s.error().message;
  lua_settop(L_, 0);
  EXPECT_EQ(run("local t = {} for i = 1, 127 do t = {t} end return #json.encode(t)").text, "256");
}

TEST_F(JsonLuaTest, MetamethodsAreNeverCalled) {
  ASSERT_TRUE(run(R"lua(
    calls = 0
    local function boom() calls = calls + 1 error("metamethod called") end
    local function spin() calls = calls + 1 while true do end end
    local mt = {__index = boom, __newindex = boom, __len = function() calls = calls + 1 return 5 end,
                __pairs = spin, __ipairs = spin, __tostring = boom, __eq = boom, __lt = boom, __le = boom,
                __concat = boom, __call = boom, __name = "Evil", __metatable = "locked"}
    evil = setmetatable({1, 2, x = setmetatable({}, mt)}, mt)
    evilarr = setmetatable({1, 2}, mt)
  )lua")
                  .ok);
  EXPECT_EQ(run("return json.encode(evil)").text, R"({"1":1,"2":2,"x":{}})");
  EXPECT_EQ(run("return json.encode(evilarr)").text, "[1,2]");
  EXPECT_EQ(run("return tostring(json.isarray(evilarr))").text, "true");
  lua_getglobal(L_, "evil");
  std::string out;
  ASSERT_TRUE(encodeValue(L_, -1, out).ok());
  EXPECT_EQ(out, R"({"1":1,"2":2,"x":{}})");
  lua_settop(L_, 0);
  EXPECT_EQ(run("return calls").text, "0");
}

TEST_F(JsonLuaTest, OutputSizeIsLimited) {
  EXPECT_EQ(run("return json.encode(('a'):rep(9 * 1024 * 1024))").text,
            "json: output larger than the limit of 8388608 bytes");
  EXPECT_EQ(run("local t = {} for i = 1, 200000 do t[i] = ('x'):rep(50) end return json.encode(t)").text,
            "json: output larger than the limit of 8388608 bytes");
  // Exponential sharing is bounded by the output limit, not by memory or time.
  EXPECT_EQ(run("local t = {'0123456789'} for i = 1, 40 do t = {t, t} end return json.encode(t)").text,
            "json: output larger than the limit of 8388608 bytes");
  JsonLimits small;
  small.maxOutputBytes = 10;
  lua_pushstring(L_, "0123456789");
  std::string out;
  Status s = encodeValue(L_, -1, out, small);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kLimitExceeded);
  lua_pushstring(L_, "01234567");
  EXPECT_TRUE(encodeValue(L_, -1, out, small).ok());
  EXPECT_EQ(out, "\"01234567\"");
  lua_settop(L_, 0);
  // The Lua-side scratch buffer does not stay large after a big encode.
  EXPECT_EQ(run("return #json.encode(('a'):rep(1000000))").text, "1000002");
}

TEST_F(JsonLuaTest, HostEncodeReusesTheCallersStringAndKeepsTheStack) {
  std::string out;
  out.reserve(4096);
  const auto* before = out.data();
  ASSERT_TRUE(run("t = {a = {1, 2, 3}, b = 'x'}").ok);
  lua_pushinteger(L_, 7);
  lua_getglobal(L_, "t");
  lua_pushinteger(L_, 8);
  ASSERT_TRUE(encodeValue(L_, -2, out).ok());
  EXPECT_EQ(out, R"({"a":[1,2,3],"b":"x"})");
  EXPECT_EQ(out.data(), before);
  EXPECT_EQ(lua_gettop(L_), 3);
  EXPECT_EQ(lua_tointeger(L_, 1), 7);
  EXPECT_EQ(lua_tointeger(L_, 3), 8);
  lua_settop(L_, 0);
  // A VM without the JSON state still encodes (no null, no marks).
  lua_State* bare = luaL_newstate();
  lua_createtable(bare, 0, 0);
  ASSERT_TRUE(encodeValue(bare, -1, out).ok());
  EXPECT_EQ(out, "{}");
  lua_close(bare);
}

// ---------------------------------------------------------------------------------------------------------
// Memory cap and deadline

class MemoryCapTest : public ::testing::Test {};

std::string bigArrayJson(int n) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) {
    if (i > 0) s += ',';
    s += R"({"id":")" + std::to_string(1000000000000000000LL + i) + R"(","n":)" + std::to_string(i) + "}";
  }
  return s + "]";
}

TEST_F(MemoryCapTest, DecodingPastTheCapFailsCleanlyAndLeaksNothing) {
  limits::MemoryBudget budget(1u << 20, nullptr);
  {
    lua_State* L = lua_newstate(limits::MemoryBudget::allocate, &budget);
    ASSERT_NE(L, nullptr);
    luaL_openlibs(L);
    OpenArgs args{nullptr};
    lua_pushcfunction(L, openJsonAsGlobal);
    lua_pushlightuserdata(L, &args);
    ASSERT_EQ(lua_pcall(L, 1, 0, 0), LUA_OK);

    const std::string big = bigArrayJson(20000);  // ~700 KB of text, several MiB as tables
    const int top = lua_gettop(L);
    Status s = pushJson(L, big);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, ErrorKind::kMemoryLimit) << s.error().message;
    EXPECT_EQ(lua_gettop(L), top);
    EXPECT_TRUE(budget.limitHit());

    // The VM still works for small things afterwards.
    lua_gc(L, LUA_GCCOLLECT);
    ASSERT_TRUE(pushJson(L, R"({"ok":[true]})").ok());
    std::string out;
    ASSERT_TRUE(encodeValue(L, -1, out).ok());
    EXPECT_EQ(out, R"({"ok":[true]})");
    lua_settop(L, 0);

    // From Lua: a catchable error, no crash.
    lua_pushlstring(L, big.data(), big.size());
    lua_setglobal(L, "big");
    ASSERT_EQ(luaL_loadstring(L, "local ok, err = pcall(json.decode, big) big = nil return ok, err"), LUA_OK);
    ASSERT_EQ(lua_pcall(L, 0, 2, 0), LUA_OK);
    EXPECT_FALSE(lua_toboolean(L, 1));
    EXPECT_STREQ(lua_tostring(L, 2), "not enough memory");
    lua_settop(L, 0);

    // json.encode's scratch is charged to the VM too: a string that fits, whose encoding does not.
    lua_gc(L, LUA_GCCOLLECT);
    ASSERT_EQ(luaL_loadstring(L, "local s = ('\\1'):rep(150000) local ok, err = pcall(json.encode, s) return ok, err"),
              LUA_OK);
    ASSERT_EQ(lua_pcall(L, 0, 2, 0), LUA_OK);
    EXPECT_FALSE(lua_toboolean(L, 1));
    EXPECT_STREQ(lua_tostring(L, 2), "json: not enough memory");
    lua_settop(L, 0);
    lua_close(L);
  }
  EXPECT_EQ(budget.used(), 0u);
}

TEST_F(MemoryCapTest, CreatingTheJsonStateUnderTheCapIsAllOrNothing) {
  // Find how much a bare VM needs, then give each VM a little more, so that creating the JSON state fails
  // at every possible allocation in turn; whatever happens, there is never a half-made state.
  std::size_t bare = 0;
  {
    limits::MemoryBudget probe(1u << 20, nullptr);
    lua_State* L = lua_newstate(limits::MemoryBudget::allocate, &probe);
    bare = probe.used();
    lua_close(L);
  }
  int failures = 0;
  for (std::size_t extra = 0; extra < 4096; extra += 32) {
    limits::MemoryBudget budget(bare + extra, nullptr);
    lua_State* L = lua_newstate(limits::MemoryBudget::allocate, &budget);
    ASSERT_NE(L, nullptr);
    Status s = pushJson(L, "[null,[]]");
    if (s.ok()) {
      std::string out;
      ASSERT_TRUE(encodeValue(L, -1, out).ok());
      EXPECT_EQ(out, "[null,[]]");
      lua_rawgeti(L, -1, 1);
      EXPECT_TRUE(isNull(L, -1));
    } else {
      ++failures;
      EXPECT_EQ(s.error().kind, ErrorKind::kMemoryLimit) << s.error().message;
      EXPECT_EQ(lua_gettop(L), 0);
      // Even the host's own protected call may find no memory left at the cap: a value, never a crash.
      std::string out;
      lua_pushboolean(L, 1);
      Status e = encodeValue(L, -1, out);
      if (e.ok()) {
        EXPECT_EQ(out, "true");
      } else {
        EXPECT_EQ(e.error().kind, ErrorKind::kMemoryLimit) << e.error().message;
      }
      lua_settop(L, 0);
    }
    lua_close(L);
    EXPECT_EQ(budget.used(), 0u);
  }
  EXPECT_GT(failures, 3);
}

TEST(DeadlineTest, LongDecodesAndEncodesStopAtTheDeadline) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  const std::string big = bigArrayJson(20000);
  ASSERT_TRUE(pushJson(L, big).ok());
  lua_setglobal(L, "big");

  auto& watch = limits::ExecutionWatch::current();
  watch.beginRun(L, limits::monotonicNanos() - 1);  // already past: the kill is pending
  Status d = pushJson(L, big);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(d.error().message, limits::kKillMessage);
  lua_getglobal(L, "big");
  std::string out;
  Status e = encodeValue(L, -1, out);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(watch.endRun(), limits::Interrupt::kKill);
  EXPECT_TRUE(encodeValue(L, -1, out).ok());
  lua_settop(L, 0);
  lua_close(L);
}

// ---------------------------------------------------------------------------------------------------------
// Events

TEST(EventTest, ParsesTheFixture) {
  const std::string body = readFixture();
  auto event = parseEvent(body);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->name, "MESSAGE_CREATE");
  const auto start = body.find("\"data\":") + 7;
  EXPECT_EQ(event->dataJson, body.substr(start, body.size() - start - 1));
  auto again = parseEvent(toBody(*event));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name, event->name);
  EXPECT_EQ(again->dataJson, event->dataJson);
}

TEST(EventTest, AcceptsAnyJsonDataAndWhitespace) {
  auto e = parseEvent(" {\n \"data\" : [1, {\"a\": null}] ,\t\"name\":\"GUILD_MEMBER_ADD\" } \n");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->name, "GUILD_MEMBER_ADD");
  EXPECT_EQ(e->dataJson, R"([1, {"a": null}])");
  for (const char* data : {"null", "3", "\"s\"", "{}", "[]"}) {
    auto x = parseEvent(std::string(R"({"name":"X","data":)") + data + "}");
    ASSERT_TRUE(x.ok()) << data;
    EXPECT_EQ(x->dataJson, data);
  }
  auto escapedKey = parseEvent(R"({"n\u0061me":"A_1","d\u0061ta":1})");
  ASSERT_TRUE(escapedKey.ok()) << escapedKey.error().message;
  EXPECT_EQ(escapedKey->name, "A_1");
}

TEST(EventTest, RejectsBadBodiesClearly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "event: empty body, expected an object at offset 0"},
      {"[]", "event: body must be a JSON object at offset 0"},
      {"{}", "event: missing key \"name\""},
      {R"({"name":"A"})", "event: missing key \"data\""},
      {R"({"data":1})", "event: missing key \"name\""},
      {R"({"name":"A","data":1,"extra":2})",
       "event: unknown key \"extra\" (expected \"name\" and \"data\") at offset 21"},
      {R"({"name":"A","name":"B","data":1})", "event: duplicate key \"name\" at offset 12"},
      {R"({"name":"A","data":1,"data":2})", "event: duplicate key \"data\" at offset 21"},
      {R"({"name":1,"data":1})", "event: \"name\" must be a string at offset 8"},
      {R"({"name":"message_create","data":1})",
       "event: invalid event name \"message_create\" (expected 1 to 64 of A-Z, 0-9, _)"},
      {R"({"name":"","data":1})", "event: invalid event name \"\" (expected 1 to 64 of A-Z, 0-9, _)"},
      {R"({"name":"A-B","data":1})", "event: invalid event name \"A-B\" (expected 1 to 64 of A-Z, 0-9, _)"},
      {R"({"name":"A","data":[1,]})", "event: data: json: expected a value at offset 22"},
      {R"({"name":"A","data":01})", "event: data: json: leading zeros are not allowed at offset 19"},
      {R"({"name":"A","data":"\ud800"})", "event: data: json: lone surrogate in \\u escape at offset 20"},
      {R"({"name":"A","data":1,})", "event: json: expected a string key at offset 21"},
      {R"({"name":"A","data":1} x)", "event: json: unexpected text after the value at offset 22"},
      {R"({"name":"A","data":1)", "event: json: unexpected end of input at offset 20"},
      {R"({"name":"A" "data":1})", "event: json: expected ',' or '}' at offset 12"},
      {R"({"name" "A"})", "event: json: expected ':' at offset 8"},
      {"{\"name\":\"A\",\"data\":\"\xff\"}", "event: data: json: invalid UTF-8 at offset 20"},
  };
  for (const auto& [body, want] : cases) {
    auto e = parseEvent(body);
    ASSERT_FALSE(e.ok()) << body;
    EXPECT_EQ(e.error().message, want) << body;
    EXPECT_EQ(e.error().kind, ErrorKind::kBadInput) << body;
  }
  const std::string longName(65, 'A');
  auto e = parseEvent(R"({"name":")" + longName + R"(","data":1})");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("...\""), std::string::npos);
  EXPECT_TRUE(parseEvent(R"({"name":")" + std::string(64, 'A') + R"(","data":1})").ok());
}

TEST(EventTest, EnforcesDataSizeAndDepth) {
  EventLimits limits;
  limits.maxDataBytes = 10;
  EXPECT_TRUE(parseEvent(R"({"name":"A","data":"12345678"})", limits).ok());
  auto e = parseEvent(R"({"name":"A","data":"123456789"})", limits);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::kLimitExceeded);
  EXPECT_EQ(e.error().message, "event: data of 11 bytes exceeds the limit of 10 bytes");
  auto huge = parseEvent(std::string(200000, ' '), limits);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().kind, ErrorKind::kLimitExceeded);

  EventLimits depth;
  depth.maxDepth = 3;
  EXPECT_TRUE(parseEvent(R"({"name":"A","data":[[[1]]]})", depth).ok());
  auto deep = parseEvent(R"({"name":"A","data":[[[[1]]]]})", depth);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().kind, ErrorKind::kLimitExceeded);
  EXPECT_EQ(deep.error().message, "event: data: json: nesting too deep at offset 22");
}

TEST(EventTest, MakeEventValidatesBothParts) {
  auto ok = makeEvent("KEY_EXPIRED", R"({"key":"a"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(toBody(*ok), R"({"name":"KEY_EXPIRED","data":{"key":"a"}})");
  EXPECT_FALSE(makeEvent("bad name", "1").ok());
  auto bad = makeEvent("A", "[1,]");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "event: data: json: expected a value at offset 3");
  EXPECT_FALSE(makeEvent("A", " ").ok());
}

// ---------------------------------------------------------------------------------------------------------
// Fuzz-style: random and mutated inputs through decode and encode.

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}
  int below(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }

  std::string value(int depth) {
    switch (below(depth > 4 ? 6 : 8)) {
      case 0: return "null";
      case 1: return below(2) ? "true" : "false";
      case 2: return std::to_string(static_cast<std::int64_t>(rng_()) >> below(64));
      case 3: {
        static const char* kNums[] = {"0.5", "-1.25e-7", "1e300", "3.141592653589793", "-0", "1E+2", "123.0e-2",
                                      "18446744073709551616", "-9223372036854775808", "2.2250738585072014e-308"};
        return kNums[below(10)];
      }
      case 4:
      case 5: return string();
      case 6: {
        std::string s = "[";
        const int n = below(5);
        for (int i = 0; i < n; ++i) s += (i ? "," : "") + space() + value(depth + 1) + space();
        return s + "]";
      }
      default: {
        std::string s = "{";
        const int n = below(5);
        for (int i = 0; i < n; ++i) s += (i ? "," : "") + space() + string() + space() + ":" + value(depth + 1);
        return s + "}";
      }
    }
  }

  std::string string() {
    static const char* kPieces[] = {"a", "key", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00", "\xC3\xA9",
                                    "\xE2\x82\xAC", "\xF0\x9F\x98\x80", " ", "\\u0000", "\\t", "Z9_"};
    std::string s = "\"";
    const int n = below(6);
    for (int i = 0; i < n; ++i) s += kPieces[below(15)];
    return s + "\"";
  }

  std::string space() {
    static const char* kSpaces[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
    return kSpaces[below(7)];
  }

  std::string mutate(std::string s) {
    const int edits = 1 + below(4);
    for (int i = 0; i < edits; ++i) {
      const auto pos = s.empty() ? 0 : static_cast<std::size_t>(below(static_cast<int>(s.size())));
      static const char kBytes[] = "{}[],:\"\\0123456789eE+-.tfnul \x00\x01\x7f\x80\xbf\xc3\xe2\xed\xf0\xff";
      switch (below(5)) {
        case 0:
          if (!s.empty()) s[pos] = kBytes[below(sizeof kBytes - 1)];
          break;
        case 1: s.insert(pos, 1, kBytes[below(sizeof kBytes - 1)]); break;
        case 2:
          if (!s.empty()) s.erase(pos, 1 + below(3));
          break;
        case 3: s.resize(pos); break;
        default: {
          const auto from = s.empty() ? 0 : static_cast<std::size_t>(below(static_cast<int>(s.size())));
          s.insert(pos, s.substr(from, 1 + below(8)));
          break;
        }
      }
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

TEST_F(JsonLuaTest, FuzzedInputsNeverCrashAndValidOutputReparses) {
  Generator gen(20261124);
  std::vector<std::string> corpus = {readFixture(), "[]", "{}", R"({"a":[1,2,{"b":null}],"c":"\u00e9"})"};
  int accepted = 0;
  int rejected = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    if (i % 3 == 0) {
      text = gen.value(0);
    } else {
      text = gen.mutate(i % 3 == 1 ? corpus[static_cast<std::size_t>(gen.below(static_cast<int>(corpus.size())))]
                                   : gen.value(0));
    }
    const Outcome lua = decodeEncode(text);
    const Status valid = validateJson(text);
    // The VM-less validator and the Lua decoder agree on every input, with the same message.
    ASSERT_EQ(lua.ok, valid.ok()) << text;
    if (!lua.ok) {
      ++rejected;
      ASSERT_EQ(lua.text.rfind("json: ", 0), 0u) << lua.text;
      ASSERT_EQ(lua.text, valid.error().message) << text;
      ASSERT_EQ(hostRoundTrip(text).text, lua.text) << text;
      continue;
    }
    ++accepted;
    // Valid output reparses, and encoding is a fixed point after one round.
    ASSERT_TRUE(validateJson(lua.text).ok()) << text << " -> " << lua.text;
    const Outcome again = decodeEncode(lua.text);
    ASSERT_TRUE(again.ok) << lua.text;
    ASSERT_EQ(again.text, lua.text);
    ASSERT_EQ(hostRoundTrip(text).text, lua.text);
    if (i % 7 == 0 && corpus.size() < 64) corpus.push_back(text);
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

TEST_F(JsonLuaTest, FuzzedLuaValuesEncodeOrFailCleanly) {
  ASSERT_TRUE(run(R"lua(
    local seed = 12345
    local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n end
    local atoms = {0, -1, 1.5, 0/0, math.huge, math.mininteger, "s", "\xff", "\0", true, false, json.null, print,
                   "\u{1F600}", 2^63, -0.0}
    function randomvalue(depth)
      local r = rnd(depth > 3 and 3 or 6)
      if r < 2 then return atoms[rnd(#atoms) + 1] end
      local t = {}
      local n = rnd(5)
      local kind = rnd(4)
      for i = 1, n do
        if kind == 0 then t[i] = randomvalue(depth + 1)
        elseif kind == 1 then t["k" .. rnd(10)] = randomvalue(depth + 1)
        elseif kind == 2 then t[rnd(6)] = randomvalue(depth + 1)
        else t[({1, "1", 2.5, true})[rnd(4) + 1]] = randomvalue(depth + 1) end
      end
      if rnd(10) == 0 then json.array(t) end
      if rnd(20) == 0 then t.self = t end
      return t
    end
    results = {ok = 0, err = 0}
    for i = 1, 3000 do
      local v = randomvalue(0)
      local ok, text = pcall(json.encode, v)
      if ok then
        results.ok = results.ok + 1
        local again = json.encode(json.decode(text))
        if again ~= text then error("not a fixed point: " .. text .. " vs " .. again) end
      else
        results.err = results.err + 1
        if not tostring(text):find("^json: ") then error("unexpected error: " .. tostring(text)) end
      end
    end
  )lua")
                  .ok);
  EXPECT_EQ(run("return results.ok > 300 and results.err > 300").text, "true")
      << run("return results.ok .. ' ' .. results.err").text;
}

}  // namespace
}  // namespace tw::events
