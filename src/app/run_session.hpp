#pragma once
// One `inferbench run` in progress: measures load points one at a time and keeps what they
// produced (summary.json, the summaries, the run's stop conditions). A fixed list of load points
// runs through it in order; a sweep or an SLO search (app/sweep.hpp) chooses each next point
// from the results of the earlier ones.
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/client_error_stop.hpp"
#include "app/results_writer.hpp"
#include "app/run_config.hpp"
#include "app/sharding.hpp"
#include "launch/launched_server.hpp"
#include "live/live_metrics.hpp"
#include "loadgen/http_target_options.hpp"
#include "metrics/summary.hpp"
#include "report/results_dir.hpp"
#include "workload/workload.hpp"

namespace inferbench::app {

// What a measured load point adds beyond its summary, for the adaptive runs' decisions.
struct Measured {
  const metrics::LoadPointSummary* summary = nullptr;  // points().back()
  double served_ratio = metrics::kNaN;                 // app::served_ratio of its records
};

class RunSession {
 public:
  // Every reference must outlive the session; writer, live_metrics and launched may be null.
  RunSession(const RunConfig& config, const loadgen::HttpTargetOptions& target, const workload::Workload& workload,
             const Sharding& sharding, ResultsWriter* writer, live::LiveMetrics* live_metrics,
             launch::LaunchedServer* launched, nlohmann::json& summary);

  // Runs `point` as the run's next load point: its workload, scrape, records, summary (appended
  // to summary.json and printed). nullopt when the run must end with exit 1 (the reason is
  // printed): its records cannot be written, or its first requests all failed the same way.
  std::optional<Measured> measure(const PlannedPoint& point);

  // Merges `extra` into the last load point's entry of summary.json and writes the file again.
  void annotate_last(const nlohmann::json& extra);
  // Writes summary.json (and summary.csv) as they are now, when there is an output directory.
  void write_summary();

  bool stop() const { return interrupted_ || aborted_run_; }  // no further load point may run
  bool interrupted() const { return interrupted_; }
  bool aborted_run() const { return aborted_run_; }
  const std::vector<metrics::LoadPointSummary>& points() const { return points_; }
  // Per load point with successful measured requests, its chunk latencies from its summary's
  // samples: for report.html, which would otherwise read every chunk time back from
  // requests.jsonl to compute the same (report::write_run_html_report). Kept only with a writer.
  const report::ChunkLatenciesByPoint& chunk_latencies() const { return chunk_latencies_; }
  // load.stages: the summary of every stage's requests together (load mode left closed). Call
  // once, after the last stage.
  metrics::LoadPointSummary finish_all_stages() { return all_stages_.finish(); }

 private:
  const RunConfig& config_;
  const loadgen::HttpTargetOptions& target_;
  const workload::Workload& workload_;
  const Sharding& sharding_;
  ResultsWriter* writer_;
  live::LiveMetrics* live_metrics_;
  launch::LaunchedServer* launched_;
  nlohmann::json& summary_;
  std::vector<metrics::LoadPointSummary> points_;
  report::ChunkLatenciesByPoint chunk_latencies_;
  bool interrupted_ = false;
  bool warned_server_ = false;          // one warning per run when /metrics cannot be read
  ClientErrorStop client_errors_;       // the first requests of the run, across load points
  bool aborted_run_ = false;            // a load point was aborted and --on-abort is stop
  metrics::SummaryBuilder all_stages_;  // load.stages: every stage's requests, reported together too
};

}  // namespace inferbench::app
