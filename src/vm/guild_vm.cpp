#include "vm/guild_vm.h"

#include <lua.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "common/log.h"
#include "events/json_lua.h"
#include "limits/interrupt.h"
#include "limits/memory.h"
#include "limits/stack_arena.h"
#include "luau/luau.h"
#include "luau/runtime/runtime.h"
#include "plugins/fault/fault.h"
#include "plugins/task/task.h"
#include "sandbox/lua_api.h"
#include "vm/require.h"

namespace tw::vm {

namespace {

using limits::MemoryBudget;
using limits::monotonicNanos;

char kCtxMetatableKey;

int onPanic(lua_State* L) {
  // An unprotected error: a bug in the host (every host call into a VM must be protected).
  TW_LOG_ERROR("unprotected Lua error: {}", sandbox::errorMessage(L, -1));
  std::abort();
}

}  // namespace

struct GuildVm::TemplateSlot {
  sandbox::ThreadOwner owner;
  TemplateSource source;  // name, events, capabilities, paused; its files move into `loaded`
  std::shared_ptr<const LoadedTemplate> loaded;
  int handlerRef = LUA_NOREF;
  bool ready = false;
  Error loadError{ErrorKind::kInternal, "the template is still loading"};
};

struct GuildVm::DispatchState {
  std::vector<TemplateOutcome> outcomes;
  std::vector<bool> filled;
  std::unique_ptr<boost::asio::steady_timer> returnTimer;
  std::chrono::milliseconds returnWait{0};
  std::size_t pending = 0;
  bool handlersDone = false;
  bool waitForBackground = false;
  bool tasksEnded = false;
  bool reported = false;
  std::shared_ptr<Run> run;
  Done done;
};

// The `ctx` userdata handed to handlers. Trivially destructible: Lua frees it.
struct CtxData {
  std::uint64_t runId;
  GuildVm* vm;
  const char* templateName;  // owned by the template slot, which lives as long as the VM
};

GuildVm::GuildVm(GuildId guild, std::shared_ptr<const VmConfig> config, boost::asio::io_context& io)
    : guild_(guild), config_(std::move(config)), io_(io) {}

Result<std::unique_ptr<GuildVm>> GuildVm::create(GuildId guild, std::shared_ptr<const VmConfig> config,
                                                 std::shared_ptr<const plugins::PluginRegistry> plugins,
                                                 boost::asio::io_context& io, plugins::KvStore* kv) {
  std::unique_ptr<GuildVm> vm(new GuildVm(guild, std::move(config), io));
  Status s = vm->init(*plugins, kv);
  if (!s.ok()) return std::move(s).error();
  return vm;
}

Status GuildVm::init(const plugins::PluginRegistry& plugins, plugins::KvStore* kv) {
  budget_ = std::make_unique<MemoryBudget>(config_->memoryLimitBytes, &limits::StackArena::process());
  L_ = lua_newstate(MemoryBudget::allocate, budget_.get());
  if (L_ == nullptr) return makeError(ErrorKind::kMemoryLimit, "cannot create a Lua state");
  lua_atpanic(L_, onPanic);
  sandbox::setThreadOwner(L_, nullptr);
  budget_->enableStackArena();
  // Generational mode, set while the heap is empty (switching later costs a full collection): most garbage
  // of a guild VM (event tables, results) dies young.
  lua_gc(L_, LUA_GCGEN, 0, 0);
  MemoryBudget::HostScope host(*budget_);

  if (Status s = sandbox::installSandbox(L_, &config_->sandbox); !s.ok()) return s;
  scheduler_ = std::make_unique<Scheduler>(L_, io_, config_->scheduler);
  scheduler_->setFaultFlag(&faultInjected_);
  Scheduler* scheduler = scheduler_.get();
  bool* faultFlag = &faultInjected_;
  Status s = sandbox::protect(L_, [scheduler, kv, faultFlag](lua_State* S) {
    plugins::setTaskScheduler(S, scheduler);
    plugins::setKvStore(S, kv);
    plugins::setFaultFlag(S, faultFlag);
    installRequire(S);
    lua_createtable(S, 0, 3);
    lua_pushcfunction(S, [](lua_State* C) -> int {
      auto* ctx = static_cast<CtxData*>(lua_touserdata(C, 1));
      if (!ctx->vm->runAlive(ctx->runId)) {
        return luaL_error(C, "ctx is no longer valid: the event it belongs to has ended");
      }
      const char* key = lua_tostring(C, 2);
      if (key == nullptr) return 0;
      if (std::strcmp(key, "guild_id") == 0) {
        lua_pushstring(C, ctx->vm->guildIdText_);
      } else if (std::strcmp(key, "template") == 0) {
        lua_pushstring(C, ctx->templateName);
      } else if (std::strcmp(key, "event") == 0) {
        lua_pushstring(C, ctx->vm->runEventName(ctx->runId));
      } else if (std::strcmp(key, "kv") == 0) {
        plugins::pushKvHandle(C, ctx->runId, "", 0);
      } else {
        lua_pushnil(C);
      }
      return 1;
    });
    lua_setfield(S, -2, "__index");
    lua_pushstring(S, sandbox::kLockedMetatable);
    lua_setfield(S, -2, "__metatable");
    lua_pushliteral(S, "TemplateContext");
    lua_setfield(S, -2, "__name");
    lua_rawsetp(S, LUA_REGISTRYINDEX, &kCtxMetatableKey);
    return 0;
  });
  if (!s.ok()) return s;
  if (Status p = plugins.install(L_); !p.ok()) return p;
  std::snprintf(guildIdText_, sizeof guildIdText_, "%llu", static_cast<unsigned long long>(guild_.value));
  return {};
}

GuildVm::~GuildVm() {
  if (L_ == nullptr) return;
  if (scheduler_) scheduler_->killAll("the guild VM was destroyed");
  // A dispatch cut short by an exception (a fault: the worker answers its caller) never unpinned its run, so
  // the run's onTasksEnded, which holds the DispatchState that holds the run, never fired: drop it, or the
  // pair leaks with the VM.
  std::vector<std::shared_ptr<Run>> unfinished;
  for (auto& [id, weak] : liveRuns_) {
    if (auto run = weak.lock()) unfinished.push_back(std::move(run));
  }
  liveRuns_.clear();
  for (auto& run : unfinished) run->onTasksEnded = nullptr;
  unfinished.clear();
  pending_.clear();
  scheduler_.reset();
  lua_close(L_);
}

void GuildVm::collectAfterWork() {
  if (!idle() || broken()) return;
  MemoryBudget::HostScope host(*budget_);
  (void)sandbox::protect(L_, [](lua_State* S) {
    lua_gc(S, LUA_GCSTEP, 0);
    return 0;
  });
}

bool GuildVm::broken() const { return faulted_ || budget_->limitHit(); }

void GuildVm::setFaultHandler(std::function<void(const std::string&)> handler) {
  scheduler_->setFaultHandler([this, handler = std::move(handler)](const std::string& what) {
    faulted_ = true;
    handler(what);
  });
}

VmStats GuildVm::stats() const {
  VmStats s;
  s.memoryBytes = budget_->used();
  s.peakMemoryBytes = budget_->peak();
  s.templates = templates_.size();
  s.tasks = scheduler_->taskCount();
  s.coroutines = budget_->liveThreads();
  s.broken = broken();
  s.droppedCompletions = scheduler_->droppedCompletions();
  return s;
}

bool GuildVm::runAlive(std::uint64_t runId) const { return liveRuns_.count(runId) != 0; }

const char* GuildVm::runEventName(std::uint64_t runId) const {
  auto it = liveRuns_.find(runId);
  if (it == liveRuns_.end()) return "";
  auto run = it->second.lock();
  return run ? run->eventName.c_str() : "";
}

void GuildVm::noteFailure(ErrorKind kind) {
  if (kind == ErrorKind::kInternal) faulted_ = true;
}

// ---------------------------------------------------------------------------------------------------------
// Loading

void GuildVm::loadTemplates(std::vector<TemplateSource> templates, Done done) {
  auto state = std::make_shared<DispatchState>();
  state->outcomes.resize(templates.size());
  state->filled.assign(templates.size(), false);
  state->pending = templates.size();
  ++loading_;
  state->done = [this, done = std::move(done)](std::vector<TemplateOutcome> outcomes) {
    --loading_;
    // A young collection frees the finished loader coroutines now: an idle VM would otherwise keep one
    // (its stack page) until its next event.
    if (scheduler_->taskCount() == 0) {
      MemoryBudget::HostScope host(*budget_);
      (void)sandbox::protect(L_, [](lua_State* S) {
        lua_gc(S, LUA_GCSTEP, 0);
        return 0;
      });
    }
    done(std::move(outcomes));
    if (loading_ == 0) {
      auto waiting = std::move(pending_);
      pending_.clear();
      for (auto& dispatchLater : waiting) dispatchLater();
    }
  };
  auto run = scheduler_->newRun(config_->executionTimeout.count() * 1'000'000, "(load)");
  state->run = run;
  scheduler_->pin(*run);
  for (std::size_t i = 0; i < templates.size(); ++i) {
    auto slot = std::make_unique<TemplateSlot>();
    slot->source = std::move(templates[i]);
    slot->owner.host = this;
    slot->owner.templateName = slot->source.name;
    slot->owner.capabilities = slot->source.capabilities;
    TemplateSlot& ref = *slot;
    templates_.push_back(std::move(slot));
    if (templates_.size() > config_->maxTemplates) {
      ref.loadError = makeError(ErrorKind::kLimitExceeded, "too many templates in this guild");
      TemplateOutcome o{ref.source.name, false, "null", ref.loadError, {}};
      complete(state, i, std::move(o));
      continue;
    }
    loadOne(ref, run, [this, state, i](TemplateOutcome o) { complete(state, i, std::move(o)); });
  }
  if (templates.empty()) state->handlersDone = true;
  scheduler_->unpin(run);
  if (templates.empty()) complete(state, SIZE_MAX, {});
}

void GuildVm::loadOne(TemplateSlot& slot, const std::shared_ptr<Run>& run,
                      std::function<void(TemplateOutcome)> done) {
  auto fail = [&](Error e) {
    slot.loadError = e;
    done(TemplateOutcome{slot.source.name, false, "null", std::move(e), {}});
  };
  std::string entryPath;
  const std::string* entry = entryFile(slot.source, &entryPath);
  if (entry == nullptr) return fail(makeError(ErrorKind::kBadInput, "the template has no init.lua"));
  std::size_t total = 0;
  for (const auto& [path, text] : slot.source.files) total += text.size();
  if (slot.source.files.size() > config_->maxTemplateFiles) {
    return fail(makeError(ErrorKind::kLimitExceeded, "the template has too many files"));
  }
  if (total > config_->maxTemplateBytes) {
    return fail(makeError(ErrorKind::kLimitExceeded, "the template's files are too large"));
  }

  // Luau files are lowered once (per process, through the cache) before anything runs.
  TemplateSource files;
  files.name = slot.source.name;
  files.files = std::move(slot.source.files);
  auto prepared = prepareTemplate(std::move(files), config_->luauCache.get());
  if (!prepared.ok()) return fail(std::move(prepared).error());
  slot.loaded = std::move(prepared).value();
  slot.owner.templateData = const_cast<LoadedTemplate*>(slot.loaded.get());
  entry = slot.loaded->code(entryPath);

  MemoryBudget::HostScope host(*budget_);
  const std::string chunkName = "@" + entryPath;
  bool syntaxError = false;
  const bool luau = slot.loaded->luau;
  luau::LoweringCache* cache = config_->luauCache.get();
  Status s = sandbox::protect(
      L_,
      [&slot, entry, &chunkName, &syntaxError, luau, cache](lua_State* S) {
        if (luau) {
          if (!luau::runtimeInstalled(S)) luau::installRuntime(S, cache);
          luau::pushNewEnvironment(S);
        } else {
          sandbox::pushNewEnvironment(S);
        }
        slot.owner.envRef = luaL_ref(S, LUA_REGISTRYINDEX);
        lua_newtable(S);
        slot.owner.loadedRef = luaL_ref(S, LUA_REGISTRYINDEX);
        if (luaL_loadbufferx(S, entry->data(), entry->size(), chunkName.c_str(), "t") != LUA_OK) {
          syntaxError = true;
          return 1;  // the message
        }
        lua_rawgeti(S, LUA_REGISTRYINDEX, slot.owner.envRef);
        lua_setupvalue(S, -2, 1);
        lua_State* co = lua_newthread(S);
        sandbox::setThreadOwner(co, &slot.owner);
        lua_rotate(S, -2, 1);
        lua_xmove(S, co, 1);
        return 1;  // the thread
      },
      1);
  if (!s.ok()) return fail(std::move(s).error());
  if (syntaxError) {
    std::string message = sandbox::errorMessage(L_, -1);
    lua_pop(L_, 1);
    return fail(makeError(ErrorKind::kSyntaxError, std::move(message)));
  }
  Status started = scheduler_->start(
      run, 0, [this, &slot, done](lua_State* co, int status, int nres, ErrorKind kind) {
        if (status != LUA_OK) {
          TemplateOutcome o = outcomeOf(slot, co, status, nres, kind);
          slot.loadError = o.error;
          done(std::move(o));
          return;
        }
        const int type = nres >= 1 ? lua_type(co, -nres) : LUA_TNIL;
        if (type != LUA_TFUNCTION && type != LUA_TTABLE) {
          Error e = makeError(ErrorKind::kRuntimeError,
                              std::string("init.lua must return a handler function or a table of handlers (got ") +
                                  lua_typename(co, type) + ")");
          slot.loadError = e;
          done(TemplateOutcome{slot.source.name, false, "null", std::move(e), {}});
          return;
        }
        MemoryBudget::HostScope host2(*budget_);
        lua_pushvalue(co, -nres);
        lua_xmove(co, L_, 1);
        int ref = LUA_NOREF;
        Status r = sandbox::protect(
            L_,
            [&ref](lua_State* S) {
              lua_pushvalue(S, 2);
              ref = luaL_ref(S, LUA_REGISTRYINDEX);
              return 0;
            },
            0, 1);
        if (!r.ok()) {
          slot.loadError = r.error();
          done(TemplateOutcome{slot.source.name, false, "null", std::move(r).error(), {}});
          return;
        }
        slot.handlerRef = ref;
        slot.ready = true;
        done(TemplateOutcome{slot.source.name, true, "null", {}, {}});
      });
  if (!started.ok()) fail(std::move(started).error());
}

// ---------------------------------------------------------------------------------------------------------
// Dispatch

void GuildVm::dispatch(std::string eventName, std::string dataJson, DispatchOptions options, Done done) {
  if (loading_ > 0) {
    pending_.push_back([this, eventName = std::move(eventName), dataJson = std::move(dataJson), options,
                        done = std::move(done)]() mutable {
      dispatch(std::move(eventName), std::move(dataJson), options, std::move(done));
    });
    return;
  }
  std::vector<TemplateSlot*> targets;
  for (auto& slot : templates_) {
    if (options.audience == Audience::kAll) {
      targets.push_back(slot.get());
    } else if (!slot->source.paused &&
               std::find(slot->source.events.begin(), slot->source.events.end(), eventName) !=
                   slot->source.events.end()) {
      targets.push_back(slot.get());
    }
  }
  auto state = newDispatch(targets.size(), eventName, options, std::move(done));
  const std::shared_ptr<Run>& run = state->run;
  scheduler_->pin(*run);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    TemplateSlot& slot = *targets[i];
    state->outcomes[i].templateName = slot.source.name;
    if (broken()) {
      complete(state, i,
               TemplateOutcome{slot.source.name, false, "null",
                               makeError(ErrorKind::kInternal, "the guild VM is broken and will be recreated"), {}});
    } else if (!slot.ready) {
      complete(state, i, TemplateOutcome{slot.source.name, false, "null", slot.loadError, {}});
    } else {
      startHandler(slot, i, eventName, dataJson, state);
    }
  }
  if (targets.empty()) {
    state->handlersDone = true;
  }
  scheduler_->unpin(run);
  if (targets.empty() && !state->reported && (!state->waitForBackground || state->tasksEnded)) {
    complete(state, SIZE_MAX, {});
  }
}

