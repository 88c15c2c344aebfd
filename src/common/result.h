// Result<T>: expected failures as values, with a stable, tenant-visible error kind.
//
// Threading: value types; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tw {

// Stable error kinds. Their names (kindName) are part of the public JSON contract: never rename one.
enum class ErrorKind : std::uint8_t {
  kSyntaxError,       // a template or chunk failed to compile
  kRuntimeError,      // a script raised an error
  kMemoryLimit,       // the guild VM went over its memory cap
  kTimeout,           // the execution deadline passed
  kCapabilityDenied,  // a plugin call lacked the capability it needs
  kLimitExceeded,     // some other limit (coroutines, timers, sizes, nesting)
  kBadInput,          // the caller sent something invalid
  kNotFound,          // unknown guild, template, VM...
  kStillRunning,      // the return wait passed; the work goes on
  kUpstream,          // an outside service failed
  kUnavailable,       // the service cannot take the work now (shutting down, full)
  kInternal,          // a bug or an unexpected host failure; details are in the logs
};

std::string_view kindName(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;
};

inline Error makeError(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  // REQUIRES: !ok()
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{ErrorKind::kInternal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace tw
