#include "api/http_server.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "api/api_handler.h"
#include "api/auth.h"
#include "api/responses.h"
#include "common/log.h"
#include "common/thread.h"
#include "metrics/metrics.h"
#include "service/service.h"

namespace tw::api {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kIoThreadStackBytes = std::size_t{8} << 20;
// After a response that closes the connection, unread request bytes are read and dropped for up to this long
// before the socket closes, so the client sees the response rather than a reset (e.g. a 413 sent while the
// client is still uploading).
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::size_t kInitialReadBuffer = 8 * 1024;  // per connection: a typical event in one read; grows for larger ones
constexpr std::string_view kServerName = "template-worker";

// Lets threads outside the server (workers, storage) post into its io_context, and stops them from doing so
// once the server has stopped.
//
// Threading: thread-safe.
class CompletionGate {
 public:
  explicit CompletionGate(asio::io_context& io) : io_(&io) {}

  template <typename F>
  void post(F&& f) {
    std::lock_guard lock(mu_);
    if (io_ != nullptr) asio::post(*io_, std::forward<F>(f));
  }

  void close() {
    std::lock_guard lock(mu_);
    io_ = nullptr;
  }

 private:
  std::mutex mu_;
  asio::io_context* io_;  // guarded by mu_; null once closed
};

bool isHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

std::string errorBody(std::string_view kind, std::string_view message) {
  return errorResponse(HttpError{0, std::string(kind), std::string(message), {}}).body;
}

}  // namespace

class Session;

// Threading: the members below the constructor are touched by I/O threads and the controlling thread as
// their comments say; config_, service_ and handler_ are immutable after start().
class HttpServerImpl {
 public:
  HttpServerImpl(HttpConfig config, service::Service& service);

  Status start();
  void stop();
  std::uint16_t port() const { return port_; }

  // Called by sessions (on their strands).
  void removeSession(std::uint64_t id);
  const HttpConfig& config() const { return config_; }
  const ApiHandler& handler() const { return *handler_; }
  std::size_t maxBodyBytes() const { return service_.limits().maxBodyBytes; }
  const std::shared_ptr<CompletionGate>& gate() const { return gate_; }
  void countResponse(unsigned status, Clock::duration latency);

 private:
  void accept();                                // on the acceptor's strand
  void onAccept(beast::error_code ec, tcp::socket socket);
  void refuse(tcp::socket& socket);

  const HttpConfig config_;
  service::Service& service_;
  std::unique_ptr<ApiHandler> handler_;

  metrics::Registry ownMetrics_;
  metrics::Registry& metrics_;
  std::array<metrics::Counter*, 6> responsesByClass_{};  // index status / 100
  metrics::Histogram& latency_;
  metrics::Gauge& openConnections_;
  metrics::Counter& refusedConnections_;

  std::uint16_t port_ = 0;
  bool started_ = false;  // controlling thread
  bool stopped_ = false;  // controlling thread

  std::mutex sessionsMu_;
  std::condition_variable sessionsCv_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions_;  // guarded by sessionsMu_
  std::uint64_t nextSessionId_ = 1;                                       // guarded by sessionsMu_
  bool stopping_ = false;                                                 // guarded by sessionsMu_

  std::vector<Thread> threads_;
  // Declared after everything a pending handler may reach: destroyed before it (its destructor destroys
  // the handlers still queued, and with them the last references to their sessions).
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;            // on its strand
  asio::steady_timer acceptRetry_;    // on the acceptor's strand
  std::shared_ptr<CompletionGate> gate_;
};

