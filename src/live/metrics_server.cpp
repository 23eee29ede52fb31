#include "live/metrics_server.hpp"

// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/error.hpp"

namespace inferbench::live {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using net::ip::tcp;

namespace {

// A scrape is a few KB each way; anything slower or bigger is not Prometheus.
constexpr auto kSessionTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxRequestBytes = std::size_t{16} * 1024;

http::response<http::string_body> answer(const http::request<http::string_body>& req, const LiveMetrics& metrics) {
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "inferbench");
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "only GET /metrics\n";
  } else if (req.target() != "/metrics") {
    res.result(http::status::not_found);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "inferbench serves its live metrics at /metrics\n";
  } else {
    res.result(http::status::ok);
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics.exposition();
  }
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

}  // namespace

struct MetricsServer::Impl {
  const LiveMetrics& metrics;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};

  explicit Impl(const LiveMetrics& m) : metrics(m) {}

  net::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      error_code ec;
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxRequestBytes);
      parser.body_limit(kMaxRequestBytes);
      stream.expires_after(kSessionTimeout);
      co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;  // closed, timed out or not HTTP: nothing to answer
      const auto res = answer(parser.get(), metrics);
      co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
  }
};

MetricsServer::MetricsServer(const LiveMetrics& metrics, const std::string& host, std::uint16_t port)
    : impl_(std::make_unique<Impl>(metrics)) {
  error_code ec;
  const auto address = net::ip::make_address(host, ec);
  require(!ec, "--metrics-port: invalid address '" + host + "'");
  const tcp::endpoint endpoint(address, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  require(!ec, "--metrics-port: cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  port_ = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  thread_ = std::thread([this] { impl_->ioc.run(); });
}

MetricsServer::~MetricsServer() {
  net::post(impl_->ioc, [this] {
    error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace inferbench::live
