// Every example of docs/templates.md, run through the real runtime: a real Service (SQLite in a temporary
// directory, worker threads, the storage executor) per example, results rendered by the HTTP API's own code,
// compared with what the page says.
//
// Conventions in docs/templates.md (fenced code blocks; the words after the language are the info string):
//   ```lua example [name=N] [events=A,B] [caps=kv:read,kv:write] [limit=value...]
//       A template's init.lua (```luau example: init.luau). Starts an example; several example blocks in a row
//       (before any expect) are several templates of the same guild. name: default "example". events:
//       default the name of the example's first event. Limits for the example's service: timeout_ms,
//       return_wait_ms, memory (bytes), max_coroutines, max_timers (defaults: the real ones).
//   ```lua file=PATH
//       Another file of a template: of the current example's last template while no expect has been seen,
//       else of the next example's first template.
//   ```json event [src=FILE]
//       The event ({"name":...,"data":...}) of the dispatches that follow, in the current example. With src,
//       the event is that file of the repository and the block must be an excerpt of it (see below).
//       Default event: bench/fixtures/message_create.json.
//   ```json expect
//       Dispatches the current event and compares the answer: {"results":[...]} compares the whole answer;
//       {"error":{...}} is the API's answer to putting the example's templates (a refused template); anything
//       else is the one template's result object, exactly as the HTTP API prints it. Expected strings that end
//       in "…" match any string starting with the text before it.
//   ```sh destroy-vm
//       Destroys the guild's VM (the block shows the curl command; it must be a DELETE of …/vm).
//   ```json excerpt=FILE
//       Not an example: the block must be an excerpt of that file (keys a subset, arrays a prefix).
// Blocks with other info strings are prose.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/responses.h"
#include "docs/markdown.h"
#include "service/service_impl.h"
#include "support/vm_harness.h"

