// Unit tests of the API's pure parts: routing, request mapping, rendering, status mapping, auth and the
// OpenAPI document. No sockets, no Service.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "api/api_handler.h"
#include "api/auth.h"
#include "api/openapi.h"
#include "api/requests.h"
#include "api/responses.h"
#include "api/router.h"

namespace tw::api {
namespace {

using boost::beast::http::verb;
namespace json = boost::json;

RouteMatch mustMatch(verb method, std::string_view target) {
  auto m = matchRoute(method, target);
  EXPECT_TRUE(std::holds_alternative<RouteMatch>(m)) << target;
  if (!std::holds_alternative<RouteMatch>(m)) return {};
  return std::get<RouteMatch>(m);
}

HttpError mustFail(const std::variant<RouteMatch, HttpError>& m) {
  EXPECT_TRUE(std::holds_alternative<HttpError>(m));
  if (!std::holds_alternative<HttpError>(m)) return {};
  return std::get<HttpError>(m);
}

HttpError mustFail(const std::variant<Call, HttpError>& m) {
  EXPECT_TRUE(std::holds_alternative<HttpError>(m));
  if (!std::holds_alternative<HttpError>(m)) return {};
  return std::get<HttpError>(m);
}

// ---------------------------------------------------------------------------------------------------------
// Router

TEST(RouterTest, MatchesEveryRouteWithItsParameters) {
  EXPECT_EQ(mustMatch(verb::get, "/healthz").operation, Operation::kHealthz);
  EXPECT_EQ(mustMatch(verb::get, "/metrics").operation, Operation::kMetrics);
  EXPECT_EQ(mustMatch(verb::get, "/openapi.json").operation, Operation::kOpenApi);
  EXPECT_EQ(mustMatch(verb::get, "/v1/vms").operation, Operation::kListVms);

  RouteMatch put = mustMatch(verb::put, "/v1/guilds/123/templates/greeter");
  EXPECT_EQ(put.operation, Operation::kPutTemplate);
  EXPECT_EQ(put.guild, "123");
  EXPECT_EQ(put.name, "greeter");
  EXPECT_EQ(mustMatch(verb::get, "/v1/guilds/123/templates/greeter").operation, Operation::kGetTemplate);
  EXPECT_EQ(mustMatch(verb::delete_, "/v1/guilds/123/templates/greeter").operation, Operation::kDeleteTemplate);
  EXPECT_EQ(mustMatch(verb::get, "/v1/guilds/123/templates").operation, Operation::kListTemplates);

  RouteMatch events = mustMatch(verb::post, "/v1/guilds/9/events?wait=false");
  EXPECT_EQ(events.operation, Operation::kDispatchEvent);
  EXPECT_EQ(events.guild, "9");
  EXPECT_EQ(events.query, "wait=false");
  EXPECT_EQ(mustMatch(verb::post, "/v1/guilds/9/exec").operation, Operation::kExec);
  EXPECT_EQ(mustMatch(verb::get, "/v1/guilds/9/vm").operation, Operation::kGetVm);
  EXPECT_EQ(mustMatch(verb::delete_, "/v1/guilds/9/vm").operation, Operation::kDestroyVm);
}

TEST(RouterTest, UnknownPathsAre404) {
  for (std::string_view target : {"/", "", "/v1", "/v1/vms/", "/v1//vms", "/v1/guilds/1/templates/", "/v1/guilds//vm",
                                  "/v1/guilds/1/templates/a/b", "/healthz/", "/v2/vms", "healthz"}) {
    HttpError e = mustFail(matchRoute(verb::get, target));
    EXPECT_EQ(e.status, 404u) << target;
    EXPECT_EQ(e.kind, "not_found");
  }
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  HttpError e = mustFail(matchRoute(verb::post, "/v1/guilds/1/templates/a"));
  EXPECT_EQ(e.status, 405u);
  EXPECT_EQ(e.kind, "method_not_allowed");
  EXPECT_EQ(e.allow, "PUT, GET, DELETE");
  EXPECT_EQ(mustFail(matchRoute(verb::get, "/v1/guilds/1/events")).allow, "POST");
  EXPECT_EQ(mustFail(matchRoute(verb::delete_, "/healthz")).allow, "GET");
}

TEST(RouterTest, PercentDecodesParameters) {
  EXPECT_EQ(mustMatch(verb::get, "/v1/guilds/%31%32/templates/a%2Db").guild, "12");
  EXPECT_EQ(mustMatch(verb::get, "/v1/guilds/%31%32/templates/a%2Db").name, "a-b");
  EXPECT_EQ(mustFail(matchRoute(verb::get, "/v1/guilds/1/templates/a%2")).status, 400u);
  EXPECT_EQ(mustFail(matchRoute(verb::get, "/v1/guilds/1/templates/a%zz")).status, 400u);
}

TEST(RouterTest, QueryParameters) {
  EXPECT_EQ(queryParam("wait=false", "wait"), "false");
  EXPECT_EQ(queryParam("a=1&wait=0&b", "wait"), "0");
  EXPECT_EQ(queryParam("wait", "wait"), "");
  EXPECT_EQ(queryParam("waiting=1", "wait"), std::nullopt);
  EXPECT_EQ(queryParam("", "wait"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------------------
// Requests

TEST(RequestsTest, GuildIdsAreDecimalSnowflakes) {
  EXPECT_EQ(parseGuildParam("123")->value, 123u);
  EXPECT_EQ(parseGuildParam("18446744073709551615")->value, 18446744073709551615ull);
  for (std::string_view bad : {"", "abc", "0", "-1", "01", "1.5", "18446744073709551616", " 1", "1e3"}) {
    auto r = parseGuildParam(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
    EXPECT_NE(r.error().message.find("snowflake"), std::string::npos);
  }
}

TEST(RequestsTest, ParsesAFullTemplateBody) {
  auto t = parseTemplateBody("greeter", R"({"files":{"init.lua":"return 1","lib/util.lua":"x"},
      "events":["MESSAGE_CREATE","MESSAGE_CREATE","READY"],"capabilities":["kv:read","kv:write"],"paused":true})");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->name, "greeter");
  EXPECT_EQ(t->files.size(), 2u);
  EXPECT_EQ(t->files.at("init.lua"), "return 1");
  EXPECT_EQ(t->events, (storage::NameSet{"MESSAGE_CREATE", "READY"}));
  EXPECT_EQ(t->capabilities, (storage::NameSet{"kv:read", "kv:write"}));
  EXPECT_TRUE(t->paused);
}

TEST(RequestsTest, TemplateBodyDefaults) {
  auto t = parseTemplateBody("a", R"({"files":{"init.luau":"return 1"}})");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->events.empty());
  EXPECT_TRUE(t->capabilities.empty());
  EXPECT_FALSE(t->paused);
}

TEST(RequestsTest, RejectsBadTemplateBodies) {
  struct Case {
    std::string_view body;
    std::string_view messagePart;
  };
  const Case cases[] = {
      {"", "malformed JSON at offset 0"},
      {"{\"files\":", "malformed JSON"},
      {"{\"files\":{}} x", "malformed JSON"},
      {"[1]", "must be a JSON object"},
      {"{}", "\"files\" is required"},
      {R"({"files":{}})", "entry file"},
      {R"({"files":[]})", "\"files\" must be an object"},
      {R"({"files":{"init.lua":1}})", "file 'init.lua' must be a string"},
      {R"({"files":{"init.lua":""},"events":"X"})", "\"events\" must be an array of strings"},
      {R"({"files":{"init.lua":""},"events":[1]})", "\"events\" must be an array of strings"},
      {R"({"files":{"init.lua":""},"capabilities":{}})", "\"capabilities\" must be an array"},
      {R"({"files":{"init.lua":""},"paused":"no"})", "\"paused\" must be true or false"},
      {R"({"files":{"init.lua":""},"capabilites":[]})", "unknown key \"capabilites\""},
      {"{\"files\":{\"init.lua\":\"\xff\"}}", "malformed JSON"},
  };
  for (const Case& c : cases) {
    auto t = parseTemplateBody("a", c.body);
    ASSERT_FALSE(t.ok()) << c.body;
    EXPECT_EQ(t.error().kind, ErrorKind::kBadInput);
    EXPECT_NE(t.error().message.find(c.messagePart), std::string::npos) << t.error().message;
  }
  // Deeply nested input is refused without recursion trouble.
  EXPECT_FALSE(parseTemplateBody("a", std::string(100000, '[')).ok());
}

TEST(RequestsTest, TemplateNamesAreValidated) {
  for (std::string_view bad : std::initializer_list<std::string_view>{"", ".", "..", "a b", "a/b", "ünï",
                                                                       std::string_view("x\0y", 3)}) {
    auto t = parseTemplateBody(bad, R"({"files":{"init.lua":""}})");
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("invalid template name"), std::string::npos);
  }
  EXPECT_FALSE(parseTemplateBody(std::string(65, 'a'), R"({"files":{"init.lua":""}})").ok());
  EXPECT_TRUE(parseTemplateBody(std::string(64, 'a'), R"({"files":{"init.lua":""}})").ok());
}

TEST(RequestsTest, ParsesExecBodies) {
  auto e = parseExecBody(R"({"code":"return 1 + 1"})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, "return 1 + 1");
  EXPECT_EQ(e->language, "lua");
  EXPECT_TRUE(e->capabilities.empty());
  e = parseExecBody(R"({"language":"luau","capabilities":["kv:write","kv:read"],"code":"return 2"})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->language, "luau");
  EXPECT_EQ(e->capabilities, (std::vector<std::string>{"kv:read", "kv:write"}));

  for (std::string_view bad : {"", "1", "{}", R"({"code":1})", R"({"code":"x","language":"python"})",
                               R"({"code":"x","capabilities":"kv:read"})", R"({"code":"x","extra":1})"}) {
    EXPECT_FALSE(parseExecBody(bad).ok()) << bad;
  }
}

TEST(RequestsTest, WaitParameter) {
  EXPECT_TRUE(parseWaitParam("").value());
  EXPECT_TRUE(parseWaitParam("wait=true").value());
  EXPECT_TRUE(parseWaitParam("wait=1").value());
  EXPECT_FALSE(parseWaitParam("wait=false").value());
  EXPECT_FALSE(parseWaitParam("x=1&wait=0").value());
  EXPECT_FALSE(parseWaitParam("wait=no").ok());
  EXPECT_FALSE(parseWaitParam("wait").ok());
}

TEST(RequestsTest, MapsRequestsToCalls) {
  service::ServiceLimits limits;
  auto call = mapRequest(mustMatch(verb::post, "/v1/guilds/5/events?wait=false"),
                         R"({"name":"MESSAGE_CREATE","data":{"content":"hi"}})", limits);
  ASSERT_TRUE(std::holds_alternative<Call>(call));
  const auto& dispatch = std::get<DispatchEventCall>(std::get<Call>(call));
  EXPECT_EQ(dispatch.guild.value, 5u);
  EXPECT_EQ(dispatch.event.name, "MESSAGE_CREATE");
  EXPECT_EQ(dispatch.event.dataJson, R"({"content":"hi"})");
  EXPECT_FALSE(dispatch.wait);

  call = mapRequest(mustMatch(verb::get, "/v1/guilds/5/templates/x"), "", limits);
  ASSERT_TRUE(std::holds_alternative<Call>(call));
  EXPECT_EQ(std::get<GetTemplateCall>(std::get<Call>(call)).name, "x");

  call = mapRequest(mustMatch(verb::delete_, "/v1/guilds/5/vm"), "", limits);
  ASSERT_TRUE(std::holds_alternative<Call>(call));
  EXPECT_EQ(std::get<DestroyVmCall>(std::get<Call>(call)).guild.value, 5u);
}

TEST(RequestsTest, MappingErrorsCarryStatuses) {
  service::ServiceLimits limits;
  limits.maxBodyBytes = 64;
  EXPECT_EQ(mustFail(mapRequest(mustMatch(verb::get, "/v1/guilds/abc/vm"), "", limits)).status, 400u);
  EXPECT_EQ(mustFail(mapRequest(mustMatch(verb::get, "/v1/guilds/1/templates/a%20b"), "", limits)).status, 400u);
  HttpError big = mustFail(mapRequest(mustMatch(verb::post, "/v1/guilds/1/exec"), std::string(65, ' '), limits));
  EXPECT_EQ(big.status, 413u);
  EXPECT_EQ(big.kind, "limit_exceeded");
  HttpError badEvent = mustFail(mapRequest(mustMatch(verb::post, "/v1/guilds/1/events"), R"({"name":"x"})", limits));
  EXPECT_EQ(badEvent.status, 400u);
  EXPECT_EQ(badEvent.kind, "bad_input");
  EXPECT_EQ(mustFail(mapRequest(mustMatch(verb::post, "/v1/guilds/1/events?wait=maybe"),
                                R"({"name":"X","data":1})", limits))
                .status,
            400u);
}

// ---------------------------------------------------------------------------------------------------------
// Auth and prepareCall

TEST(AuthTest, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secreT", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret1", "secret"));
  EXPECT_FALSE(constantTimeEquals("secre", "secret"));
  EXPECT_FALSE(constantTimeEquals("", "secret"));
  EXPECT_FALSE(constantTimeEquals("secretsecret", "secret"));
  EXPECT_FALSE(constantTimeEquals("", ""));
}

TEST(AuthTest, BearerHeader) {
  EXPECT_TRUE(bearerAuthorized("Bearer t0k", "t0k"));
  EXPECT_TRUE(bearerAuthorized("bearer   t0k ", "t0k"));
  EXPECT_FALSE(bearerAuthorized("Bearer", "t0k"));
  EXPECT_FALSE(bearerAuthorized("Bearer ", "t0k"));
  EXPECT_FALSE(bearerAuthorized("Bearert0k", "t0k"));
  EXPECT_FALSE(bearerAuthorized("Basic t0k", "t0k"));
  EXPECT_FALSE(bearerAuthorized("Bearer t0K", "t0k"));
  EXPECT_FALSE(bearerAuthorized("", "t0k"));
}

TEST(AuthTest, LoopbackAddresses) {
  for (std::string_view a : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(isLoopbackAddress(a)) << a;
  }
  for (std::string_view a : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "example.com", "", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(isLoopbackAddress(a)) << a;
  }
}

TEST(PrepareCallTest, TokenIsRequiredExceptForHealthz) {
  service::ServiceLimits limits;
  ApiRequest r;
  r.method = verb::get;
  r.target = "/v1/vms";
  EXPECT_TRUE(std::holds_alternative<Call>(prepareCall(r, "", limits)));
  HttpError e = mustFail(prepareCall(r, "s3cret", limits));
  EXPECT_EQ(e.status, 401u);
  EXPECT_EQ(e.kind, "unauthorized");
  r.authorization = "Bearer wrong";
  EXPECT_EQ(mustFail(prepareCall(r, "s3cret", limits)).status, 401u);
  r.authorization = "Bearer s3cret";
  EXPECT_TRUE(std::holds_alternative<Call>(prepareCall(r, "s3cret", limits)));

  ApiRequest health;
  health.target = "/healthz";
  EXPECT_TRUE(std::holds_alternative<Call>(prepareCall(health, "s3cret", limits)));
  // Routes are not revealed to a caller without the token.
  ApiRequest unknown;
  unknown.target = "/nope";
  EXPECT_EQ(mustFail(prepareCall(unknown, "s3cret", limits)).status, 401u);
  unknown.authorization = "Bearer s3cret";
  EXPECT_EQ(mustFail(prepareCall(unknown, "s3cret", limits)).status, 404u);
}

// ---------------------------------------------------------------------------------------------------------
// Responses

TEST(ResponsesTest, StatusForEachKind) {
  EXPECT_EQ(statusFor(ErrorKind::kBadInput, Operation::kGetVm), 400u);
  EXPECT_EQ(statusFor(ErrorKind::kSyntaxError, Operation::kPutTemplate), 422u);
  EXPECT_EQ(statusFor(ErrorKind::kNotFound, Operation::kGetTemplate), 404u);
  EXPECT_EQ(statusFor(ErrorKind::kLimitExceeded, Operation::kPutTemplate), 413u);
  EXPECT_EQ(statusFor(ErrorKind::kLimitExceeded, Operation::kExec), 413u);
  EXPECT_EQ(statusFor(ErrorKind::kLimitExceeded, Operation::kListVms), 429u);
  EXPECT_EQ(statusFor(ErrorKind::kUnavailable, Operation::kDispatchEvent), 503u);
  EXPECT_EQ(statusFor(ErrorKind::kInternal, Operation::kDispatchEvent), 500u);
  EXPECT_EQ(statusFor(ErrorKind::kUpstream, Operation::kExec), 502u);
  EXPECT_EQ(statusFor(ErrorKind::kStillRunning, Operation::kExec), 504u);
}

TEST(ResponsesTest, InternalErrorsAreGeneric) {
  HttpError e = fromServiceError(makeError(ErrorKind::kInternal, "sqlite: disk I/O error at /secret/path"),
                                 Operation::kPutTemplate);
  EXPECT_EQ(e.status, 500u);
  EXPECT_EQ(e.kind, "internal_error");
  EXPECT_EQ(e.message.find("secret"), std::string::npos);
  HttpError s = fromServiceError(makeError(ErrorKind::kSyntaxError, "init.lua:1: unexpected symbol near '+'"),
                                 Operation::kPutTemplate);
  EXPECT_EQ(s.status, 422u);
  EXPECT_EQ(s.message, "init.lua:1: unexpected symbol near '+'");
}

TEST(ResponsesTest, ErrorEnvelope) {
  ApiResponse r = errorResponse(HttpError{405, "method_not_allowed", "say \"GET\"", "GET"});
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.body, R"({"error":{"kind":"method_not_allowed","message":"say \"GET\""}})");
  EXPECT_EQ(r.allow, "GET");
  EXPECT_EQ(r.contentType, "application/json");
  EXPECT_TRUE(errorResponse(HttpError{401, "unauthorized", "x", {}}).bearerChallenge);
}

