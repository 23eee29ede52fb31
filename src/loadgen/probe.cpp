#include "loadgen/probe.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace inferbench::loadgen {

namespace {

class BodyHandler final : public http::ResponseHandler {
 public:
  BodyHandler(ProbeResult& result, TimePoint deadline) : result_(result), deadline_(deadline) {}
  void on_sent(TimePoint) override {}
  void on_headers(int status, TimePoint) override { result_.status = status; }
  void on_body(std::string_view bytes, TimePoint) override {
    if (result_.body.size() < kMaxBody) result_.body.append(bytes.substr(0, kMaxBody - result_.body.size()));
  }
  TimePoint deadline() const override { return deadline_; }

 private:
  static constexpr std::size_t kMaxBody = 1 << 20;
  ProbeResult& result_;
  TimePoint deadline_;
};

// How often a waiting probe looks at the stop request: a server that accepts and never answers
// must not hold a Ctrl-C for the whole timeout.
constexpr auto kStopPoll = std::chrono::milliseconds(20);

}  // namespace

ProbeResult http_get(const HttpTargetOptions& target, std::string_view path, Duration timeout,
                     const std::function<bool()>& stop_requested) {
  boost::asio::io_context ioc(1);
  http::ClientOptions options = target.client;
  options.connect_timeout = std::min(options.connect_timeout, timeout);
  http::ConnectionPool pool(ioc, options);
  ProbeResult result;
  BodyHandler handler(result, Clock::now() + timeout);
  const http::Request request =
      http::make_request(target.client.url, boost::beast::http::verb::get, path, "", target.headers);
  boost::asio::co_spawn(
      ioc, [&]() -> boost::asio::awaitable<void> { result.outcome = co_await pool.exchange(request, handler); },
      boost::asio::detached);
  bool stopping = false;
  while (!ioc.stopped()) {  // stopped: the exchange has ended
    ioc.run_for(kStopPoll);
    if (!stopping && stop_requested && stop_requested()) {
      stopping = true;
      pool.shutdown();  // closes the connection: the exchange ends at once, Cancelled
    }
  }
  return result;
}

}  // namespace inferbench::loadgen
