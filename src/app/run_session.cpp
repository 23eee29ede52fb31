#include "app/run_session.hpp"

#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "app/signals.hpp"
#include "app/sweep.hpp"
#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "metrics/self_check.hpp"
#include "protocol/openai.hpp"
#include "report/csv.hpp"
#include "report/json.hpp"
#include "report/server_metrics_table.hpp"
#include "report/table.hpp"
#include "schedule/schedule.hpp"
#include "server_metrics/scraper.hpp"

namespace inferbench::app {

namespace {

// How long a load point should last, to pace the scraper (nullopt when not known in advance).
std::optional<Duration> expected_length(const PlannedPoint& point, const loadgen::LoadPlan& plan) {
  // Open loop: at least until the last request's intended send.
  if (!plan.offsets.empty()) return plan.offsets.back();
  // Closed loop bounded by time alone (after the ramp); with a request count it may end sooner.
  if (point.duration && point.num_requests == 0) return plan.ramp_up + *point.duration;
  return std::nullopt;
}

// The progress line: rewritten in place on a terminal, a plain line every few seconds otherwise.
class Progress {
 public:
  Progress(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO) != 0) {}
  Duration interval() const { return tty_ ? std::chrono::milliseconds(500) : std::chrono::seconds(5); }
  void update(const loadgen::LiveStats& s, std::size_t total) {
    const double elapsed = s.first_sent == TimePoint{} ? 0.0 : to_s(Clock::now() - s.first_sent);
    const double rps = elapsed > 0 ? static_cast<double>(s.completed) / elapsed : 0.0;
    const double tps = elapsed > 0 ? static_cast<double>(s.output_tokens) / elapsed : 0.0;
    const std::string done =
        total > 0 ? fmt::format("{}/{}", s.completed + s.failed, total) : fmt::format("{}", s.completed + s.failed);
    const std::string line = fmt::format("[{}] {} done  {:.2f} req/s  {:.0f} out tok/s  p50 TTFT {:.1f} ms  {} errors",
                                         label_, done, rps, tps, s.ttft_p50_ms, s.failed);
    if (tty_) {
      fmt::print(stderr, "\r{}\x1b[K", line);
      drawn_ = true;
    } else {
      fmt::print(stderr, "{}\n", line);
    }
    std::fflush(stderr);
  }
  void clear() {
    if (drawn_) fmt::print(stderr, "\r\x1b[K");
    drawn_ = false;
  }

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
};

}  // namespace

RunSession::RunSession(const RunConfig& config, const loadgen::HttpTargetOptions& target,
                       const workload::Workload& workload, const Sharding& sharding, ResultsWriter* writer,
                       live::LiveMetrics* live_metrics, launch::LaunchedServer* launched, nlohmann::json& summary)
    : config_(config),
      target_(target),
      workload_(workload),
      sharding_(sharding),
      writer_(writer),
      live_metrics_(live_metrics),
      launched_(launched),
      summary_(summary),
      all_stages_(metrics::LoadSpec{}, config.slo, config.summary) {}