TEST(ResponsesTest, OutcomesHaveTheCliShape) {
  vm::TemplateOutcome ok;
  ok.templateName = "a";
  ok.ok = true;
  ok.valueJson = R"({"n":1})";
  EXPECT_EQ(renderOutcome(ok, true), R"({"template":"a","ok":true,"value":{"n":1}})");
  EXPECT_EQ(renderOutcome(ok, false), R"({"ok":true,"value":{"n":1}})");

  vm::TemplateOutcome failed;
  failed.templateName = "b";
  failed.error = makeError(ErrorKind::kTimeout, "deadline \"passed\"");
  failed.taskErrors = {makeError(ErrorKind::kRuntimeError, "t1"), makeError(ErrorKind::kMemoryLimit, "t2")};
  EXPECT_EQ(renderOutcome(failed, true),
            R"({"template":"b","ok":false,"error":{"kind":"timeout","message":"deadline \"passed\""},)"
            R"("task_errors":[{"kind":"runtime_error","message":"t1"},{"kind":"memory_limit","message":"t2"}]})");
  EXPECT_EQ(renderDispatchResults({ok, failed}),
            "{\"results\":[" + renderOutcome(ok, true) + "," + renderOutcome(failed, true) + "]}");
  EXPECT_EQ(renderDispatchResults({}), R"({"results":[]})");
}

