#include "common/thread.h"

#include <pthread.h>

#include <system_error>
#include <utility>

#include "common/log.h"

namespace tw {

namespace {
struct Start {
  std::string name;
  std::function<void()> body;
};

void* threadMain(void* arg) {
  std::unique_ptr<Start> start(static_cast<Start*>(arg));
  pthread_setname_np(pthread_self(), start->name.substr(0, 15).c_str());
  try {
    start->body();
  } catch (const std::exception& e) {
    TW_LOG_ERROR("thread '{}' ended with an exception: {}", start->name, e.what());
  }
  return nullptr;
}
}  // namespace

Thread::Thread(std::string name, std::size_t stackBytes, std::function<void()> body) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stackBytes);
  auto start = std::make_unique<Start>(Start{std::move(name), std::move(body)});
  pthread_t t{};
  const int rc = pthread_create(&t, &attr, threadMain, start.get());
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_create");
  start.release();
  handle_ = t;
  started_ = true;
}

Thread::Thread(Thread&& other) noexcept
    : handle_(std::exchange(other.handle_, 0)), started_(std::exchange(other.started_, false)) {}

Thread& Thread::operator=(Thread&& other) noexcept {
  if (this != &other) {
    join();
    handle_ = std::exchange(other.handle_, 0);
    started_ = std::exchange(other.started_, false);
  }
  return *this;
}

Thread::~Thread() { join(); }

void Thread::join() {
  if (!started_) return;
  pthread_join(static_cast<pthread_t>(handle_), nullptr);
  started_ = false;
}

}  // namespace tw