std::shared_ptr<GuildVm::DispatchState> GuildVm::newDispatch(std::size_t count, const std::string& eventName,
                                                            DispatchOptions options, Done done) {
  auto state = std::make_shared<DispatchState>();
  state->outcomes.resize(count);
  state->filled.assign(count, false);
  state->pending = count;
  state->waitForBackground = options.waitForBackground;
  state->done = std::move(done);
  auto run = scheduler_->newRun(config_->executionTimeout.count() * 1'000'000, eventName);
  state->run = run;
  liveRuns_.emplace(run->id, run);
  run->onTasksEnded = [this, state, id = run->id] {
    liveRuns_.erase(id);
    state->tasksEnded = true;
    if (state->handlersDone) complete(state, SIZE_MAX, {});
  };
  if (options.returnWait.count() > 0 && count > 0) {
    state->returnWait = options.returnWait;
    state->returnTimer = std::make_unique<boost::asio::steady_timer>(io_, options.returnWait);
    std::weak_ptr<DispatchState> weak = state;
    state->returnTimer->async_wait([this, weak](const boost::system::error_code& ec) {
      auto s = weak.lock();
      if (ec || !s || s->reported) return;
      for (std::size_t i = 0; i < s->outcomes.size(); ++i) {
        if (s->filled[i]) continue;
        s->outcomes[i].ok = false;
        s->outcomes[i].error = makeError(
            ErrorKind::kStillRunning,
            "the handler was still running after " + std::to_string(s->returnWait.count()) +
                " ms; it goes on in the background, up to the execution limit");
      }
      s->handlersDone = true;
      s->waitForBackground = false;
      complete(s, SIZE_MAX, {});
    });
  }
  return state;
}