TEST(ResponsesTest, Templates) {
  storage::StoredTemplate t;
  t.spec.name = "greeter";
  t.spec.files = {{"init.lua", "return \"hi\"\n"}};
  t.spec.events = {"MESSAGE_CREATE"};
  t.spec.capabilities = {"kv:read"};
  t.meta.revision = 7;
  t.meta.createdAt = storage::Timestamp{std::chrono::milliseconds{1700000000123}};
  t.meta.updatedAt = storage::Timestamp{std::chrono::milliseconds{1700000001000}};
  EXPECT_EQ(renderStoredTemplate(GuildId{42}, t),
            R"({"guild":"42","name":"greeter","files":{"init.lua":"return \"hi\"\n"},"events":["MESSAGE_CREATE"],)"
            R"("capabilities":["kv:read"],"paused":false,"revision":7,"created_at":"2023-11-14T22:13:20.123Z",)"
            R"("updated_at":"2023-11-14T22:13:21.000Z"})");

  storage::TemplateSummary s;
  s.name = "greeter";
  s.filePaths = {"init.lua", "lib/x.lua"};
  s.paused = true;
  s.meta = t.meta;
  const std::string list = renderTemplateList(GuildId{42}, {s});
  EXPECT_EQ(list,
            R"({"guild":"42","templates":[{"name":"greeter","file_paths":["init.lua","lib/x.lua"],"events":[],)"
            R"("capabilities":[],"paused":true,"revision":7,"created_at":"2023-11-14T22:13:20.123Z",)"
            R"("updated_at":"2023-11-14T22:13:21.000Z"}]})");
  EXPECT_EQ(renderDeleted(8), R"({"deleted":true,"revision":8})");
}