namespace tw::testing::docs {
namespace {

namespace fs = std::filesystem;

constexpr GuildId kGuild{1090011223344556600ULL};  // the guild of bench/fixtures/message_create.json
constexpr const char* kDefaultEventFile = "bench/fixtures/message_create.json";

struct TemplateDef {
  std::string name = "example";
  std::map<std::string, std::string> files;
  std::vector<std::string> events;
  std::vector<std::string> caps;
  bool eventsGiven = false;
};

struct Step {
  enum class Kind { kDispatch, kDestroyVm } kind = Kind::kDispatch;
  int line = 0;
  std::string event;     // the event body
  std::string expected;  // JSON text
};

struct Example {
  int line = 0;
  std::vector<TemplateDef> templates;
  std::map<std::string, std::string> limits;
  std::vector<Step> steps;
  std::string error;  // a mistake in the page's conventions
};

std::string docsPath() { return (sourceDir() / "docs" / "templates.md").string(); }

std::vector<Example> parseExamples(const std::string& markdown, std::vector<std::string>* problems) {
  std::vector<Example> examples;
  std::vector<std::pair<std::string, std::string>> pendingFiles;
  const std::string defaultEvent = readText(sourceDir() / kDefaultEventFile);
  std::string currentEvent;
  auto problem = [&](int line, const std::string& what) {
    problems->push_back("docs/templates.md:" + std::to_string(line) + ": " + what);
  };
  for (const Block& b : fencedBlocks(markdown)) {
    const bool code = b.lang == "lua" || b.lang == "luau";
    if (code && b.has("example")) {
      const bool sameExample = !examples.empty() && examples.back().steps.empty() && examples.back().error.empty();
      if (!sameExample) {
        examples.emplace_back();
        examples.back().line = b.line;
        currentEvent = defaultEvent;
      }
      Example& ex = examples.back();
      TemplateDef t;
      if (auto it = b.attributes.find("name"); it != b.attributes.end()) t.name = it->second;
      if (auto it = b.attributes.find("events"); it != b.attributes.end()) {
        t.events = splitList(it->second);
        t.eventsGiven = true;
      }
      if (auto it = b.attributes.find("caps"); it != b.attributes.end()) t.caps = splitList(it->second);
      for (const char* limit : {"timeout_ms", "return_wait_ms", "memory", "max_coroutines", "max_timers"}) {
        if (auto it = b.attributes.find(limit); it != b.attributes.end()) ex.limits[limit] = it->second;
      }
      for (const auto& [key, value] : b.attributes) {
        static const std::vector<std::string> kKnown = {"name", "events", "caps", "timeout_ms", "return_wait_ms",
                                                        "memory", "max_coroutines", "max_timers"};
        if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) problem(b.line, "unknown attribute " + key);
      }
      t.files[b.lang == "luau" ? "init.luau" : "init.lua"] = b.text;
      if (ex.templates.empty()) {
        for (auto& [path, text] : pendingFiles) t.files[path] = text;
        pendingFiles.clear();
      }
      ex.templates.push_back(std::move(t));
    } else if (code && b.attributes.count("file") != 0) {
      const std::string& path = b.attributes.at("file");
      if (!examples.empty() && examples.back().steps.empty()) {
        examples.back().templates.back().files[path] = b.text;
      } else {
        pendingFiles.emplace_back(path, b.text);
      }
    } else if (b.lang == "json" && b.has("event")) {
      if (examples.empty()) {
        problem(b.line, "an event block before any example");
        continue;
      }
      std::string text = b.text;
      if (auto it = b.attributes.find("src"); it != b.attributes.end()) {
        text = readText(sourceDir() / it->second);
        boost::system::error_code ec1, ec2;
        const auto excerpt = boost::json::parse(b.text, ec1);
        const auto whole = boost::json::parse(text, ec2);
        std::string where;
        if (ec1 || ec2 || !jsonExcerptOf(excerpt, whole, &where)) {
          problem(b.line, "the block is not an excerpt of " + it->second + " (at " + where + ")");
        }
      }
      currentEvent = text;
    } else if (b.lang == "json" && b.has("expect")) {
      if (examples.empty()) {
        problem(b.line, "an expect block before any example");
        continue;
      }
      examples.back().steps.push_back(Step{Step::Kind::kDispatch, b.line, currentEvent, b.text});
    } else if (b.lang == "sh" && b.has("destroy-vm")) {
      if (examples.empty()) {
        problem(b.line, "a destroy-vm block before any example");
        continue;
      }
      if (b.text.find("DELETE") == std::string::npos || b.text.find("/vm") == std::string::npos) {
        problem(b.line, "a destroy-vm block must show the DELETE …/vm request");
      }
      examples.back().steps.push_back(Step{Step::Kind::kDestroyVm, b.line, {}, {}});
    } else if (b.lang == "json" && b.attributes.count("excerpt") != 0) {
      boost::system::error_code ec1, ec2;
      const auto excerpt = boost::json::parse(b.text, ec1);
      const auto whole = boost::json::parse(readText(sourceDir() / b.attributes.at("excerpt")), ec2);
      std::string where;
      if (ec1 || ec2 || !jsonExcerptOf(excerpt, whole, &where)) {
        problem(b.line, "the block is not an excerpt of " + b.attributes.at("excerpt") + " (at " + where + ")");
      }
    }
  }
  if (!pendingFiles.empty()) problems->push_back("docs/templates.md: file blocks after the last example");
  for (Example& ex : examples) {
    if (ex.steps.empty()) problem(ex.line, "an example without an expect block");
    for (TemplateDef& t : ex.templates) {
      if (!t.eventsGiven && !ex.steps.empty()) {
        const Step* first = nullptr;
        for (const Step& s : ex.steps) {
          if (s.kind == Step::Kind::kDispatch) {
            first = &s;
            break;
          }
        }
        if (first != nullptr) {
          boost::system::error_code ec;
          const auto v = boost::json::parse(first->event, ec);
          if (!ec && v.is_object() && v.as_object().contains("name") && v.at("name").is_string()) {
            t.events = {std::string(v.at("name").get_string())};
          }
        }
      }
    }
  }
  return examples;
}

struct Parsed {
  std::vector<Example> examples;
  std::vector<std::string> problems;
};

const Parsed& parsed() {
  static const Parsed p = [] {
    Parsed out;
    try {
      out.examples = parseExamples(readText(docsPath()), &out.problems);
    } catch (const std::exception& e) {
      out.problems.push_back(e.what());
    }
    return out;
  }();
  return p;
}

template <typename T, typename Call>
Result<T> await(Call call) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  call([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return makeError(ErrorKind::kInternal, "no answer within 60 s");
  }
  return future.get();
}

// One example's own service: a fresh data directory, the example's limits.
class ExampleService {
 public:
  explicit ExampleService(const Example& ex) {
    dir_ = fs::temp_directory_path() / ("tw-docs-test-" + std::to_string(getpid()) + "-" + std::to_string(ex.line));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    service::ServiceConfig c;
    c.dataDir = dir_.string();
    c.workers = 2;
    c.durability = storage::Durability::kProcessCrash;
    auto num = [&](const char* key) -> std::optional<long long> {
      auto it = ex.limits.find(key);
      if (it == ex.limits.end()) return std::nullopt;
      return std::stoll(it->second);
    };
    if (auto v = num("timeout_ms")) c.vm.executionTimeout = std::chrono::milliseconds(*v);
    if (auto v = num("return_wait_ms")) c.limits.returnWaitMs = *v;
    if (auto v = num("memory")) c.vm.memoryLimitBytes = static_cast<std::size_t>(*v);
    if (auto v = num("max_coroutines")) c.vm.sandbox.maxCoroutines = *v;
    if (auto v = num("max_timers")) c.vm.scheduler.maxPendingTimers = *v;
    auto made = service::makeService(c);
    if (made.ok()) {
      service_ = std::move(made).value();
    } else {
      error_ = made.error().message;
    }
  }
  ~ExampleService() {
    service_.reset();
    fs::remove_all(dir_);
  }
  ExampleService(const ExampleService&) = delete;
  ExampleService& operator=(const ExampleService&) = delete;

