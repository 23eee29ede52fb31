#pragma once
// Plain-data summary of one load point; every reporter and sink reads only this.
// Undefined numbers (no samples, zero-length window, 0/0) are NaN; reports write them as null.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/in_flight.hpp"
#include "metrics/request_record.hpp"
#include "metrics/sample_set.hpp"
#include "metrics/stats.hpp"

namespace inferbench::metrics {

// The load that was applied at this point (as configured).
struct LoadSpec {
  enum class Mode { Closed, Open };
  Mode mode = Mode::Closed;
  int concurrency = 0;               // closed: N virtual users; open: in-flight cap, 0 = none
  double rate = 0.0;                 // open: requested requests per second
  std::string arrival = "constant";  // open: constant | poisson | gamma
  double burstiness = 1.0;           // open, gamma: shape parameter
};

// Service-level objectives, in ms; a request is good when it succeeded and met every one given.
struct Slo {
  std::optional<double> ttft_ms;
  std::optional<double> tpot_ms;
  std::optional<double> itl_ms;  // bound on the largest ITL within the request
  std::optional<double> e2e_ms;
  std::optional<double> ntpot_ms;
  // True when at least one objective is set.
  bool any() const { return ttft_ms || tpot_ms || itl_ms || e2e_ms || ntpot_ms; }
};

// Request outcomes over the measured window (warm-up excluded from completed and failed).
struct RequestCounts {
  std::size_t completed = 0;
  std::size_t failed = 0;
  double failure_rate = kNaN;                  // failed / (completed + failed)
  std::size_t warmup = 0;                      // warm-up requests seen and excluded
  std::size_t cancelled = 0;                   // in flight when the run was interrupted (set by the caller)
  std::map<FailureKey, std::size_t> failures;  // failure → count (report::failure_label names it)
};

// Rates over the window W, counting successful requests only.
struct Throughput {
  double requests_per_s = kNaN;
  double input_tokens_per_s = kNaN;
  double output_tokens_per_s = kNaN;
  double total_tokens_per_s = kNaN;  // input + output
};

// Token totals over successful requests.
struct TokenTotals {
  std::int64_t input = 0;              // Σ in_i over requests whose in_i is known
  std::int64_t output = 0;             // Σ out_i over requests whose out_i is known
  std::int64_t cached = 0;             // Σ usage cached_tokens where reported
  std::size_t cached_reported = 0;     // requests whose usage carried cached_tokens
  std::size_t input_unknown = 0;       // requests with neither usage nor client prompt count
  std::size_t output_unknown = 0;      // requests with neither usage nor client output count
  std::size_t output_from_client = 0;  // out_i came from the client tokenizer, not usage
  std::size_t prompt_mismatches = 0;   // usage.prompt_tokens ≠ client count (both known)
  std::size_t prompt_compared = 0;     // requests with both usage.prompt_tokens and a client count
  std::int64_t prompt_difference = 0;  // Σ (usage.prompt_tokens − client count) over those (chat template)
  std::size_t usage_rejected = 0;      // requests whose usage was implausible and not used (check_usage)
  std::size_t over_max_tokens = 0;     // requests with out_i > max_tokens (the server gave more than asked)
};

// Latency distributions (ms) over successful measured requests.
struct Latencies {
  Distribution ttft_ms;
  Distribution tpot_ms;         // requests with out ≥ 2 only
  Distribution itl_ms;          // token-weighted samples pooled over requests
  Distribution inter_chunk_ms;  // raw chunk gaps pooled over requests
  Distribution e2e_ms;
  Distribution ntpot_ms;
  Distribution ttft_from_sched_ms;  // open loop only (reported when load.mode == Open)
  Distribution e2e_from_sched_ms;   // open loop only
  Distribution schedule_lag_ms;     // open loop only; over every sent request, failed ones too
};

// In-flight requests over the window (intervals [t_send, t_done) of measured requests).
struct MeasuredConcurrency {
  double mean = kNaN;  // time-weighted mean: Σ (t_done − t_send) / W
  double max = kNaN;   // largest number simultaneously in flight
};

// Open loop: requested vs achieved send rate (req/s).
struct RateComparison {
  double requested = kNaN;
  double scheduled = kNaN;  // (n − 1) / (last t_sched − first t_sched): what the schedule asked of these n
  double achieved = kNaN;   // (n − 1) / (last t_send − first t_send) over measured requests
};

// The client's self-check (metrics/self_check.hpp): did it keep the load it was asked to apply?
struct ClientCheck {
  double busiest_worker_cpu = kNaN;  // CPU time of the busiest worker thread / the load point's length
  bool limited = false;              // the numbers may describe the client rather than the server
  std::string reason;                // why it is limited (empty when not)
};

// Whether enough requests succeeded for the load point's numbers to compare with others.
struct Completeness {
  double success_rate = kNaN;     // completed / (completed + failed)
  double min_success_rate = 0.0;  // the threshold applied
  bool incomplete = false;        // success_rate below the threshold (or nothing attempted)
};

// Goodput against the given SLOs; fractions are over completed + failed.
struct Goodput {
  Slo slo;                                   // the objectives applied
  std::size_t good = 0;                      // requests that succeeded and met every SLO
  double requests_per_s = kNaN;              // good / W
  double slo_attainment = kNaN;              // good / (completed + failed)
  std::map<std::string, double> attainment;  // per SLO key ("ttft_ms", …): met / (completed+failed)
};

// Everything reported for one load point.
struct LoadPointSummary {
  LoadSpec load;
  bool interrupted = false;  // set by the caller when the run was stopped early
  std::string aborted;       // set by the caller when the circuit breaker ended it: why ("" = not)
  RequestCounts requests;
  double duration_s = kNaN;  // W = max(t_done) − min(t_send) over measured requests
  Throughput throughput;
  TokenTotals tokens;
  Latencies latency;
  MeasuredConcurrency concurrency;
  std::optional<RateComparison> rate;  // open loop only
  std::optional<Goodput> goodput;      // only when slo.any()
  ClientCheck client;                  // filled by metrics::assess
  Completeness completeness;           // filled by metrics::assess
};

// How a summary is built, beyond its load and SLOs.
struct SummaryOptions {
  std::size_t exact_samples = kDefaultExactSamples;  // entries per distribution kept exactly (SampleSet)
  // A bound on how long before the latest end seen a request's send can be when it is added
  // (InFlightPeak); nullopt = keep every interval until the end (any order of records).
  std::optional<Duration> in_flight_horizon;
};

// Builds one load point's summary record by record, as requests finish, in memory that does not
// grow with the run once every distribution has passed options.exact_samples (and, with a
// horizon, the concurrency sweep keeps only its last horizon's worth of requests).
class SummaryBuilder {
 public:
  SummaryBuilder(const LoadSpec& load, const Slo& slo, const SummaryOptions& options = {});

