#pragma once
// Scraping the server's own Prometheus metrics (/metrics) during a load point, and reducing
// the scrapes to metrics::ServerSummary in one canonical set of names (vLLM V1 and V0 names,
// SGLang, TGI, llama.cpp; the mapping is in server_metrics_aggregate.cpp and docs/server-metrics.md).
//
// The scraper runs on its own thread with its own io_context, never on the workers' threads:
// one round (every source, in turn) at start(), one every `interval`, one at stop().
// Gauges are read from the rounds in between (during the load) only.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "http/url.hpp"
#include "metrics/server_summary.hpp"

namespace inferbench::server_metrics {

// One /metrics URL to read (one replica of the server).
struct MetricsSource {
  http::Url url;                                             // full URL, path included
  std::vector<std::pair<std::string, std::string>> headers;  // sent with each scrape (auth)
  bool insecure = false;                                     // skip TLS verification
};

struct ScrapeOptions {
  std::vector<MetricsSource> sources;
  Duration interval = std::chrono::seconds(5);  // between rounds (start and stop rounds always happen):
                                                // see scrape_interval_for
  Duration timeout = std::chrono::seconds(3);   // per scrape: connect + whole response
};

// What one scrape of one source kept: only the series the canonical mapping reads.
struct SourceScrape {
  bool ok = false;
  std::string error;               // why not ok ("HTTP 404 …", transport or parse error)
  std::string vendor = "unknown";  // the server software: vllm | sglang | tgi | llamacpp | unknown, from the names seen
  // series name → label key → value. The label key is the sorted labels without `le` as
  // "k=v" joined by '\x1f'; for `_bucket` series it ends with '\x1e' and the `le` text.
  std::map<std::string, std::map<std::string, double>> series;
};

// One scrape round: every source read once.
struct ScrapeRound {
  TimePoint time;                     // when the round started
  std::vector<SourceScrape> sources;  // in the order of ScrapeOptions::sources
  bool during_load = false;           // a periodic round: not the one at start() nor at stop()
};

// Parses an exposition body and keeps the series of interest. Never throws.
SourceScrape reduce_exposition(std::string_view body);

// Summarizes the rounds of one window (oldest first). `urls` name the sources, in order.
metrics::ServerSummary aggregate_server_metrics(const std::vector<ScrapeRound>& rounds,
                                                const std::vector<std::string>& urls);

// Where the q-quantile (q in [0, 1]) of cumulative buckets (upper bound, count; any order) lies:
// the bucket holding rank q·total, as (the bound below it, its bound]. Below the first bound the
// lower bound is 0 when that bound is positive (as Prometheus assumes), -inf otherwise; in the
// +Inf bucket the upper bound is +inf. Unknown (NaN, NaN) without +Inf or observations.
metrics::QuantileBounds bucket_bounds(double q, std::vector<std::pair<double, double>> buckets);

// The interval between scrape rounds for one load point, so that its gauges are sampled during
// the load whatever its length. `expected` is how long the load point should last (nullopt when
// it is not known in advance: a closed loop bounded by a request count). Known: a tenth of it
// (kRoundsPerLoad rounds), but not below kShortestInterval. Unknown: kIntervalUnknownLength. Never
// longer than `configured` (--scrape-interval), which stays the ceiling.
inline constexpr int kRoundsPerLoad = 10;
inline constexpr Duration kShortestInterval = std::chrono::milliseconds(250);
inline constexpr Duration kIntervalUnknownLength = std::chrono::milliseconds(500);
Duration scrape_interval_for(Duration configured, std::optional<Duration> expected);

// Scrapes the sources on its own thread for one load point. Used from the app thread only.
class ServerMetricsScraper {
 public:
  explicit ServerMetricsScraper(ScrapeOptions options);
  ~ServerMetricsScraper();  // stops and joins if still running
  ServerMetricsScraper(const ServerMetricsScraper&) = delete;
  ServerMetricsScraper& operator=(const ServerMetricsScraper&) = delete;

  // Starts the scrape thread; returns once the first round has completed (at most about
  // timeout × sources), so the window's baseline precedes the load.
  void start();
  // Takes a last round, joins the thread and summarizes the window. Call once, after start().
  metrics::ServerSummary stop();

  struct Loop;  // the scrape coroutine's state (server_metrics.cpp)

 private:
  ScrapeOptions options_;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  std::promise<void> first_round_;
  bool stopped_ = false;
};

}  // namespace inferbench::server_metrics
