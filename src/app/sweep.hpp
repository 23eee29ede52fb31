#pragma once
// The decisions of adaptive runs (docs/sweeps.md), as pure functions on load points' results so
// that they are tested without a server: `--sweep` (synchronous, throughput, then rates between
// them, stopped at the first over-saturated point) and `--slo-search` (the highest load that
// still meets the SLOs, by doubling then bisection).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/request_record.hpp"
#include "metrics/summary.hpp"

namespace inferbench::app {

enum class Spacing { Linear, Geometric };

// The open-loop rates of a sweep of `points` load points (>= 3) between the synchronous rate and
// the throughput rate, as GuideLLM's sweep: points - 2 rates, the first one step above `sync`, the
// last one `throughput`, each rounded to 4 significant digits. Empty when throughput <= sync (nothing lies between
// them) or either is not a positive finite number.
std::vector<double> sweep_rates(double sync, double throughput, std::size_t points, Spacing spacing);

// How fast the server ended requests relative to how fast they were scheduled: 1 / the
// least-squares slope of t_done against t_sched over the successful measured requests. A server
// that keeps up ends each request a latency after its scheduled time, whenever in the point it
// was scheduled: slope 1, ratio 1. One that does not builds a backlog: each request ends later
// after its scheduled time than the one before, and the ratio is its capacity over the rate
// (requests due every 1/r end every 1/mu: slope r/mu). The fit uses every request, so a short
// point's few slow or fast ends barely move it (a ratio of the first and last ends would). NaN
// with fewer than 2 successful requests.
// Built record by record (ServedRatio) as a load point runs, or over kept records (served_ratio).
class ServedRatio {
 public:
  void add(const metrics::RequestRecord& record);
  double value() const;

 private:
  std::optional<TimePoint> origin_;  // the first request's schedule: the sums keep their precision
  double n_ = 0, sx_ = 0, sy_ = 0, sxx_ = 0, sxy_ = 0;
};
double served_ratio(const std::vector<metrics::RequestRecord>& records);

// Whether an open-loop load point over-saturated the server (docs/sweeps.md, "Saturation test").
struct Saturation {
  double served = metrics::kNaN;     // ratio x scheduled: the rate the server ended requests at
  double scheduled = metrics::kNaN;  // the rate its schedule asked for (rate.scheduled)
  double ratio = metrics::kNaN;      // served_ratio of the point's records
  bool saturated = false;
  std::string reason;  // why it is saturated, in plain words ("" = not)
};

// The test: the point is over-saturated when fewer of its requests succeeded than the point's
// completeness threshold, when it was aborted, or when the server ended requests at less than
// `min_ratio` of the rate they were scheduled at (`ratio`, from served_ratio: the backlog grew
// during the point). Closed-loop points are never judged (their rate is what the server gives).
Saturation check_saturation(const metrics::LoadPointSummary& s, double ratio, double min_ratio);

nlohmann::json to_json(const Saturation& s);

// --slo-search's pass/fail of one probe: every SLO given, at the given percentile of its
// distribution, at most its objective; every request counted (the point is complete); and, for
// open-loop probes, no over-saturation (a rate the server does not keep up with is not met even
// when a short probe's latencies still look good).
struct SloVerdict {
  bool pass = false;
  std::vector<std::pair<std::string, double>> values;  // "ttft_ms" -> the percentile measured, per SLO given
  std::vector<std::string> reasons;                    // why it fails (empty when it passes)
};

// `percentile` is 50, 90, 95 or 99.
SloVerdict check_slo(const metrics::LoadPointSummary& s, const metrics::Slo& slo, int percentile,
                     const std::optional<Saturation>& saturation);

// The search itself: a state machine fed with each probe's result. From `start`, the load doubles
// while probes pass (or halves while they fail) until one pass and one fail bracket the answer;
// then the bracket is halved until hi - lo <= tolerance x lo (for whole loads also hi - lo <= 1),
// or until `max_probes` probes have run.
struct SearchOptions {
  double start = 1.0;
  double tolerance = 0.1;  // relative to the bracket's lower end
  std::size_t max_probes = 12;
  bool whole = false;  // concurrency: only whole numbers >= 1 are probed
  double min = 0.001;  // the lowest load probed when halving (whole: 1)
  double max = 1e6;    // the highest probed when doubling
};

struct Probe {
  double load = 0.0;
  bool pass = false;
};

class SloSearch {
 public:
  explicit SloSearch(SearchOptions options);
  // The next load to probe; nullopt once the search is over.
  std::optional<double> next() const;
  void record(double load, bool pass);

  const std::vector<Probe>& probes() const { return probes_; }
  // The highest load that passed (nullopt when none did) and the lowest that failed above it
  // (nullopt when none did: the answer is only a lower bound).
  std::optional<double> lo() const { return lo_; }
  std::optional<double> hi() const { return hi_; }
  // The bracket is within the tolerance (false: stopped by max_probes or the load limits).
  bool converged() const;
  // Why the search ended, in plain words (empty while it runs).
  std::string outcome() const;

 private:
  std::optional<double> candidate() const;
  SearchOptions options_;
  std::vector<Probe> probes_;
  std::optional<double> lo_;
  std::optional<double> hi_;
};

nlohmann::json to_json(const SloSearch& search);

}  // namespace inferbench::app