std::optional<Measured> RunSession::measure(const PlannedPoint& point) {
  const std::size_t i = points_.size();
  const RunConfig& config = config_;
  ResultsWriter* writer = writer_;
  live::LiveMetrics* live_metrics = live_metrics_;
  launch::LaunchedServer* launched = launched_;
  ClientErrorStop& client_errors = client_errors_;
  // Fresh prompts for every load point: prompts an earlier point sent would hit the
  // server's prefix cache and flatter the later points.
  const std::size_t distinct = std::clamp<std::size_t>(point.num_requests + config.warmup, 1, 10000);
  const auto specs = workload_.build(distinct, config.seed ^ (i * 0x9E3779B97F4A7C15ull));
  const loadgen::HttpTargets targets(target_, specs);  // every request encoded here, before the run
  // What the workload settings built (source, exactness, canonical lengths) joins them.
  if (i == 0) summary_["config"]["workload"].update(workload_.describe());
  loadgen::LoadPlan plan;
  plan.load = point.load;
  plan.num_requests = point.num_requests;
  plan.warmup = config.warmup;
  plan.duration = point.duration;
  plan.workers = config.workers;
  plan.abort_after = config.abort_after;
  plan.ramp_up = config.ramp_up;
  if (config.workload.tokenizer) plan.output_tokenizer = &*config.workload.tokenizer;
  plan.shard = sharding_.shard;
  if (point.load.mode == metrics::LoadSpec::Mode::Open) {
    const schedule::RateSpec rate{point.load.rate, point.arrival, point.load.burstiness};
    plan.offsets = schedule::make_offsets(rate, point.num_requests + config.warmup, config.seed + i);
  }
  Progress progress(report::load_label(point.load));
  loadgen::RunHooks hooks;
  if (live_metrics) live_metrics->begin_load_point(i, report::load_label(point.load));
  // The summary is built as records arrive, and none is kept: memory stays flat however long
  // the point runs (metrics::SummaryBuilder).
  metrics::SummaryBuilder builder(point.load, config.slo, config.summary);
  ServedRatio served;
  hooks.keep_records = false;
  hooks.on_record = [&, writer, live_metrics, i](const metrics::RequestRecord& r) {
    if (writer) writer->write_request(i, r);
    if (live_metrics) live_metrics->record(r);
    client_errors.observe(r);
    if (r.failure == metrics::Failure::Cancelled) return;  // in flight when interrupted: not a result
    builder.add(r);
    served.add(r);
    if (config.staged) all_stages_.add(r);
  };
  hooks.on_batch_end = [writer] {
    if (writer) writer->flush();
  };
  // A run that cannot keep its records stops: what it measures would be lost. So does one
  // whose first requests all got the same client error: the rest would only repeat it.
  hooks.stop_requested = [writer, &client_errors, launched] {
    return stop_requested() || (writer && writer->write_error()) || client_errors.triggered() ||
           (launched && launched->exited().has_value());
  };
  // The live metrics' in-flight gauge is refreshed every 0.5 s; the progress line keeps its pace.
  hooks.on_progress = [&progress, live_metrics, printed = Clock::now()](const loadgen::LiveStats& s,
                                                                        std::size_t total) mutable {
    if (live_metrics) live_metrics->set_in_flight(s.in_flight);
    if (Clock::now() - printed + std::chrono::milliseconds(100) < progress.interval()) return;
    progress.update(s, total);
    printed = Clock::now();
  };
  hooks.progress_interval =
      live_metrics ? std::min<Duration>(progress.interval(), std::chrono::milliseconds(500)) : progress.interval();

  std::unique_ptr<server_metrics::ServerMetricsScraper> scraper;
  if (config.scrape_server) {
    server_metrics::ScrapeOptions options = scrape_options(config, target_);
    options.interval = server_metrics::scrape_interval_for(config.scrape_interval, expected_length(point, plan));
    scraper = std::make_unique<server_metrics::ServerMetricsScraper>(std::move(options));
    scraper->start();
  }
  if (sharding_.start_at && i == 0) plan.start = start_instant(*sharding_.start_at);
  loadgen::LoadResult result = loadgen::run_load(targets, specs, plan, hooks);
  std::optional<metrics::ServerSummary> server;
  if (scraper) server = scraper->stop();
  progress.clear();
  if (client_errors.triggered()) {
    fmt::print(stderr, "inferbench: the first {} requests to {}{} all failed: {}\n", ClientErrorStop::kFirst,
               target_.client.url.str(), protocol::path_for(target_.api), client_errors.detail());
    return std::nullopt;
  }
  if (writer) {
    if (const auto error = writer->write_error()) {
      fmt::print(stderr, "inferbench: {}: the run's records are lost, so it stops (exit 1)\n", *error);
      return std::nullopt;
    }
  }
  interrupted_ = result.interrupted;
  metrics::LoadPointSummary s = builder.finish();
  if (writer && s.requests.completed > 0) {  // the statistics are the summary's, already described
    chunk_latencies_.emplace(i, report::ChunkLatencies{report::cdf_points(builder.itl_samples()),
                                                       report::cdf_points(builder.inter_chunk_samples()),
                                                       s.latency.itl_ms, s.latency.inter_chunk_ms});
  }
  s.interrupted = result.interrupted;
  s.requests.cancelled = result.cancelled;
  s.aborted = result.aborted;
  metrics::assess(s, result.busiest_worker_cpu, config.min_success_rate);
  if (live_metrics) live_metrics->end_load_point(result.busiest_worker_cpu, s.client.limited);
  nlohmann::json point_json = report::to_json(s);
  if (const auto ratio = workload_.intended_cache_ratio()) point_json["workload"] = {{"intended_cache_ratio", *ratio}};
  if (server) {
    point_json["server"] = report::to_json(*server);
    if (!server->available && !warned_server_) {
      fmt::print(stderr, "inferbench: warning: server metrics unavailable ({}); the run continues without them\n",
                 server->reason);
      warned_server_ = true;
    }
  }
  summary_["runs"].push_back(std::move(point_json));  // "runs": the file format's name for load points
  summary_["interrupted"] = interrupted_;
  points_.push_back(std::move(s));
  write_summary();
  if (!result.aborted.empty()) {
    fmt::print(stderr, "inferbench: {} aborted: {}{}\n", report::load_label(point.load), result.aborted,
               config.stop_on_abort ? "; the run stops (--on-abort continue goes on)" : "");
    aborted_run_ = aborted_run_ || config.stop_on_abort;
  }
  if (!config.json) {
    fmt::print("{}", report::format_table(points_.back()));
    if (server) fmt::print("{}", report::format_server_table(*server));
    fmt::print("\n");
    std::fflush(stdout);
  }
  return Measured{&points_.back(), served.value()};
}

void RunSession::annotate_last(const nlohmann::json& extra) {
  if (summary_["runs"].empty()) return;
  summary_["runs"].back().update(extra);
  write_summary();
}

void RunSession::write_summary() {
  if (writer_) writer_->write_summary(summary_, report::to_csv(points_));
}

}  // namespace inferbench::app
