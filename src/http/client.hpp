#pragma once
// HTTP/1.1 client for one worker thread: a keep-alive connection pool to one server,
// plain TCP or TLS, on Boost.Beast/Asio coroutines. Bytes are handed to a ResponseHandler
// with the time they crossed the socket, before any parsing of the body: on plain TCP the
// kernel's receive timestamp of the read (SO_TIMESTAMPNS, converted to Clock), on TLS the time
// the read returned.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "http/url.hpp"

namespace inferbench::http {

namespace net = boost::asio;
using Request = boost::beast::http::request<boost::beast::http::string_body>;

struct ClientOptions {
  Url url;
  bool insecure = false;                                // skip TLS certificate verification
  Duration connect_timeout = std::chrono::seconds(10);  // TCP connect plus TLS handshake
};

// A request as the bytes that go on the wire, serialized once by Beast. The load generator sends
// one prepared request many times, each with a header line of its own (x-request-id): this
// splices that line in at write time instead of copying and re-serializing the message.
class WireRequest {
 public:
  explicit WireRequest(const Request& request);
  // The request's bytes with `fields` (whole header lines, each ending in CRLF) at the end of its
  // header. The buffers view this object and `fields`.
  std::array<net::const_buffer, 3> buffers(std::string_view fields) const;

 private:
  std::string bytes_;
  std::size_t header_end_ = 0;  // where the empty line that ends the header starts
};

// Receives one response as it arrives. Called on the worker thread that owns the pool.
class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  // The request's first byte is about to be written.
  virtual void on_sent(TimePoint t) = 0;
  // The final response's Content-Type and Content-Encoding ("" when absent), just before
  // on_headers. The views are valid during this call only.
  virtual void on_content_headers(std::string_view /*content_type*/, std::string_view /*content_encoding*/) {}
  // The response header has been read; `t` is when the read holding its end crossed the socket.
  // Interim responses (1xx other than 101) are skipped: this is the final response's header.
  virtual void on_headers(int status, TimePoint t) = 0;
  // A piece of the decoded body (chunked framing removed); `t` is when its read crossed the socket.
  virtual void on_body(std::string_view bytes, TimePoint t) = 0;
  // The absolute time by which the next read must complete (first-token or total deadline).
  virtual TimePoint deadline() const = 0;
};

// How an exchange ended, from the transport's point of view.
struct Outcome {
  enum class Kind {
    Complete,              // a whole response was read (any status)
    DnsFailed,             // the host name did not resolve
    ConnectFailed,         // refused, unreachable, or connect timeout
    TlsFailed,             // handshake or certificate verification failed
    Timeout,               // the handler's deadline passed while waiting for bytes
    ClosedBeforeResponse,  // the server closed or reset before sending a response header
    ResetMidBody,          // the connection ended after the header, before the body's end
    BadHttp,               // the response was not valid HTTP/1.1
    Cancelled,             // the pool was shut down (run interrupted)
  };
  Kind kind = Kind::Complete;
  std::string detail;  // one line for humans; empty when Complete
};

// A pool of keep-alive connections to one server. Owned and used by one thread only.
class ConnectionPool {
 public:
  ConnectionPool(net::io_context& ioc, ClientOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Sends `request`, with the header lines `fields` added (see WireRequest), and streams the
  // response to `handler`. Never throws for transport problems: they are reported in the
  // Outcome. A request on a reused connection that the server had closed is retried once on a
  // fresh connection (before any response byte).
  net::awaitable<Outcome> exchange(const WireRequest& request, ResponseHandler& handler, std::string_view fields = {});
  // The same for a request that is sent once (probes, scrapes, tests).
  net::awaitable<Outcome> exchange(const Request& request, ResponseHandler& handler);

  // Closes every connection, idle and busy; exchanges in flight end with Kind::Cancelled.
  void shutdown();

  // Connections opened so far (for reports and tests).
  std::size_t connections_opened() const { return opened_; }

 private:
  struct Connection;
  // The most recently used idle connection that is still fit to reuse (others are closed).
  std::unique_ptr<Connection> take_idle();
  net::awaitable<Outcome> connect(Connection& conn);
  net::awaitable<Outcome> attempt(Connection& conn, const std::array<net::const_buffer, 3>& request,
                                  ResponseHandler& handler, bool& response_started);

  net::io_context& ioc_;
  ClientOptions options_;
  std::unique_ptr<net::ssl::context> tls_;
  std::vector<net::ip::tcp::endpoint> endpoints_;  // resolved once, reused
  std::vector<std::unique_ptr<Connection>> idle_;
  std::vector<Connection*> busy_;
  std::size_t opened_ = 0;
  bool shut_down_ = false;
};

// Builds a request for `target` (path) with the given body and headers (Host is added).
Request make_request(const Url& url, boost::beast::http::verb method, std::string_view target, std::string body,
                     const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace inferbench::http
