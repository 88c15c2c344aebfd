// The API's transport-free value types: a request as the router and handlers see it, a response before it
// is written, an HTTP-level error, and the operations the API knows.
//
// Threading: value types.
#pragma once

// Boost 1.81's string_view (used by verb.hpp) needs <ostream> complete.
#include <ostream>

#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace tw::api {

using Method = boost::beast::http::verb;

// One operation per (route, method); see router.h for the table.
enum class Operation : std::uint8_t {
  kHealthz,
  kMetrics,
  kOpenApi,
  kListTemplates,
  kPutTemplate,
  kGetTemplate,
  kDeleteTemplate,
  kDispatchEvent,
  kExec,
  kListVms,
  kGetVm,
  kDestroyVm,
};

// "put_template", "dispatch_event"... (logs and the OpenAPI operationId).
std::string_view operationName(Operation op);

struct ApiRequest {
  Method method = Method::get;
  std::string target;         // "/path?query", as received
  std::string authorization;  // the Authorization header, "" when absent
  std::string body;
};

struct ApiResponse {
  unsigned status = 200;
  std::string body;
  std::string contentType = "application/json";
  std::string allow;           // the Allow header (405), "" for none
  bool bearerChallenge = false;  // adds `WWW-Authenticate: Bearer` (401)
};

// An error answered by the API itself: {"error":{"kind":...,"message":...}} with `status`.
struct HttpError {
  unsigned status = 500;
  std::string kind;     // an ErrorKind name (kindName) or one of the HTTP kinds below
  std::string message;
  std::string allow;    // 405 only: the methods the path accepts, "GET, PUT"
};

// Error kinds that only the HTTP layer produces (the rest are kindName(ErrorKind)).
inline constexpr std::string_view kKindUnauthorized = "unauthorized";
inline constexpr std::string_view kKindMethodNotAllowed = "method_not_allowed";

}  // namespace tw::api
