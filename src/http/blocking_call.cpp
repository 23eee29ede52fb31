#include "http/blocking_call.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace inferbench::http {

namespace {

class CollectingHandler final : public ResponseHandler {
 public:
  CollectingHandler(CallResult& result, TimePoint deadline, std::size_t max_body)
      : result_(result), deadline_(deadline), max_body_(max_body) {}
  void on_sent(TimePoint) override {}
  void on_headers(int status, TimePoint) override { result_.status = status; }
  void on_body(std::string_view bytes, TimePoint) override {
    if (result_.body.size() < max_body_) result_.body.append(bytes.substr(0, max_body_ - result_.body.size()));
  }
  TimePoint deadline() const override { return deadline_; }

 private:
  CallResult& result_;
  TimePoint deadline_;
  std::size_t max_body_;
};

}  // namespace

CallResult blocking_call(net::io_context& ioc, ConnectionPool& pool, const Request& request, Duration timeout,
                         std::size_t max_body) {
  CallResult result;
  CollectingHandler handler(result, Clock::now() + timeout, max_body);
  net::co_spawn(
      ioc, [&]() -> net::awaitable<void> { result.outcome = co_await pool.exchange(request, handler); }, net::detached);
  ioc.restart();  // a previous call left it stopped
  ioc.run();      // returns when the exchange has ended (the pool keeps no pending work)
  return result;
}

}  // namespace inferbench::http