TEST(ResponsesTest, Vms) {
  service::VmInfo vm;
  vm.guild = GuildId{18446744073709551615ull};
  vm.worker = 3;
  vm.state = "ready";
  vm.memoryBytes = 123456;
  vm.templates = 2;
  vm.tasks = 1;
  vm.createdAtMs = 0;
  vm.lastUsedAtMs = 1700000000123;
  EXPECT_EQ(renderVmList({vm}),
            R"({"vms":[{"guild":"18446744073709551615","worker":3,"state":"ready","memory_bytes":123456,)"
            R"("templates":2,"tasks":1,"created_at":"1970-01-01T00:00:00.000Z",)"
            R"("last_used_at":"2023-11-14T22:13:20.123Z"}]})");
  EXPECT_EQ(renderVmList({}), R"({"vms":[]})");
}

TEST(ResponsesTest, IsoTimestamps) {
  EXPECT_EQ(isoTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(isoTimestamp(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(isoTimestamp(4102444799999), "2099-12-31T23:59:59.999Z");
  EXPECT_EQ(isoTimestamp(-1), "1969-12-31T23:59:59.999Z");
}

TEST(ResponsesTest, RenderedJsonIsValidEvenWithHostileText) {
  storage::StoredTemplate t;
  t.spec.name = "x";
  t.spec.files = {{"init.lua", std::string("\x01\"\\\n\xff\xfe</script>", 14)}};
  json::value v = json::parse(renderStoredTemplate(GuildId{1}, t));
  EXPECT_EQ(v.at("files").at("init.lua").as_string().size() > 0, true);
  vm::TemplateOutcome o;
  o.error = makeError(ErrorKind::kRuntimeError, std::string("bad \xc3\x28 utf8", 12));
  EXPECT_NO_THROW(json::parse(renderOutcome(o, true)));
}

// ---------------------------------------------------------------------------------------------------------
// Mutated input: the HTTP -> call mapping never crashes and always answers a Call or a 4xx.

TEST(MappingFuzzTest, MutatedRequestsGetACallOrA4xx) {
  const std::vector<ApiRequest> seeds = {
      {verb::put, "/v1/guilds/123/templates/a",
       "", R"({"files":{"init.lua":"return 1"},"events":["MESSAGE_CREATE"],"capabilities":["kv:read"],"paused":false})"},
      {verb::post, "/v1/guilds/123/events?wait=false", "", R"({"name":"MESSAGE_CREATE","data":{"a":[1,2.5,null,"x"]}})"},
      {verb::post, "/v1/guilds/123/exec", "Bearer t", R"({"code":"return 1","language":"luau","capabilities":[]})"},
      {verb::get, "/v1/guilds/123/templates", "", ""},
      {verb::delete_, "/v1/guilds/123/vm", "", ""},
  };
  const verb methods[] = {verb::get, verb::put, verb::post, verb::delete_, verb::patch};
  std::mt19937 rng(12345);
  service::ServiceLimits limits;
  limits.maxBodyBytes = 4096;
  auto mutate = [&](std::string& s) {
    const int ops = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < ops; ++i) {
      const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 4) {
        case 0: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(rng() % 256)); break;
        case 1: if (at < s.size()) s.erase(at, 1 + rng() % 8); break;
        case 2: if (at < s.size()) s[at] = "{}[]\":,/%?&=0aZ"[rng() % 16]; break;
        default: s.insert(at, s.substr(at / 2, rng() % 16)); break;
      }
    }
  };
  int calls = 0;
  for (int i = 0; i < 20000; ++i) {
    ApiRequest r = seeds[rng() % seeds.size()];
    if (rng() % 8 == 0) r.method = methods[rng() % 5];
    if (rng() % 2 == 0) mutate(r.target);
    if (rng() % 2 == 0) mutate(r.body);
    if (rng() % 4 == 0) mutate(r.authorization);
    auto result = prepareCall(r, rng() % 4 == 0 ? "t" : "", limits);
    if (std::holds_alternative<Call>(result)) {
      ++calls;
      continue;
    }
    const HttpError& e = std::get<HttpError>(result);
    ASSERT_GE(e.status, 400u);
    ASSERT_LT(e.status, 500u) << e.kind << ": " << e.message;
    ASSERT_FALSE(e.message.empty());
    EXPECT_NO_THROW(json::parse(errorResponse(e).body));
  }
  EXPECT_GT(calls, 1000);  // the mutations leave plenty of valid requests, so both paths are exercised
}

