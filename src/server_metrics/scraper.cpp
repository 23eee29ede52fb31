#include "server_metrics/scraper.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "http/client.hpp"

namespace inferbench::server_metrics {

namespace net = boost::asio;

namespace {

constexpr std::size_t kMaxBody = std::size_t{32} << 20;

class BodyHandler final : public http::ResponseHandler {
 public:
  explicit BodyHandler(TimePoint deadline) : deadline_(deadline) {}
  void on_sent(TimePoint) override {}
  void on_headers(int status, TimePoint) override { status_ = status; }
  void on_body(std::string_view bytes, TimePoint) override {
    if (body_.size() + bytes.size() > kMaxBody) {
      too_large_ = true;
      return;
    }
    body_.append(bytes);
  }
  TimePoint deadline() const override { return deadline_; }

  int status() const { return status_; }
  bool too_large() const { return too_large_; }
  const std::string& body() const { return body_; }

 private:
  TimePoint deadline_;
  int status_ = 0;
  bool too_large_ = false;
  std::string body_;
};

}  // namespace

// Lives on the scrape thread: its io_context, one keep-alive pool per source, the rounds.
struct ServerMetricsScraper::Loop {
  const ScrapeOptions& options;
  net::io_context ioc{1};
  net::steady_timer timer{ioc};
  std::vector<std::unique_ptr<http::ConnectionPool>> pools;
  std::vector<ScrapeRound> rounds;  // read by stop() only after the thread is joined
  bool stop = false;                // touched on the scrape thread only (set through post)

  explicit Loop(const ScrapeOptions& o) : options(o) {
    for (const MetricsSource& source : options.sources) {
      http::ClientOptions client;
      client.url = source.url;
      client.insecure = source.insecure;
      client.connect_timeout = options.timeout;
      pools.push_back(std::make_unique<http::ConnectionPool>(ioc, client));
    }
  }

  net::awaitable<SourceScrape> scrape(std::size_t i) {
    const MetricsSource& source = options.sources[i];
    // make_request prefixes the URL's path; a bare host means "/".
    const std::string_view target = source.url.base_path.empty() ? "/" : "";
    http::Request request = http::make_request(source.url, boost::beast::http::verb::get, target, "", source.headers);
    // Servers that negotiate (prometheus_client) then answer in the classic text format.
    request.set(boost::beast::http::field::accept, "text/plain;version=0.0.4;q=1,*/*;q=0.1");
    BodyHandler handler(Clock::now() + options.timeout);
    const http::Outcome outcome = co_await pools[i]->exchange(request, handler);
    SourceScrape result;
    if (outcome.kind != http::Outcome::Kind::Complete) {
      result.error = outcome.detail.empty() ? "no response" : outcome.detail;
    } else if (handler.status() != 200) {
      result.error = "HTTP " + std::to_string(handler.status());
      if (handler.status() == 404 || handler.status() == 501) {
        result.error += " (no metrics endpoint: llama.cpp needs --metrics, SGLang --enable-metrics)";
      }
    } else if (handler.too_large()) {
      result.error = "response larger than 32 MiB";
    } else {
      result = reduce_exposition(handler.body());
    }
    co_return result;
  }

  net::awaitable<void> round(bool during_load) {
    ScrapeRound r;
    r.time = Clock::now();
    r.during_load = during_load;
    for (std::size_t i = 0; i < pools.size(); ++i) r.sources.push_back(co_await scrape(i));
    rounds.push_back(std::move(r));
  }

  net::awaitable<void> run(std::promise<void>& first_round) {
    co_await round(false);
    first_round.set_value();
    TimePoint next = rounds.back().time + options.interval;
    for (;;) {
      if (!stop) {
        timer.expires_at(next);
        boost::system::error_code ec;
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      }
      // The last round always starts after stop was requested.
      const bool last = stop;
      co_await round(!last);
      if (last) break;
      next = std::max(next + options.interval, Clock::now());
    }
    for (auto& pool : pools) pool->shutdown();
  }
};

Duration scrape_interval_for(Duration configured, std::optional<Duration> expected) {
  if (!expected) return std::min(configured, kIntervalUnknownLength);
  return std::min(configured, std::max(*expected / kRoundsPerLoad, kShortestInterval));
}

ServerMetricsScraper::ServerMetricsScraper(ScrapeOptions options) : options_(std::move(options)) {}

ServerMetricsScraper::~ServerMetricsScraper() {
  if (thread_.joinable() && !stopped_) stop();
}

void ServerMetricsScraper::start() {
  loop_ = std::make_unique<Loop>(options_);
  auto first = first_round_.get_future();
  thread_ = std::thread([this] {
    Loop& loop = *loop_;
    net::co_spawn(loop.ioc, loop.run(first_round_), net::detached);
    loop.ioc.run();
  });
  first.wait();
}

metrics::ServerSummary ServerMetricsScraper::stop() {
  stopped_ = true;
  if (!thread_.joinable()) return aggregate_server_metrics({}, {});
  net::post(loop_->ioc, [loop = loop_.get()] {
    loop->stop = true;
    loop->timer.cancel();
  });
  thread_.join();
  std::vector<std::string> urls;
  for (const auto& source : options_.sources) urls.push_back(source.url.str());
  return aggregate_server_metrics(loop_->rounds, urls);
}

}  // namespace inferbench::server_metrics
