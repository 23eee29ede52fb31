#pragma once
// Shared pieces of the HTTP client tests: a loopback server whose sessions are coroutines
// written by each test, a ResponseHandler that records what arrived, and a way to run one
// or more exchanges to completion on the test thread.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"

namespace inferbench::http::test {

using tcp = net::ip::tcp;
using boost::system::error_code;

// Rethrows an exception that escaped a spawned coroutine, so the test fails loudly.
inline void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// A server on 127.0.0.1 (any free port) running on its own thread. Every accepted
// connection is handed to `session`, a coroutine, on the server's io_context.
class LoopbackServer {
 public:
  using Session = std::function<net::awaitable<void>(tcp::socket)>;

  explicit LoopbackServer(Session session) : session_(std::move(session)), acceptor_(ioc_) {
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(ioc_, accept_loop(), rethrow);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~LoopbackServer() {
    net::post(ioc_, [this] {
      error_code ec;
      acceptor_.close(ec);
    });
    ioc_.stop();
    thread_.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  unsigned short port() const { return port_; }
  std::string url(std::string_view scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
  }
  std::size_t accepted() const { return accepted_.load(); }
  net::io_context& context() { return ioc_; }

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        continue;
      }
      ++accepted_;
      net::co_spawn(ioc_, session_(std::move(socket)), rethrow);
    }
  }

  Session session_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::thread thread_;
};

// Reads one HTTP request from `socket` (an in-test server's first step); false if none came.
inline net::awaitable<bool> read_request(tcp::socket& socket) {
  boost::beast::flat_buffer buffer;
  boost::beast::http::request<boost::beast::http::string_body> req;
  error_code ec;
  co_await boost::beast::http::async_read(socket, buffer, req, net::redirect_error(net::use_awaitable, ec));
  co_return !ec;
}

// Sleeps on the calling coroutine's executor.
inline net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
}

// Waits (polling) until `done()` or the timeout; returns done().
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto until = Clock::now() + timeout;
  while (!done() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return done();
}

// Records one response. The deadline is absolute; by default far enough not to matter.
class Recorder : public ResponseHandler {
 public:
  explicit Recorder(TimePoint deadline = Clock::now() + std::chrono::seconds(20)) : deadline_(deadline) {}
  void on_sent(TimePoint) override { ++sent; }
  void on_headers(int s, TimePoint) override {
    status = s;
    ++headers;
  }
  void on_body(std::string_view bytes, TimePoint) override {
    body.append(bytes);
    ++body_calls;
    if (on_body_hook) on_body_hook(body);
  }
  TimePoint deadline() const override { return deadline_; }

  int sent = 0;
  int headers = 0;
  int status = 0;
  int body_calls = 0;
  std::string body;
  std::function<void(const std::string&)> on_body_hook;

 private:
  TimePoint deadline_;
};

inline net::awaitable<void> exchange_into(ConnectionPool& pool, const Request& request, ResponseHandler& handler,
                                          std::optional<Outcome>& out) {
  out = co_await pool.exchange(request, handler);
}

// Runs the exchanges concurrently on `ioc` (the pool's context) until all have ended.
inline std::vector<Outcome> run_exchanges(net::io_context& ioc, ConnectionPool& pool,
                                          const std::vector<std::pair<const Request*, ResponseHandler*>>& jobs) {
  std::vector<std::optional<Outcome>> outs(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    net::co_spawn(ioc, exchange_into(pool, *jobs[i].first, *jobs[i].second, outs[i]), rethrow);
  }
  ioc.restart();
  ioc.run();
  std::vector<Outcome> result;
  for (auto& o : outs) {
    if (!o) throw std::logic_error("an exchange did not finish");
    result.push_back(std::move(*o));
  }
  return result;
}

inline Outcome run_exchange(net::io_context& ioc, ConnectionPool& pool, const Request& request,
                            ResponseHandler& handler) {
  return run_exchanges(ioc, pool, {{&request, &handler}}).front();
}

inline const char* kind_name(Outcome::Kind k) {
  switch (k) {
    case Outcome::Kind::Complete: return "Complete";
    case Outcome::Kind::DnsFailed: return "DnsFailed";
    case Outcome::Kind::ConnectFailed: return "ConnectFailed";
    case Outcome::Kind::TlsFailed: return "TlsFailed";
    case Outcome::Kind::Timeout: return "Timeout";
    case Outcome::Kind::ClosedBeforeResponse: return "ClosedBeforeResponse";
    case Outcome::Kind::ResetMidBody: return "ResetMidBody";
    case Outcome::Kind::BadHttp: return "BadHttp";
    case Outcome::Kind::Cancelled: return "Cancelled";
  }
  return "?";
}

// "Kind: detail", for assertion messages.
inline std::string describe(const Outcome& o) { return std::string(kind_name(o.kind)) + ": " + o.detail; }

}  // namespace inferbench::http::test