  service::ServiceImpl* get() { return service_.get(); }
  const std::string& error() const { return error_; }

 private:
  fs::path dir_;
  std::unique_ptr<service::ServiceImpl> service_;
  std::string error_;
};

void expectJson(const std::string& expectedText, const std::string& actualText, int line) {
  boost::system::error_code ec;
  const boost::json::value expected = boost::json::parse(expectedText, ec);
  ASSERT_FALSE(ec) << "docs/templates.md:" << line << ": the expect block is not JSON: " << ec.message();
  const boost::json::value actual = boost::json::parse(actualText, ec);
  ASSERT_FALSE(ec) << "the runtime answered text that is not JSON: " << actualText;
  std::string where;
  EXPECT_TRUE(jsonMatches(expected, actual, &where))
      << "docs/templates.md:" << line << ": the runtime answered something else (first difference at " << where
      << ")\n  the page: " << boost::json::serialize(expected) << "\n  actual:   " << actualText;
}

// Runs one example; failures name the page's line.
void runExample(const Example& ex) {
  SCOPED_TRACE("the example at docs/templates.md:" + std::to_string(ex.line));
  ASSERT_FALSE(ex.steps.empty());
  ExampleService holder(ex);
  service::ServiceImpl* service = holder.get();
  ASSERT_NE(service, nullptr) << holder.error();

  std::optional<Error> putError;
  for (const TemplateDef& t : ex.templates) {
    storage::Template spec;
    spec.name = t.name;
    for (const auto& [path, text] : t.files) spec.files.emplace(path, text);
    spec.events.insert(t.events.begin(), t.events.end());
    spec.capabilities.insert(t.caps.begin(), t.caps.end());
    auto stored = await<storage::StoredTemplate>([&](auto cb) { service->putTemplate(kGuild, spec, cb); });
    if (!stored.ok()) {
      putError = stored.error();
      break;
    }
  }

  for (std::size_t i = 0; i < ex.steps.size(); ++i) {
    const Step& step = ex.steps[i];
    if (step.kind == Step::Kind::kDestroyVm) {
      auto destroyed = await<bool>([&](auto cb) { service->destroyVm(kGuild, cb); });
      ASSERT_TRUE(destroyed.ok()) << destroyed.error().message;
      continue;
    }
    boost::system::error_code ec;
    const boost::json::value expected = boost::json::parse(step.expected, ec);
    ASSERT_FALSE(ec) << "docs/templates.md:" << step.line << ": the expect block is not JSON";
    const bool expectsPutError = expected.is_object() && expected.as_object().contains("error") &&
                                 !expected.as_object().contains("ok");
    if (putError || expectsPutError) {
      ASSERT_EQ(i, 0u) << "docs/templates.md:" << step.line << ": only the first expect can show a refused put";
      ASSERT_TRUE(putError.has_value()) << "docs/templates.md:" << step.line << ": the templates were accepted";
      ASSERT_TRUE(expectsPutError) << "docs/templates.md:" << step.line << ": the put was refused: "
                                   << putError->message;
      expectJson(step.expected,
                 api::errorResponse(api::fromServiceError(*putError, api::Operation::kPutTemplate)).body, step.line);
      return;
    }
    auto event = events::parseEvent(step.event);
    ASSERT_TRUE(event.ok()) << "docs/templates.md:" << step.line << ": bad event: " << event.error().message;
    auto reply = await<service::DispatchReply>([&](auto cb) { service->dispatch(kGuild, std::move(event).value(), cb); });
    ASSERT_TRUE(reply.ok()) << "docs/templates.md:" << step.line << ": the dispatch failed: " << reply.error().message;
    const auto& outcomes = reply.value().outcomes;
    std::string actual;
    if (expected.is_object() && expected.as_object().contains("results")) {
      actual = api::renderDispatchResults(outcomes);
    } else {
      ASSERT_EQ(outcomes.size(), 1u) << "docs/templates.md:" << step.line << ": expected one result, got "
                                     << api::renderDispatchResults(outcomes);
      actual = api::renderOutcome(outcomes[0], true);
    }
    expectJson(step.expected, actual, step.line);
  }
}

TEST(DocsExamples, ThePageFollowsTheConventions) {
  for (const std::string& p : parsed().problems) ADD_FAILURE() << p;
  EXPECT_GE(parsed().examples.size(), 20u) << "docs/templates.md lost its examples";
}

// One test for all examples (not one per example): CTest's list of tests is made when the binary is built,
// and the page changes without a rebuild. TW_DOCS_EXAMPLE=<line> runs only the example at that line.
TEST(DocsExamples, EveryExampleRunsAsThePageSays) {
  const char* only = std::getenv("TW_DOCS_EXAMPLE");
  for (const Example& ex : parsed().examples) {
    if (only != nullptr && std::to_string(ex.line) != only) continue;
    runExample(ex);
  }
}

}  // namespace
}  // namespace tw::testing::docs
