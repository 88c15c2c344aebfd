// The HTTP API over real sockets on an ephemeral loopback port, through the real Service: a SQLite file in a
// temporary data directory and real worker threads. No test doubles.
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "api/http_server.h"
#include "api/responses.h"
#include "api/testing/http_client.h"
#include "cli/runtime.h"
#include "service/service_impl.h"

namespace tw::api {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using boost::beast::http::verb;
using testing::TestClient;
using testing::TestResponse;
using Headers = std::map<std::string, std::string>;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kGuild = "1090011223344556600";
constexpr std::string_view kOtherGuild = "1090011223344556601";
constexpr std::size_t kMaxBody = 64 * 1024;
// Time bounds stretch in sanitizer builds (TSan runs code 5-15x slower).
#ifdef TW_SANITIZER_BUILD
constexpr int kSlow = 5;
#else
constexpr int kSlow = 1;
#endif

json::value parse(const TestResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body;
  return v;
}

std::string errorKind(const TestResponse& r) {
  json::value v = parse(r);
  if (!v.is_object() || !v.as_object().contains("error")) return "<no error object: " + r.body + ">";
  return std::string(v.at("error").at("kind").as_string());
}

std::string templateBody(std::string_view init, std::string_view events = R"(["MESSAGE_CREATE"])",
                         std::string_view caps = "[]") {
  std::string out = R"({"files":{"init.lua":)";
  out += json::serialize(json::value(json::string_view(init.data(), init.size())));
  out += R"(},"events":)";
  out += events;
  out += R"(,"capabilities":)";
  out += caps;
  out += "}";
  return out;
}

std::string guildPath(std::string_view guild, std::string_view rest) {
  return "/v1/guilds/" + std::string(guild) + std::string(rest);
}

class ApiIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("tw-api-test-" + std::to_string(getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    serviceConfig_.dataDir = dir_.string();
    serviceConfig_.workers = 2;
    serviceConfig_.vm.memoryLimitBytes = 8u << 20;
    serviceConfig_.vm.executionTimeout = std::chrono::seconds(5);
    serviceConfig_.durability = storage::Durability::kProcessCrash;
    serviceConfig_.limits.maxBodyBytes = kMaxBody;
    httpConfig_.port = 0;
    httpConfig_.readTimeout = std::chrono::seconds(5);
    httpConfig_.shutdownTimeout = std::chrono::seconds(5);
  }

  void TearDown() override {
    server_.reset();
    service_.reset();
    fs::remove_all(dir_);
  }

  void startService() {
    auto made = service::makeService(serviceConfig_);
    ASSERT_TRUE(made.ok()) << made.error().message;
    service_ = std::move(made).value();
  }

  void start() {
    startService();
    server_ = std::make_unique<HttpServer>(httpConfig_, *service_);
    Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  TestResponse call(verb method, std::string_view target, std::string_view body = {}, const Headers& headers = {}) {
    return testing::httpRequest(port_, method, target, body, headers);
  }

  void putTemplate(std::string_view guild, std::string_view name, const std::string& body) {
    TestResponse r = call(verb::put, guildPath(guild, "/templates/" + std::string(name)), body);
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  // Waits until `check` holds, for 5 s at most.
  template <typename F>
  bool eventually(F check) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
      if (check()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  fs::path dir_;
  service::ServiceConfig serviceConfig_;
  HttpConfig httpConfig_;
  std::unique_ptr<service::ServiceImpl> service_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ApiIntegrationTest, HealthMetricsAndOpenApi) {
  start();
  TestResponse health = call(verb::get, "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  EXPECT_EQ(health.header("content-type"), "application/json");

  TestResponse metrics = call(verb::get, "/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_EQ(metrics.header("content-type").substr(0, 10), "text/plain");
  EXPECT_NE(metrics.body.find("tw_http_responses_total{code=\"2xx\"}"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("tw_http_request_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("tw_http_open_connections"), std::string::npos);

  TestResponse openapi = call(verb::get, "/openapi.json");
  EXPECT_EQ(openapi.status, 200u);
  EXPECT_TRUE(parse(openapi).at("paths").as_object().contains("/v1/guilds/{guild}/events"));
}

TEST_F(ApiIntegrationTest, TemplateCrud) {
  start();
  const std::string path = guildPath(kGuild, "/templates/greeter");
  TestResponse put = call(verb::put, path, templateBody("return function(e) return 'hi ' .. e.data.content end", R"(["MESSAGE_CREATE"])", R"(["kv:read"])"));
  ASSERT_EQ(put.status, 200u) << put.body;
  json::value stored = parse(put);
  EXPECT_EQ(stored.at("guild").as_string(), kGuild);
  EXPECT_EQ(stored.at("name").as_string(), "greeter");
  EXPECT_EQ(stored.at("revision").as_int64(), 1);
  EXPECT_EQ(stored.at("capabilities").at(0).as_string(), "kv:read");
  const std::string createdAt(stored.at("created_at").as_string());
  EXPECT_EQ(createdAt.size(), 24u) << createdAt;  // 2026-11-25T20:42:37.123Z

  TestResponse get = call(verb::get, path);
  ASSERT_EQ(get.status, 200u);
  EXPECT_EQ(parse(get).at("files").at("init.lua").as_string(), "return function(e) return 'hi ' .. e.data.content end");

  ASSERT_EQ(call(verb::put, guildPath(kGuild, "/templates/second"), templateBody("return function() end")).status, 200u);
  TestResponse list = call(verb::get, guildPath(kGuild, "/templates"));
  ASSERT_EQ(list.status, 200u);
  json::value summaries = parse(list);
  ASSERT_EQ(summaries.at("templates").as_array().size(), 2u);
  EXPECT_EQ(summaries.at("templates").at(0).at("name").as_string(), "greeter");
  EXPECT_EQ(summaries.at("templates").at(0).at("file_paths").at(0).as_string(), "init.lua");
  EXPECT_FALSE(summaries.at("templates").at(0).as_object().contains("files"));

  TestResponse replaced = call(verb::put, path, templateBody("return function() return 2 end"));
  ASSERT_EQ(replaced.status, 200u);
  EXPECT_EQ(parse(replaced).at("revision").as_int64(), 3);
  EXPECT_EQ(parse(replaced).at("created_at").as_string(), createdAt);

  TestResponse deleted = call(verb::delete_, path);
  ASSERT_EQ(deleted.status, 200u);
  EXPECT_EQ(deleted.body, R"({"deleted":true,"revision":4})");
  TestResponse gone = call(verb::get, path);
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(errorKind(gone), "not_found");
  EXPECT_EQ(call(verb::delete_, path).status, 404u);
  // Another guild sees none of it.
  EXPECT_EQ(parse(call(verb::get, guildPath(kOtherGuild, "/templates"))).at("templates").as_array().size(), 0u);
}

TEST_F(ApiIntegrationTest, SyntaxErrorsAre422WithTheCompilersMessage) {
  start();
  TestResponse r = call(verb::put, guildPath(kGuild, "/templates/bad"), templateBody("return function(\n  if then end"));
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(errorKind(r), "syntax_error");
  EXPECT_NE(parse(r).at("error").at("message").as_string().find("init.lua:2"), std::string::npos) << r.body;
  EXPECT_EQ(call(verb::get, guildPath(kGuild, "/templates/bad")).status, 404u);  // nothing stored
}

TEST_F(ApiIntegrationTest, DispatchWaitsForResultsInTheCliShape) {
  start();
  putTemplate(kGuild, "a", templateBody("return function(e) return {echo = e.data.content} end"));
  putTemplate(kGuild, "b", templateBody("return function(e) error('boom', 0) end"));
  putTemplate(kGuild, "c", templateBody("return function() return 1 end", R"(["OTHER"])"));
  TestResponse r = call(verb::post, guildPath(kGuild, "/events"), R"({"name":"MESSAGE_CREATE","data":{"content":"hi"}})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"results":[{"template":"a","ok":true,"value":{"echo":"hi"}},)"
                    R"({"template":"b","ok":false,"error":{"kind":"runtime_error","message":"boom"}}]})");
  // A guild without templates gets no results.
  EXPECT_EQ(call(verb::post, guildPath(kOtherGuild, "/events"), R"({"name":"MESSAGE_CREATE","data":{}})").body,
            R"({"results":[]})");
}

TEST_F(ApiIntegrationTest, OutcomeJsonIsTheClisByteForByte) {
  vm::TemplateOutcome ok;
  ok.templateName = "a\"b";
  ok.ok = true;
  ok.valueJson = R"({"x":[1,2]})";
  vm::TemplateOutcome failed;
  failed.templateName = "t";
  failed.error = makeError(ErrorKind::kCapabilityDenied, "kv:write \xff missing");
  failed.taskErrors = {makeError(ErrorKind::kTimeout, "late")};
  for (const auto* o : {&ok, &failed}) {
    EXPECT_EQ(renderOutcome(*o, true), cli::outcomeJson(*o, true));
    EXPECT_EQ(renderOutcome(*o, false), cli::outcomeJson(*o, false));
  }
}

TEST_F(ApiIntegrationTest, DispatchWithoutWaitIsAcceptedAndRuns) {
  start();
  putTemplate(kGuild, "writer",
              templateBody("return function(e, ctx) ctx.kv:set('seen', e.data.n) return true end", R"(["MARK"])",
                           R"(["kv:read","kv:write"])"));
  TestResponse r = call(verb::post, guildPath(kGuild, "/events?wait=false"), R"({"name":"MARK","data":{"n":42}})");
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":true})");
  EXPECT_TRUE(eventually([&] {
    TestResponse e = call(verb::post, guildPath(kGuild, "/exec"),
                          R"j({"code":"local ctx = ... return ctx.kv:get('seen')","capabilities":["kv:read"]})j");
    return e.body == R"({"ok":true,"value":42})";
  }));
}

TEST_F(ApiIntegrationTest, ExecReturnsOneResultObject) {
  start();
  TestResponse r = call(verb::post, guildPath(kGuild, "/exec"), R"({"code":"return 1 + 1"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"ok":true,"value":2})");
  TestResponse failed = call(verb::post, guildPath(kGuild, "/exec"), R"j({"code":"error('nope', 0)"})j");
  EXPECT_EQ(failed.status, 200u);
  EXPECT_EQ(failed.body, R"({"ok":false,"error":{"kind":"runtime_error","message":"nope"}})");
  TestResponse syntax = call(verb::post, guildPath(kGuild, "/exec"), R"({"code":"return +"})");
  EXPECT_EQ(syntax.status, 200u);
  EXPECT_EQ(parse(syntax).at("error").at("kind").as_string(), "syntax_error");
}

TEST_F(ApiIntegrationTest, ExecRunsLuau) {
  start();
  TestResponse luau = call(verb::post, guildPath(kGuild, "/exec"),
                           R"({"code":"local x: number = 2\nx += 3\nreturn x","language":"luau"})");
  EXPECT_EQ(luau.status, 200u);
  EXPECT_EQ(luau.body, R"({"ok":true,"value":5})");
  TestResponse bad = call(verb::post, guildPath(kGuild, "/exec"), R"({"code":"local = 1","language":"luau"})");
  EXPECT_EQ(bad.status, 200u);
  EXPECT_EQ(bad.body,
            R"({"ok":false,"error":{"kind":"syntax_error","message":"exec.luau:1:7: expected a name for the local variable near '='"}})");
}

TEST_F(ApiIntegrationTest, LuauTemplatesArePutAndDispatched) {
  start();
  const std::string path = guildPath(kGuild, "/templates/lu");
  TestResponse ok = call(verb::put, path,
                         R"({"files":{"init.luau":"local n: number = 0\nreturn function(e)\n  n += 1\n  return `{e.data.content} #{n}`\nend"},)"
                         R"("events":["MESSAGE_CREATE"]})");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  TestResponse r = call(verb::post, guildPath(kGuild, "/events"), R"({"name":"MESSAGE_CREATE","data":{"content":"hi"}})");
  EXPECT_EQ(r.body, R"({"results":[{"template":"lu","ok":true,"value":"hi #1"}]})");
  TestResponse bad = call(verb::put, guildPath(kGuild, "/templates/lubad"),
                          R"({"files":{"init.luau":"local x = 1\nif x x = 2 end"},"events":["MESSAGE_CREATE"]})");
  EXPECT_EQ(bad.status, 422u) << bad.body;
  EXPECT_EQ(errorKind(bad), "syntax_error");
  EXPECT_NE(parse(bad).at("error").at("message").as_string().find("init.luau:2:6: expected 'then'"), std::string::npos)
      << bad.body;
}

TEST_F(ApiIntegrationTest, MissingCapabilitiesAreDenied) {
  start();
  putTemplate(kGuild, "nocap", templateBody("return function(e, ctx) ctx.kv:set('k', 1) return 1 end"));
  TestResponse r = call(verb::post, guildPath(kGuild, "/events"), R"({"name":"MESSAGE_CREATE","data":{}})");
  ASSERT_EQ(r.status, 200u);
  json::value results = parse(r).at("results");
  ASSERT_EQ(results.as_array().size(), 1u);
  EXPECT_FALSE(results.at(0).at("ok").as_bool());
  EXPECT_EQ(results.at(0).at("error").at("kind").as_string(), "capability_denied");

  TestResponse exec = call(verb::post, guildPath(kGuild, "/exec"), R"j({"code":"local ctx = ... return ctx.kv:get('k')"})j");
  EXPECT_EQ(parse(exec).at("error").at("kind").as_string(), "capability_denied") << exec.body;
}

TEST_F(ApiIntegrationTest, VmsCanBeListedDestroyedAndRecreated) {
  start();
  putTemplate(kGuild, "counter", templateBody("local n = 0 return function() n = n + 1 return n end"));
  const std::string events = guildPath(kGuild, "/events");
  const std::string body = R"({"name":"MESSAGE_CREATE","data":{}})";
  EXPECT_EQ(call(verb::post, events, body).body, R"({"results":[{"template":"counter","ok":true,"value":1}]})");
  EXPECT_EQ(call(verb::post, events, body).body, R"({"results":[{"template":"counter","ok":true,"value":2}]})");

  json::value vms = parse(call(verb::get, "/v1/vms"));
  ASSERT_EQ(vms.at("vms").as_array().size(), 1u) << json::serialize(vms);
  const json::value& vm = vms.at("vms").at(0);
  EXPECT_EQ(vm.at("guild").as_string(), kGuild);
  EXPECT_EQ(vm.at("templates").as_int64(), 1);
  EXPECT_GT(vm.at("memory_bytes").as_int64(), 0);
  EXPECT_EQ(vm.at("created_at").as_string().size(), 24u);
  for (const char* key : {"worker", "state", "tasks", "last_used_at"}) EXPECT_TRUE(vm.as_object().contains(key)) << key;

  TestResponse one = call(verb::get, guildPath(kGuild, "/vm"));
  ASSERT_EQ(one.status, 200u);
  EXPECT_EQ(parse(one).at("guild").as_string(), kGuild);
  EXPECT_EQ(call(verb::get, guildPath(kOtherGuild, "/vm")).status, 404u);

  EXPECT_EQ(call(verb::delete_, guildPath(kGuild, "/vm")).body, R"({"destroyed":true})");
  EXPECT_EQ(call(verb::get, guildPath(kGuild, "/vm")).status, 404u);
  EXPECT_EQ(call(verb::delete_, guildPath(kGuild, "/vm")).body, R"({"destroyed":false})");
  // The next event gets a fresh VM: the counter starts over.
  EXPECT_EQ(call(verb::post, events, body).body, R"({"results":[{"template":"counter","ok":true,"value":1}]})");
  EXPECT_EQ(call(verb::get, guildPath(kGuild, "/vm")).status, 200u);
}

TEST_F(ApiIntegrationTest, BadInputGetsAClear4xxAndTheServerKeepsServing) {
  start();
  struct Case {
    verb method;
    std::string target;
    std::string body;
    unsigned status;
    std::string kind;
  };
  const std::vector<Case> cases = {
      {verb::put, guildPath(kGuild, "/templates/a"), "{\"files\":", 400, "bad_input"},
      {verb::post, guildPath(kGuild, "/events"), "{not json", 400, "bad_input"},
      {verb::post, guildPath(kGuild, "/events"), R"({"name":"lower case","data":{}})", 400, "bad_input"},
      {verb::post, guildPath(kGuild, "/exec"), R"({"code":1})", 400, "bad_input"},
      {verb::put, guildPath(kGuild, "/templates/a"), R"({"files":{"main.lua":"x"}})", 400, "bad_input"},
      {verb::get, guildPath("abc", "/templates"), "", 400, "bad_input"},
      {verb::get, guildPath("0", "/vm"), "", 400, "bad_input"},
      {verb::get, guildPath("99999999999999999999999", "/vm"), "", 400, "bad_input"},
      {verb::get, guildPath(kGuild, "/templates/no%20such"), "", 400, "bad_input"},
      {verb::get, guildPath(kGuild, "/templates/unknown"), "", 404, "not_found"},
      {verb::delete_, guildPath(kGuild, "/templates/unknown"), "", 404, "not_found"},
      {verb::get, "/v1/nothing", "", 404, "not_found"},
      {verb::patch, guildPath(kGuild, "/templates/a"), "", 405, "method_not_allowed"},
      {verb::get, guildPath(kGuild, "/exec"), "", 405, "method_not_allowed"},
      {verb::post, guildPath(kGuild, "/exec"), std::string(kMaxBody + 1, ' '), 413, "limit_exceeded"},
  };
  for (const Case& c : cases) {
    TestResponse r = call(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.target << " " << c.body.substr(0, 80) << " -> " << r.body << r.error;
    EXPECT_EQ(errorKind(r), c.kind) << c.target;
    EXPECT_FALSE(parse(r).at("error").at("message").as_string().empty());
  }
  TestResponse r405 = call(verb::post, "/v1/vms");
  EXPECT_EQ(r405.header("allow"), "GET");
  EXPECT_EQ(call(verb::get, "/healthz").status, 200u);
}

TEST_F(ApiIntegrationTest, MalformedHttpIs400AndOversizedHeadersAre431) {
  httpConfig_.maxHeaderBytes = 1024;
  start();
  TestClient garbage(port_);
  ASSERT_TRUE(garbage.writeRaw("NOT HTTP AT ALL\r\n\r\n"));
  TestResponse r = garbage.readResponse();
  EXPECT_EQ(r.status, 400u) << r.error;
  EXPECT_EQ(errorKind(r), "bad_input");
  EXPECT_TRUE(garbage.waitForClose(std::chrono::seconds(3)));

  TestResponse big = call(verb::get, "/healthz", {}, {{"X-Filler", std::string(2000, 'x')}});
  EXPECT_EQ(big.status, 431u);
  EXPECT_EQ(call(verb::get, "/healthz").status, 200u);
}

TEST_F(ApiIntegrationTest, OversizedBodyIsRefusedFromItsContentLength) {
  start();
  // The 413 arrives from the header alone; the server reads and drops the rest so the client sees it.
  TestClient client(port_);
  const std::string head = "POST " + guildPath(kGuild, "/events") +
                           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(4 * kMaxBody) + "\r\n\r\n";
  ASSERT_TRUE(client.writeRaw(head));
  TestResponse r = client.readResponse();
  EXPECT_EQ(r.status, 413u) << r.error;
  EXPECT_FALSE(r.keepAlive);
  EXPECT_EQ(call(verb::get, "/healthz").status, 200u);
}

TEST_F(ApiIntegrationTest, ExpectContinueIsHonoured) {
  start();
  TestClient client(port_);
  const std::string body = R"({"code":"return 'continued'"})";
  ASSERT_TRUE(client.writeRaw("POST " + guildPath(kGuild, "/exec") +
                              " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n"));
  TestResponse interim = client.readResponse();
  EXPECT_EQ(interim.status, 100u);
  ASSERT_TRUE(client.writeRaw(body));
  TestResponse r = client.readResponse();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"ok":true,"value":"continued"})");
}

TEST_F(ApiIntegrationTest, Http10ClientsGetHttp10AnswersAndTheirConnectionRule) {
  start();
  TestClient once(port_);
  ASSERT_TRUE(once.writeRaw("GET /healthz HTTP/1.0\r\n\r\n"));
  TestResponse r = once.readResponse();
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.header("content-length"), "15");
  EXPECT_FALSE(r.keepAlive);  // HTTP/1.0 closes unless the client asked to keep the connection
  EXPECT_TRUE(once.waitForClose(std::chrono::seconds(3)));

  TestClient kept(port_);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(kept.writeRaw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    TestResponse k = kept.readResponse();
    EXPECT_EQ(k.status, 200u) << k.error;
    EXPECT_EQ(k.header("connection"), "keep-alive");
    EXPECT_TRUE(k.keepAlive);
  }
}

TEST_F(ApiIntegrationTest, KeepAliveAndPipelining) {
  start();
  putTemplate(kGuild, "t", templateBody("return function() return 'ok' end"));
  TestClient client(port_);
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 5; ++i) {
    TestResponse r = client.request(verb::post, guildPath(kGuild, "/events"), R"({"name":"MESSAGE_CREATE","data":{}})");
    ASSERT_EQ(r.status, 200u) << r.error;
    EXPECT_TRUE(r.keepAlive);
    EXPECT_EQ(r.body, R"({"results":[{"template":"t","ok":true,"value":"ok"}]})");
  }
  // Three requests in one write: answered in order on the same connection, errors included.
  const std::string exec = R"({"code":"return 7"})";
  ASSERT_TRUE(client.writeRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST " + guildPath(kGuild, "/exec") + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(exec.size()) + "\r\n\r\n" + exec +
                              "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  TestResponse first = client.readResponse();
  TestResponse second = client.readResponse();
  TestResponse third = client.readResponse();
  EXPECT_EQ(first.status, 200u);
  EXPECT_EQ(first.body, R"({"status":"ok"})");
  EXPECT_EQ(second.body, R"({"ok":true,"value":7})");
  EXPECT_EQ(third.status, 404u);
  // Still usable afterwards.
  EXPECT_EQ(client.request(verb::get, "/healthz").status, 200u);
}

TEST_F(ApiIntegrationTest, BearerTokenIsRequiredWhenConfigured) {
  httpConfig_.bearerToken = "s3cret-token";
  start();
  TestResponse none = call(verb::get, "/v1/vms");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(errorKind(none), "unauthorized");
  EXPECT_EQ(none.header("www-authenticate"), "Bearer");
  EXPECT_EQ(call(verb::get, "/v1/vms", {}, {{"Authorization", "Bearer wrong"}}).status, 401u);
  EXPECT_EQ(call(verb::get, "/metrics").status, 401u);
  EXPECT_EQ(call(verb::get, "/nope").status, 401u);
  TestResponse ok = call(verb::get, "/v1/vms", {}, {{"Authorization", "Bearer s3cret-token"}});
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(ok.body, R"({"vms":[]})");
  EXPECT_EQ(call(verb::get, "/healthz").status, 200u);
}

TEST_F(ApiIntegrationTest, RefusesToListenOffLoopbackWithoutAToken) {
  startService();
  HttpConfig config = httpConfig_;
  config.address = "0.0.0.0";
  HttpServer open(config, *service_);
  Status s = open.start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(s.error().message.find("without a bearer token"), std::string::npos) << s.error().message;

  config.bearerToken = "t";
  HttpServer guarded(config, *service_);
  Status g = guarded.start();
  EXPECT_TRUE(g.ok()) << g.error().message;
  guarded.stop();

  config.address = "not-an-ip";
  EXPECT_FALSE(HttpServer(config, *service_).start().ok());
}

TEST_F(ApiIntegrationTest, ASlowClientDoesNotBlockOthersAndIsCut) {
  httpConfig_.readTimeout = std::chrono::milliseconds(500);
  httpConfig_.ioThreads = 1;  // the worst case: one I/O thread shared with the slow client
  start();
  TestClient slow(port_);
  TestClient idle(port_);
  ASSERT_TRUE(slow.writeRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  const auto started = Clock::now();
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    EXPECT_EQ(call(verb::get, "/healthz").status, 200u);
    EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(200 * kSlow));
    slow.writeRaw("X-Drip: 1\r\n");  // keeps dribbling, never finishes its headers
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(slow.waitForClose(std::chrono::seconds(3 * kSlow)));
  EXPECT_TRUE(idle.waitForClose(std::chrono::seconds(3 * kSlow)));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(3 * kSlow));
  EXPECT_EQ(call(verb::get, "/healthz").status, 200u);
}

TEST_F(ApiIntegrationTest, ConnectionsPastTheLimitAreRefused) {
  httpConfig_.maxConnections = 2;
  start();
  auto a = std::make_unique<TestClient>(port_);
  TestClient b(port_);
  ASSERT_EQ(a->request(verb::get, "/healthz").status, 200u);
  ASSERT_EQ(b.request(verb::get, "/healthz").status, 200u);
  TestResponse refused = call(verb::get, "/healthz");
  EXPECT_EQ(refused.status, 503u) << refused.error;
  EXPECT_EQ(errorKind(refused), "unavailable");
  a.reset();
  EXPECT_TRUE(eventually([&] { return call(verb::get, "/healthz").status == 200u; }));
}

TEST_F(ApiIntegrationTest, StopLetsInFlightRequestsFinish) {
  start();
  putTemplate(kGuild, "slow", templateBody("return function() task.wait(0.3) return 'done' end"));
  TestClient idle(port_);
  ASSERT_EQ(idle.request(verb::get, "/healthz").status, 200u);
  TestResponse r;
  std::thread client([&] { r = call(verb::post, guildPath(kGuild, "/events"), R"({"name":"MESSAGE_CREATE","data":{}})"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server_->stop();
  client.join();
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, R"({"results":[{"template":"slow","ok":true,"value":"done"}]})");
  EXPECT_FALSE(r.keepAlive);
  EXPECT_TRUE(idle.waitForClose(std::chrono::seconds(1)));
  EXPECT_FALSE(TestClient(port_, std::chrono::milliseconds(500)).connected());
}

TEST_F(ApiIntegrationTest, StopIsBoundedAndLateRepliesAreDropped) {
  httpConfig_.shutdownTimeout = std::chrono::milliseconds(100);
  start();
  putTemplate(kGuild, "slower", templateBody("return function() task.wait(1) return 'late' end"));
  TestResponse r;
  std::thread client([&] { r = call(verb::post, guildPath(kGuild, "/events"), R"({"name":"MESSAGE_CREATE","data":{}})"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(900 * kSlow));
  client.join();
  EXPECT_EQ(r.status, 0u);  // the connection was closed without a response
  server_.reset();
  // The handler finishes after the server is gone; its reply is dropped.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
}

}  // namespace
}  // namespace tw::api