void GuildVm::startHandler(TemplateSlot& slot, std::size_t index, const std::string& eventName,
                           const std::string& dataJson, const std::shared_ptr<DispatchState>& state) {
  auto fail = [&](Error e) { complete(state, index, TemplateOutcome{slot.source.name, false, "null", std::move(e), {}}); };
  if (budget_->liveThreads() >= config_->sandbox.maxCoroutines) {
    lua_gc(L_, LUA_GCCOLLECT);
    if (budget_->liveThreads() >= config_->sandbox.maxCoroutines) {
      return fail(makeError(ErrorKind::kLimitExceeded, "too many coroutines in this guild"));
    }
  }
  MemoryBudget::HostScope host(*budget_);
  if (Status d = events::pushJson(L_, dataJson, config_->json); !d.ok()) return fail(std::move(d).error());
  bool noHandler = false;
  const std::uint64_t runId = state->run->id;
  Status s = sandbox::protect(
      L_,
      [this, &slot, &eventName, &noHandler, runId](lua_State* S) {
        lua_State* co = lua_newthread(S);  // 3
        sandbox::setThreadOwner(co, &slot.owner);
        lua_rawgeti(S, LUA_REGISTRYINDEX, slot.handlerRef);  // 4
        if (lua_type(S, -1) == LUA_TTABLE) {
          lua_pushlstring(S, eventName.data(), eventName.size());
          lua_rawget(S, -2);
          lua_remove(S, -2);
        }
        if (lua_type(S, -1) != LUA_TFUNCTION) {
          noHandler = true;
          return 0;
        }
        lua_createtable(S, 0, 2);  // 5: the event
        lua_pushlstring(S, eventName.data(), eventName.size());
        lua_setfield(S, -2, "name");
        lua_pushvalue(S, 2);
        lua_setfield(S, -2, "data");
        auto* ctx = static_cast<CtxData*>(lua_newuserdatauv(S, sizeof(CtxData), 0));  // 6
        ctx->runId = runId;
        ctx->vm = this;
        ctx->templateName = slot.owner.templateName.c_str();
        lua_rawgetp(S, LUA_REGISTRYINDEX, &kCtxMetatableKey);
        lua_setmetatable(S, -2);
        lua_xmove(S, co, 3);
        return 1;  // the thread
      },
      1, 1);
  if (!s.ok()) return fail(std::move(s).error());
  if (noHandler) {
    return fail(makeError(ErrorKind::kRuntimeError, "template '" + slot.source.name + "' has no handler for event '" +
                                                        eventName + "'"));
  }
  Status started = scheduler_->start(state->run, 2, [this, &slot, state, index](lua_State* co, int status, int nres,
                                                                                 ErrorKind kind) {
    complete(state, index, outcomeOf(slot, co, status, nres, kind));
  });
  if (!started.ok()) fail(std::move(started).error());
}

