// Threads with an explicit stack size (std::thread cannot set one). Lua code runs only on such threads:
// the worker stack limit (20 MiB by default) is set here.
//
// Threading: a Thread is owned by the thread that created it; join() from that thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace tw {

class Thread {
 public:
  Thread() = default;
  // Starts `body` on a new thread with `stackBytes` of stack. Throws std::system_error on failure.
  Thread(std::string name, std::size_t stackBytes, std::function<void()> body);
  Thread(Thread&& other) noexcept;
  Thread& operator=(Thread&& other) noexcept;
  ~Thread();  // joins

  bool joinable() const { return started_; }
  void join();

 private:
  unsigned long handle_ = 0;  // pthread_t
  bool started_ = false;
};

}  // namespace tw
