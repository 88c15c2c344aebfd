// HttpServer: the HTTP/1.1 front door of a template-worker node (Boost.Beast). It owns its I/O threads and
// the listening socket; every request goes through ApiHandler to the Service.
//
//   HttpServer server(HttpConfig{.port = 0}, service);
//   if (Status s = server.start(); !s) ...;   // binds; server.port() is the bound port
//   ...
//   server.stop();                            // drains, bounded by shutdownTimeout
//
// Connections: keep-alive, pipelined requests answered in order, one request in flight per connection.
// Limits: readTimeout per request (slow or idle clients are cut), maxHeaderBytes (431), the Service's
// maxBodyBytes (413), maxConnections (a connection past it gets a 503 and is closed), writeTimeout.
//
// Threading: start(), stop() and the destructor are called from one controlling thread; port() is safe from
// any thread after start(). The I/O threads never block on the Service: calls complete on worker or storage
// threads and are posted back to the connection's strand; a reply whose connection is gone is dropped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace tw::metrics {
class Registry;
}
namespace tw::service {
class Service;
}

namespace tw::api {

class HttpServerImpl;

struct HttpConfig {
  // An IP literal or "localhost". Default: loopback only.
  std::string address = "127.0.0.1";
  // 0 = an ephemeral port (see HttpServer::port()). Default: 8080.
  std::uint16_t port = 8080;
  // I/O threads. Default: 2.
  int ioThreads = 2;
  // When set, every route except GET /healthz needs `Authorization: Bearer <token>`. Required when `address`
  // is not loopback (start() refuses otherwise).
  std::string bearerToken;
  // Time to receive one whole request, counted from when the connection starts waiting for it (so an idle
  // keep-alive connection is closed after it, too). Default: 15 s.
  std::chrono::milliseconds readTimeout{15'000};
  // Time to send one response. Default: 30 s.
  std::chrono::milliseconds writeTimeout{30'000};
  // stop(): how long requests already in flight may take to finish. Default: 10 s.
  std::chrono::milliseconds shutdownTimeout{10'000};
  // Request line plus headers. Default: 16 KiB.
  std::size_t maxHeaderBytes = 16 * 1024;
  // Open connections; one more is answered 503 and closed. Default: 10 000.
  std::size_t maxConnections = 10'000;
  // Where the server registers its metrics (tw_http_*). Null: a registry of its own, appended to the
  // Service's metricsText() on GET /metrics. When set, it must outlive the server, hold no tw_http_*
  // metrics yet, and be rendered by the Service's metricsText() (the server does not append it).
  metrics::Registry* metrics = nullptr;
};

class HttpServer {
 public:
  // `service` must outlive the server.
  HttpServer(HttpConfig config, service::Service& service);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Validates the config, binds and starts serving. kBadInput for an invalid config (e.g. a non-loopback
  // address without a bearer token), kUnavailable when the address cannot be bound. Call at most once.
  Status start();

  // Stops accepting, closes idle connections, lets requests in flight finish (up to shutdownTimeout, then
  // closes the rest), and joins the I/O threads. Idempotent. Service replies that arrive later are dropped.
  void stop();

  // The bound port. REQUIRES: start() succeeded.
  std::uint16_t port() const;

 private:
  std::unique_ptr<HttpServerImpl> impl_;
};

}  // namespace tw::api