TemplateOutcome GuildVm::outcomeOf(const TemplateSlot& slot, lua_State* co, int status, int nres, ErrorKind kind) {
  TemplateOutcome o;
  o.templateName = slot.source.name;
  if (status != LUA_OK) {
    o.ok = false;
    o.error = Error{kind, sandbox::errorMessage(co, -1)};
    noteFailure(kind);
    return o;
  }
  o.ok = true;
  if (nres < 1 || lua_isnil(co, -nres)) return o;
  MemoryBudget::HostScope host(*budget_);
  if (!lua_checkstack(L_, 1)) {
    o.ok = false;
    o.error = makeError(ErrorKind::kInternal, "Lua stack exhausted");
    return o;
  }
  lua_pushvalue(co, -nres);
  lua_xmove(co, L_, 1);
  Status e = events::encodeValue(L_, -1, o.valueJson, config_->json);
  lua_pop(L_, 1);
  if (!e.ok()) {
    o.ok = false;
    o.valueJson = "null";
    Error err = std::move(e).error();
    o.error = Error{err.kind == ErrorKind::kRuntimeError ? ErrorKind::kRuntimeError : err.kind,
                    "the handler's result cannot be sent as JSON: " + err.message};
  }
  return o;
}

void GuildVm::complete(const std::shared_ptr<DispatchState>& state, std::size_t index, TemplateOutcome outcome) {
  if (index != SIZE_MAX) {
    if (state->reported) return;  // reported already (return wait): the late outcome only ends the handler
    state->outcomes[index] = std::move(outcome);
    state->filled[index] = true;
    if (--state->pending == 0) state->handlersDone = true;
  }
  if (state->reported || !state->handlersDone) return;
  if (state->waitForBackground && !state->tasksEnded) return;
  state->reported = true;
  if (state->returnTimer) state->returnTimer->cancel();
  if (state->run) {
    for (auto& [templateName, error] : state->run->taskErrors) {
      for (auto& o : state->outcomes) {
        if (o.templateName == templateName) {
          o.taskErrors.push_back(error);
          break;
        }
      }
    }
  }
  auto done = std::move(state->done);
  if (done) done(std::move(state->outcomes));
}

