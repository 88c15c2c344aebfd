#include "api/testing/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include <cctype>

namespace tw::api::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

// Runs the io_context until the pending operation completes (the stream's deadline bounds it).
void runOnce(asio::io_context& io) {
  io.restart();
  io.run();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

TestClient::TestClient(std::uint16_t port, std::chrono::milliseconds timeout) : stream_(io_), timeout_(timeout) {
  beast::error_code result = asio::error::would_block;
  stream_.expires_after(timeout_);
  stream_.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                        [&](beast::error_code ec) { result = ec; });
  runOnce(io_);
  connected_ = !result;
}

bool TestClient::writeRaw(std::string_view bytes) {
  beast::error_code result = asio::error::would_block;
  stream_.expires_after(timeout_);
  asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                    [&](beast::error_code ec, std::size_t) { result = ec; });
  runOnce(io_);
  return !result;
}

TestResponse TestClient::readResponse() {
  TestResponse out;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  beast::error_code result = asio::error::would_block;
  stream_.expires_after(timeout_);
  http::async_read(stream_, buffer_, parser, [&](beast::error_code ec, std::size_t) { result = ec; });
  runOnce(io_);
  if (result) {
    out.error = result.message();
    return out;
  }
  auto& res = parser.get();
  out.status = res.result_int();
  out.body = res.body();
  out.keepAlive = res.keep_alive();
  for (const auto& field : res) out.headers[lower(field.name_string())] = std::string(field.value());
  return out;
}

TestResponse TestClient::request(http::verb method, std::string_view target, std::string_view body,
                                 const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = std::string(body);
  if (!body.empty() || method == http::verb::post || method == http::verb::put) req.prepare_payload();
  beast::error_code result = asio::error::would_block;
  stream_.expires_after(timeout_);
  http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) { result = ec; });
  runOnce(io_);
  if (result) {
    TestResponse out;
    out.error = "write: " + result.message();
    return out;
  }
  return readResponse();
}

bool TestClient::waitForClose(std::chrono::milliseconds timeout) {
  stream_.expires_after(timeout);
  char scratch[4096];
  while (true) {
    beast::error_code result = asio::error::would_block;
    stream_.async_read_some(asio::buffer(scratch), [&](beast::error_code ec, std::size_t) { result = ec; });
    runOnce(io_);
    if (result == beast::error::timeout) return false;
    if (result) return true;  // eof, reset
  }
}

TestResponse httpRequest(std::uint16_t port, http::verb method, std::string_view target, std::string_view body,
                         const std::map<std::string, std::string>& headers) {
  TestClient client(port);
  if (!client.connected()) {
    TestResponse out;
    out.error = "connect failed";
    return out;
  }
  return client.request(method, target, body, headers);
}

}  // namespace tw::api::testing
