// TestClient: a small HTTP/1.1 client over one TCP connection, for tests of the server on loopback. Every
// operation has a deadline (a stuck server fails the test instead of hanging it).
//
// Threading: owned by one thread (the test's).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace tw::api::testing {

struct TestResponse {
  unsigned status = 0;  // 0: no response (the connection failed or closed first; see error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool keepAlive = false;
  std::string error;  // transport error, "" when a response arrived

  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

class TestClient {
 public:
  // Connects to 127.0.0.1:port. connected() tells whether it worked.
  explicit TestClient(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  bool connected() const { return connected_; }

  // Sends one request (Content-Length set; extra headers as given) and reads one response.
  TestResponse request(boost::beast::http::verb method, std::string_view target, std::string_view body = {},
                       const std::map<std::string, std::string>& headers = {});

  // Writes raw bytes (pipelining, malformed requests, slow clients). False on a transport error.
  bool writeRaw(std::string_view bytes);
  // Reads one response.
  TestResponse readResponse();
  // True when the server closes the connection (EOF or reset) before the timeout, reading and dropping any
  // bytes that arrive first.
  bool waitForClose(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
  bool connected_ = false;
};

// One request on a fresh connection.
TestResponse httpRequest(std::uint16_t port, boost::beast::http::verb method, std::string_view target,
                         std::string_view body = {}, const std::map<std::string, std::string>& headers = {});

}  // namespace tw::api::testing
