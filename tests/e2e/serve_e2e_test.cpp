// The real `template-worker serve` process, driven over HTTP on loopback: what only a whole process can show
// (an acknowledged kv write surviving kill -9, SIGTERM draining the request in flight, exit codes).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/http/verb.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <string_view>
#include <thread>

#include "api/testing/http_client.h"

namespace tw::testing {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using api::testing::TestClient;
using api::testing::TestResponse;

// A `template-worker serve` child on an ephemeral port, its stderr read until it says where it listens.
class ServerProcess {
 public:
  explicit ServerProcess(const fs::path& dataDir) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(TW_BINARY, TW_BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    log_ = fdopen(fds[0], "r");
    char line[4096];
    // No <regex>: GCC 12's std::regex trips -Wmaybe-uninitialized in the sanitizer build.
    constexpr std::string_view kListening = "listening on http://127.0.0.1:";
    while (log_ != nullptr && std::fgets(line, sizeof line, log_) != nullptr) {
      const std::string_view text(line);
      const auto at = text.find(kListening);
      if (at == std::string_view::npos) continue;
      std::uint16_t port = 0;
      const char* first = text.data() + at + kListening.size();
      const auto [end, ec] = std::from_chars(first, text.data() + text.size(), port);
      if (ec == std::errc() && end != first) {
        port_ = port;
        break;
      }
    }
    // Keep draining its log so the child never blocks on a full pipe.
    drainer_ = std::thread([f = log_] {
      char buf[4096];
      while (f != nullptr && std::fgets(buf, sizeof buf, f) != nullptr) {
      }
    });
  }
  ~ServerProcess() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (drainer_.joinable()) drainer_.join();
    if (log_ != nullptr) std::fclose(log_);
  }
  std::uint16_t port() const { return port_; }
  void signal(int sig) { kill(pid_, sig); }
  // The exit code, or -signal when it was killed.
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  FILE* log_ = nullptr;
  std::thread drainer_;
  bool waited_ = false;
};

class ServeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tw-e2e-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};


TestResponse call(std::uint16_t port, http::verb verb, const std::string& target, const std::string& body = {}) {
  TestClient client(port);
  return client.request(verb, target, body);
}

TEST_F(ServeE2eTest, AnAcknowledgedKvWriteSurvivesKill9) {
  {
    ServerProcess server(dir_);
    ASSERT_NE(server.port(), 0) << "the server did not start";
    const std::string writer = R"J({"files":{"init.lua":"return function(e, ctx) ctx.kv:set('answer', e.data.v) return 'stored' end"},"events":["WRITE"],"capabilities":["kv:write"]})J";
    ASSERT_EQ(call(server.port(), http::verb::put, "/v1/guilds/42/templates/writer", writer).status, 200u);
    TestResponse r = call(server.port(), http::verb::post, "/v1/guilds/42/events", R"({"name":"WRITE","data":{"v":1234}})");
    ASSERT_EQ(r.status, 200u) << r.body;
    ASSERT_EQ(r.body, R"({"results":[{"template":"writer","ok":true,"value":"stored"}]})");
    server.signal(SIGKILL);  // no chance to flush anything: only what was committed before the answer counts
    EXPECT_EQ(server.wait(), -SIGKILL);
  }
  ServerProcess again(dir_);
  ASSERT_NE(again.port(), 0);
  TestResponse read = call(again.port(), http::verb::post, "/v1/guilds/42/exec",
                           R"J({"code":"local ctx = ... return ctx.kv:get('answer')","capabilities":["kv:read"]})J");
  ASSERT_EQ(read.status, 200u) << read.body;
  EXPECT_EQ(read.body, R"({"ok":true,"value":1234})");
}

TEST_F(ServeE2eTest, SigtermLetsTheRequestInFlightFinishThenExitsZero) {
  ServerProcess server(dir_);
  ASSERT_NE(server.port(), 0);
  const std::string slow = R"J({"files":{"init.lua":"return function() task.wait(0.5) return 'finished' end"},"events":["SLOW"]})J";
  ASSERT_EQ(call(server.port(), http::verb::put, "/v1/guilds/7/templates/slow", slow).status, 200u);
  auto inFlight = std::async(std::launch::async, [&] {
    return call(server.port(), http::verb::post, "/v1/guilds/7/events", R"({"name":"SLOW","data":{}})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // the handler is waiting in task.wait
  server.signal(SIGTERM);
  TestResponse r = inFlight.get();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"results":[{"template":"slow","ok":true,"value":"finished"}]})");
  EXPECT_EQ(server.wait(), 0);
}

}  // namespace
}  // namespace tw::testing