// One connection: read a request, hand it to the ApiHandler, write the response, repeat.
//
// Threading: every member function runs on the connection's strand (executor()), except executor().
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServerImpl& server, tcp::socket socket, std::uint64_t id, bool draining)
      : server_(server), executor_(socket.get_executor()), stream_(std::move(socket)), id_(id), draining_(draining) {}

  // Safe from any thread: a copy made at construction, never written.
  const asio::any_io_executor& executor() const { return executor_; }

  void start() {
    // Room for a typical request (headers and a few KB of body) from the first read: a small buffer is
    // filled 512 bytes per recvmsg at first.
    buffer_.reserve(kInitialReadBuffer);
    readHeader();
  }

  // The server is stopping: close now when idle, else after the current response.
  void drain() {
    draining_ = true;
    if (state_ == State::kReading && parser_ && !parser_->got_some() && buffer_.size() == 0) close();
  }

  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    server_.removeSession(id_);
  }

 private:
  enum class State { kReading, kHandling, kWriting, kLingering, kClosed };

  void readHeader() {
    if (state_ == State::kClosed) return;
    if (draining_ && buffer_.size() == 0) {
      close();
      return;
    }
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.config().maxHeaderBytes));
    parser_->body_limit(server_.maxBodyBytes());
    stream_.expires_after(server_.config().readTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::onHeader, shared_from_this()));
  }

  void onHeader(beast::error_code ec, std::size_t) {
    if (ec) return onReadError(ec);
    const auto& header = parser_->get();
    if (!parser_->is_done() && beast::iequals(header[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, header.version());
      http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code e, std::size_t) {
        if (e) return self->close();
        self->readBody();
      });
      return;
    }
    readBody();
  }

  void readBody() {
    if (state_ == State::kClosed) return;
    if (parser_->is_done()) return onRequest();
    // The deadline set before the header still runs: readTimeout covers the whole request.
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->onReadError(ec);
      self->onRequest();
    });
  }

  void onReadError(const beast::error_code& ec) {
    if (state_ == State::kClosed) return;
    if (ec == http::error::body_limit) {
      return replyError(413, "limit_exceeded",
                        "request body is larger than the limit of " + std::to_string(server_.maxBodyBytes()) +
                            " bytes");
    }
    if (ec == http::error::header_limit) {
      return replyError(431, "limit_exceeded",
                        "request headers are larger than the limit of " +
                            std::to_string(server_.config().maxHeaderBytes) + " bytes");
    }
    if (isHttpParseError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return replyError(400, "bad_input", "malformed HTTP request: " + ec.message());
    }
    // The client went away, timed out (beast::error::timeout) or the server is stopping.
    close();
  }

  // An error the transport answers itself; the connection closes after it.
  void replyError(unsigned status, std::string_view kind, std::string_view message) {
    state_ = State::kHandling;
    keepAlive_ = false;
    version_ = 11;
    requestStart_ = Clock::now();
    ApiResponse r;
    r.status = status;
    r.body = errorBody(kind, message);
    respond(++requestSeq_, std::move(r));
  }

  void onRequest() {
    stream_.expires_never();
    state_ = State::kHandling;
    requestStart_ = Clock::now();
    http::request<http::string_body> req = parser_->release();
    keepAlive_ = req.keep_alive();
    version_ = req.version();
    ApiRequest request;
    request.method = req.method();
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());

    const std::uint64_t seq = ++requestSeq_;
    std::weak_ptr<Session> weak = weak_from_this();
    Hop hop = [gate = server_.gate(), weak](std::function<void()> fn) {
      gate->post([weak, fn = std::move(fn)]() mutable {
        if (auto self = weak.lock()) asio::dispatch(self->executor(), [self, fn = std::move(fn)] { fn(); });
      });
    };
    Reply reply = [weak, seq](ApiResponse response) {
      if (auto self = weak.lock()) self->respond(seq, std::move(response));
    };
    try {
      server_.handler().handle(request, hop, reply);
    } catch (const std::exception& e) {
      TW_LOG_ERROR("api: {} {}: exception: {}", std::string(http::to_string(request.method)), request.target, e.what());
      ApiResponse r = errorResponse(
          HttpError{500, std::string(kindName(ErrorKind::kInternal)), "internal error (details are in the server log)", {}});
      respond(seq, std::move(r));
    }
  }

  // REQUIRES: on the strand. Drops a response for a request that is no longer the current one.
  void respond(std::uint64_t seq, ApiResponse r) {
    if (state_ != State::kHandling || seq != requestSeq_) return;
    state_ = State::kWriting;
    // Every response has a known length, so its head is formatted here and written with the body in one
    // gathered write: Beast's serializer cost ~4% of the CPU of a small request.
    responseStatus_ = r.status;
    responseKeepAlive_ = keepAlive_ && !draining_;
    responseHead_.clear();
    responseHead_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    responseHead_ += std::to_string(r.status);
    responseHead_ += ' ';
    responseHead_ += http::obsolete_reason(static_cast<http::status>(r.status));
    responseHead_ += "\r\nServer: ";
    responseHead_ += kServerName;
    responseHead_ += "\r\nContent-Type: ";
    responseHead_ += r.contentType;
    if (!r.allow.empty()) {
      responseHead_ += "\r\nAllow: ";
      responseHead_ += r.allow;
    }
    if (r.bearerChallenge) responseHead_ += "\r\nWWW-Authenticate: Bearer";
    if (version_ == 10 && responseKeepAlive_) responseHead_ += "\r\nConnection: keep-alive";
    if (version_ != 10 && !responseKeepAlive_) responseHead_ += "\r\nConnection: close";
    responseHead_ += "\r\nContent-Length: ";
    responseHead_ += std::to_string(r.body.size());
    responseHead_ += "\r\n\r\n";
    responseBody_ = std::move(r.body);
    stream_.expires_after(server_.config().writeTimeout);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(responseHead_), asio::buffer(responseBody_)};
    asio::async_write(stream_, buffers, beast::bind_front_handler(&Session::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t) {
    server_.countResponse(responseStatus_, Clock::now() - requestStart_);
    responseBody_.clear();
    responseBody_.shrink_to_fit();  // an idle connection keeps no large answer
    if (ec) return close();
    if (!responseKeepAlive_) return linger();
    readHeader();
  }

  // Half-closes, then reads and drops what the client still sends, for kLingerTime at most.
  void linger() {
    if (state_ == State::kClosed) return;
    state_ = State::kLingering;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drainInput();
  }

  void drainInput() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(64 * 1024),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->state_ == State::kClosed) return self->close();
                              self->drainInput();
                            });
  }

  HttpServerImpl& server_;
  const asio::any_io_executor executor_;  // the connection's strand
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const std::uint64_t id_;
  bool draining_;
  State state_ = State::kReading;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::string responseHead_;  // the status line and headers of the response being written
  std::string responseBody_;
  unsigned responseStatus_ = 0;
  bool responseKeepAlive_ = true;
  bool keepAlive_ = true;
  unsigned version_ = 11;
  std::uint64_t requestSeq_ = 0;
  Clock::time_point requestStart_;
};