  // Adds one record (any order; warm-up records are counted, not used).
  void add(const RequestRecord& r);
  // The summary of every record added. Call once.
  LoadPointSummary finish();
  // The latest end among the records added (epoch when none).
  TimePoint last_done() const { return any_done_; }
  // The token-weighted ITL and the inter-chunk gaps of the successful measured records added:
  // the samples finish() describes (sorted by it), for a report that draws their CDFs.
  const SampleSet& itl_samples() const { return itl_; }
  const SampleSet& inter_chunk_samples() const { return gaps_; }

 private:
  LoadPointSummary s_;
  Slo slo_;
  bool open_;
  SampleSet ttft_, tpot_, itl_, gaps_, e2e_, ntpot_, ttft_sched_, e2e_sched_, lag_;
  InFlightPeak in_flight_;
  std::vector<WeightedSample> itl_scratch_;  // one record's ITL samples, capacity reused
  std::vector<double> gap_scratch_;
  std::size_t sent_ = 0;  // measured requests that were sent: the window, rate and concurrency are theirs
  TimePoint first_send_ = TimePoint::max();
  TimePoint last_send_ = TimePoint::min();
  TimePoint first_sched_ = TimePoint::max();
  TimePoint last_sched_ = TimePoint::min();
  TimePoint last_done_ = TimePoint::min();
  TimePoint any_done_{};  // warm-up included
  // Σ (t_done − t_send): the integral of the in-flight count. Summed in integer ticks so the
  // summary does not depend on the records' order (a merge of shards sums them in another).
  Duration busy_{};
  std::size_t good_ = 0;
  std::map<std::string, std::size_t> met_;
};

// Summarizes the records of one load point (any order; warm-up records are counted, not used).
LoadPointSummary summarize(const std::vector<RequestRecord>& records, const LoadSpec& load, const Slo& slo,
                           const SummaryOptions& options = {});

}  // namespace inferbench::metrics