// ---------------------------------------------------------------------------------------------------------
// OpenAPI

TEST(OpenApiTest, DocumentsEveryRouteAndNothingElse) {
  json::value doc = json::parse(openApiDocument());
  EXPECT_EQ(std::string_view(doc.at("openapi").as_string()).substr(0, 2), "3.");
  const json::object& paths = doc.at("paths").as_object();
  std::set<std::string> documented;
  for (const auto& [path, item] : paths) {
    for (const auto& [key, op] : item.as_object()) {
      if (key == "parameters") continue;
      documented.insert(std::string(key) + " " + std::string(path));
    }
  }
  std::set<std::string> known;
  for (const Route& route : routes()) {
    std::string method(boost::beast::http::to_string(route.method));
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string key = method + " " + std::string(route.pattern);
    known.insert(key);
    ASSERT_TRUE(paths.contains(route.pattern)) << route.pattern;
    const json::object& item = paths.at(route.pattern).as_object();
    ASSERT_TRUE(item.contains(method)) << key;
    EXPECT_EQ(item.at(method).at("operationId").as_string(), operationName(route.operation)) << key;
    EXPECT_TRUE(item.at(method).as_object().contains("responses")) << key;
  }
  EXPECT_EQ(documented, known);
}

TEST(OpenApiTest, EveryReferenceResolves) {
  json::value doc = json::parse(openApiDocument());
  std::vector<const json::value*> stack{&doc};
  int refs = 0;
  while (!stack.empty()) {
    const json::value* v = stack.back();
    stack.pop_back();
    if (v->is_object()) {
      for (const auto& [k, child] : v->as_object()) {
        if (k == "$ref") {
          ++refs;
          std::string_view ref = child.as_string();
          ASSERT_EQ(ref.substr(0, 2), "#/");
          const json::value* target = &doc;
          ref.remove_prefix(2);
          while (!ref.empty()) {
            const std::size_t slash = ref.find('/');
            const std::string_view part = ref.substr(0, slash);
            ASSERT_TRUE(target->is_object() && target->as_object().contains(part)) << child.as_string();
            target = &target->as_object().at(part);
            ref = slash == std::string_view::npos ? std::string_view{} : ref.substr(slash + 1);
          }
        }
        stack.push_back(&child);
      }
    } else if (v->is_array()) {
      for (const auto& child : v->as_array()) stack.push_back(&child);
    }
  }
  EXPECT_GT(refs, 20);
}

}  // namespace
}  // namespace tw::api