HttpServerImpl::HttpServerImpl(HttpConfig config, service::Service& service)
    : config_(std::move(config)),
      service_(service),
      metrics_(config_.metrics != nullptr ? *config_.metrics : ownMetrics_),
      latency_(metrics_.histogram("tw_http_request_seconds",
                                  "HTTP request latency, from the whole request read to the response written.",
                                  metrics::Registry::latencyBuckets())),
      openConnections_(metrics_.gauge("tw_http_open_connections", "Open HTTP connections.")),
      refusedConnections_(metrics_.counter("tw_http_refused_connections_total",
                                           "Connections refused at the maxConnections limit.")),
      io_(std::max(1, config_.ioThreads)),
      acceptor_(asio::make_strand(io_)),
      acceptRetry_(acceptor_.get_executor()),
      gate_(std::make_shared<CompletionGate>(io_)) {
  auto& responses = metrics_.counterFamily("tw_http_responses_total", "HTTP responses by status class.", "code");
  for (unsigned c = 1; c <= 5; ++c) responsesByClass_[c] = &responses.with(std::to_string(c) + "xx");
  ApiHandler::Options options;
  options.bearerToken = config_.bearerToken;
  if (config_.metrics == nullptr) options.extraMetrics = [this] { return ownMetrics_.render(); };
  handler_ = std::make_unique<ApiHandler>(service_, std::move(options));
}

Status HttpServerImpl::start() {
  if (started_) return makeError(ErrorKind::kBadInput, "http: the server was already started");
  if (config_.ioThreads < 1) return makeError(ErrorKind::kBadInput, "http: ioThreads must be at least 1");
  if (config_.maxConnections < 1) return makeError(ErrorKind::kBadInput, "http: maxConnections must be at least 1");
  if (config_.readTimeout.count() <= 0 || config_.writeTimeout.count() <= 0) {
    return makeError(ErrorKind::kBadInput, "http: readTimeout and writeTimeout must be positive");
  }
  const std::string host = config_.address == "localhost" ? "127.0.0.1" : config_.address;
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    return makeError(ErrorKind::kBadInput,
                     "http: listen address '" + config_.address + "' is not an IP address (or localhost)");
  }
  if (config_.bearerToken.empty() && !isLoopbackAddress(config_.address)) {
    return makeError(ErrorKind::kBadInput,
                     "http: refusing to listen on " + config_.address +
                         " without a bearer token: anyone who can reach it could run code in every guild. "
                         "Configure a token, or listen on a loopback address such as 127.0.0.1");
  }
  const tcp::endpoint endpoint(address, config_.port);
  auto fail = [&](std::string_view what) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return makeError(ErrorKind::kUnavailable, "http: cannot " + std::string(what) + " " + config_.address + ":" +
                                                  std::to_string(config_.port) + ": " + ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec)) return fail("open a socket for");
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) return fail("set SO_REUSEADDR on");
  if (acceptor_.bind(endpoint, ec)) return fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) return fail("listen on");
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return fail("read the bound port of");

  started_ = true;
  work_.emplace(io_.get_executor());
  asio::dispatch(acceptor_.get_executor(), [this] { accept(); });
  try {
    for (int i = 0; i < config_.ioThreads; ++i) {
      threads_.emplace_back("tw-http-" + std::to_string(i), kIoThreadStackBytes, [this] { io_.run(); });
    }
  } catch (const std::exception& e) {
    stop();
    return makeError(ErrorKind::kUnavailable, std::string("http: cannot start I/O threads: ") + e.what());
  }
  TW_LOG_INFO("http: listening on {}:{} ({} I/O threads{})", config_.address, port_, config_.ioThreads,
              config_.bearerToken.empty() ? ", no token" : ", bearer token required");
  return {};
}