// ---------------------------------------------------------------------------------------------------------
// Exec

GuildVm::TemplateSlot& GuildVm::execSlot(const std::vector<std::string>& capabilities, bool luau) {
  std::vector<std::string> sorted = capabilities;
  std::sort(sorted.begin(), sorted.end());
  std::string key = luau ? "luau\n" : "lua\n";
  for (const std::string& c : sorted) key += c + "\n";
  auto& slot = execSlots_[key];
  if (!slot) {
    slot = std::make_unique<TemplateSlot>();
    slot->source.name = "exec";
    slot->owner.host = this;
    slot->owner.templateName = "exec";
    slot->owner.capabilities = std::move(sorted);
    auto loaded = std::make_shared<LoadedTemplate>();
    loaded->source.name = "exec";
    loaded->luau = luau;
    slot->loaded = std::move(loaded);
    slot->owner.templateData = const_cast<LoadedTemplate*>(slot->loaded.get());
  }
  return *slot;
}

void GuildVm::exec(std::string code, bool luau, std::vector<std::string> capabilities, DispatchOptions options,
                   Done done) {
  if (loading_ > 0) {
    pending_.push_back([this, code = std::move(code), luau, capabilities = std::move(capabilities), options,
                        done = std::move(done)]() mutable {
      exec(std::move(code), luau, std::move(capabilities), options, std::move(done));
    });
    return;
  }
  auto state = newDispatch(1, "(exec)", options, std::move(done));
  state->outcomes[0].templateName = "exec";
  const std::shared_ptr<Run> run = state->run;
  scheduler_->pin(*run);
  auto fail = [&](Error e) { complete(state, 0, TemplateOutcome{"exec", false, "null", std::move(e), {}}); };
  TemplateSlot& slot = execSlot(capabilities, luau);
  std::shared_ptr<const std::string> lowered;
  bool lowerFailed = false;
  if (luau && code.size() <= config_->sandbox.maxChunkBytes) {
    auto out = lowerLuau(config_->luauCache.get(), code, "exec.luau");
    if (out.ok()) {
      lowered = std::move(out).value();
    } else {
      lowerFailed = true;
      fail(std::move(out).error());
    }
  }
  if (lowerFailed) {
    // the Luau syntax error is reported; the raw Luau text must not go on to Lua's compiler
  } else if (broken()) {
    fail(makeError(ErrorKind::kInternal, "the guild VM is broken and will be recreated"));
  } else if (code.size() > config_->sandbox.maxChunkBytes) {
    fail(makeError(ErrorKind::kLimitExceeded, "the code is too large"));
  } else {
    MemoryBudget::HostScope host(*budget_);
    bool syntaxError = false;
    const std::uint64_t runId = run->id;
    const std::string& text = lowered ? *lowered : code;
    luau::LoweringCache* cache = config_->luauCache.get();
    Status s = sandbox::protect(
        L_,
        [this, &slot, &text, &syntaxError, runId, luau, cache](lua_State* S) {
          if (slot.owner.envRef == LUA_NOREF) {
            if (luau) {
              if (!luau::runtimeInstalled(S)) luau::installRuntime(S, cache);
              luau::pushNewEnvironment(S);
            } else {
              sandbox::pushNewEnvironment(S);
            }
            slot.owner.envRef = luaL_ref(S, LUA_REGISTRYINDEX);
            lua_newtable(S);
            slot.owner.loadedRef = luaL_ref(S, LUA_REGISTRYINDEX);
          }
          if (luaL_loadbufferx(S, text.data(), text.size(), luau ? "@exec.luau" : "=exec", "t") != LUA_OK) {
            syntaxError = true;
            return 1;
          }
          lua_rawgeti(S, LUA_REGISTRYINDEX, slot.owner.envRef);
          lua_setupvalue(S, -2, 1);
          lua_State* co = lua_newthread(S);
          sandbox::setThreadOwner(co, &slot.owner);
          lua_rotate(S, -2, 1);
          auto* ctx = static_cast<CtxData*>(lua_newuserdatauv(S, sizeof(CtxData), 0));
          ctx->runId = runId;
          ctx->vm = this;
          ctx->templateName = slot.owner.templateName.c_str();
          lua_rawgetp(S, LUA_REGISTRYINDEX, &kCtxMetatableKey);
          lua_setmetatable(S, -2);
          lua_xmove(S, co, 2);  // the chunk and ctx
          return 1;
        },
        1);
    if (!s.ok()) {
      fail(std::move(s).error());
    } else if (syntaxError) {
      std::string message = sandbox::errorMessage(L_, -1);
      lua_pop(L_, 1);
      fail(makeError(ErrorKind::kSyntaxError, std::move(message)));
    } else {
      Status started = scheduler_->start(run, 1, [this, &slot, state](lua_State* co, int status, int nres, ErrorKind kind) {
        complete(state, 0, outcomeOf(slot, co, status, nres, kind));
      });
      if (!started.ok()) fail(std::move(started).error());
    }
  }
  scheduler_->unpin(run);
}

// ---------------------------------------------------------------------------------------------------------
// SandboxHost

void GuildVm::print(lua_State* L, std::string_view line) noexcept {
  try {
    const sandbox::ThreadOwner* owner = sandbox::threadOwner(L);
    TW_LOG_INFO("guild {} template '{}': {}", guild_.value, owner != nullptr ? owner->templateName : "?", line);
  } catch (...) {
  }
}

bool GuildVm::adoptSchedulerYield(lua_State* co) noexcept { return scheduler_->adoptYield(co); }

bool GuildVm::eventAlive(std::uint64_t eventId) noexcept { return runAlive(eventId); }

bool GuildVm::ownedByScheduler(lua_State* co) noexcept { return scheduler_->ownsThread(co); }

void GuildVm::noteHostError(lua_State* L, ErrorKind kind) noexcept { scheduler_->noteHostError(L, kind); }

}  // namespace tw::vm
