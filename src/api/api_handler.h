// ApiHandler: one request in, one response out, with no knowledge of sockets. It checks the bearer token,
// routes, maps the request to a Service call (requests.h), makes the call, and renders the result
// (responses.h). The transport (http_server.cpp) only moves bytes.
//
// Threading: thread-safe (immutable after construction). handle() runs on an I/O thread; Service callbacks
// arrive on worker or storage threads and go back through the caller's Hop before anything is rendered.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "api/requests.h"
#include "api/types.h"
#include "service/service.h"

namespace tw::api {

// Runs a function on the connection's own executor, or drops it when the connection is gone.
using Hop = std::function<void(std::function<void()>)>;
// Receives the response. Called exactly once per handle(), on the connection's executor.
using Reply = std::function<void(ApiResponse)>;

// Auth, routing and request mapping, in that order: everything before the Service is called. A request
// without the token (when `bearerToken` is set) is 401 whatever its path, except GET /healthz.
std::variant<Call, HttpError> prepareCall(const ApiRequest& request, std::string_view bearerToken,
                                          const service::ServiceLimits& limits);

class ApiHandler {
 public:
  struct Options {
    std::string bearerToken;  // "" = no token required
    // Appended to service.metricsText() on GET /metrics (the HTTP layer's own metrics). May be empty.
    std::function<std::string()> extraMetrics;
  };

  ApiHandler(service::Service& service, Options options);

  // REQUIRES: called on the connection's executor; `hop` brings work back to it.
  void handle(const ApiRequest& request, const Hop& hop, Reply reply) const;

 private:
  void call(Call call, const Hop& hop, Reply reply) const;

  service::Service& service_;
  const Options options_;
};

}  // namespace tw::api