void HttpServerImpl::accept() {
  acceptor_.async_accept(asio::make_strand(io_), beast::bind_front_handler(&HttpServerImpl::onAccept, this));
}

void HttpServerImpl::onAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Typically EMFILE: wait a little rather than spin.
    TW_LOG_WARN("http: accept failed: {}", ec.message());
    acceptRetry_.expires_after(kAcceptRetryDelay);
    acceptRetry_.async_wait([this](beast::error_code e) {
      if (!e && acceptor_.is_open()) accept();
    });
    return;
  }
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(sessionsMu_);
    if (sessions_.size() < config_.maxConnections) {
      const std::uint64_t id = nextSessionId_++;
      session = std::make_shared<Session>(*this, std::move(socket), id, stopping_);
      sessions_.emplace(id, session);
    }
  }
  if (session) {
    openConnections_.add(1);
    asio::dispatch(session->executor(), [session] { session->start(); });
  } else {
    refuse(socket);
  }
  accept();
}

// Past maxConnections: one best-effort, non-blocking 503, then close.
void HttpServerImpl::refuse(tcp::socket& socket) {
  refusedConnections_.inc();
  static const std::string kResponse = [] {
    const std::string body = errorBody("unavailable", "too many open connections; retry later");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: template-worker\r\nContent-Type: application/json\r\n"
           "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(kResponse), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void HttpServerImpl::removeSession(std::uint64_t id) {
  std::lock_guard lock(sessionsMu_);
  if (sessions_.erase(id) > 0) {
    openConnections_.add(-1);
    sessionsCv_.notify_all();
  }
}

void HttpServerImpl::countResponse(unsigned status, Clock::duration latency) {
  const unsigned c = status / 100;
  if (c >= 1 && c <= 5) responsesByClass_[c]->inc();
  latency_.observe(std::chrono::duration<double>(latency).count());
}

void HttpServerImpl::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  asio::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    acceptRetry_.cancel();
  });

  auto forEachSession = [this](auto action) {
    std::vector<std::shared_ptr<Session>> snapshot;
    {
      std::lock_guard lock(sessionsMu_);
      for (auto& [id, s] : sessions_) snapshot.push_back(s);
    }
    for (auto& s : snapshot) asio::post(s->executor(), [s, action] { action(*s); });
  };
  {
    std::lock_guard lock(sessionsMu_);
    stopping_ = true;
  }
  forEachSession([](Session& s) { s.drain(); });
  {
    std::unique_lock lock(sessionsMu_);
    sessionsCv_.wait_for(lock, config_.shutdownTimeout, [this] { return sessions_.empty(); });
    if (!sessions_.empty()) {
      TW_LOG_WARN("http: {} connection(s) still busy after the shutdown timeout; closing them", sessions_.size());
    }
  }
  forEachSession([](Session& s) { s.close(); });
  {
    std::unique_lock lock(sessionsMu_);
    sessionsCv_.wait_for(lock, std::chrono::seconds(1), [this] { return sessions_.empty(); });
  }
  gate_->close();
  work_.reset();
  io_.stop();
  for (Thread& t : threads_) t.join();
  threads_.clear();
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> remaining;
  {
    std::lock_guard lock(sessionsMu_);
    remaining.swap(sessions_);
  }
  TW_LOG_INFO("http: stopped");
}

HttpServer::HttpServer(HttpConfig config, service::Service& service)
    : impl_(std::make_unique<HttpServerImpl>(std::move(config), service)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() { return impl_->start(); }

void HttpServer::stop() { impl_->stop(); }

std::uint16_t HttpServer::port() const { return impl_->port(); }

}  // namespace tw::api
