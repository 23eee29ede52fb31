#include "metrics/summary.hpp"

#include <algorithm>
#include <utility>

#include "metrics/request_metrics.hpp"

namespace inferbench::metrics {
namespace {

// a / b, or NaN when b is not positive (no NaN or inf ever leaks as a number).
double ratio(double a, double b) { return b > 0.0 ? a / b : kNaN; }

// Whether a metric meets its objective. `undefined_meets` says how an undefined metric counts:
// TPOT and ITL are legitimately undefined for one-token / one-chunk outputs and cannot be
// violated; TTFT, E2E and NTPOT undefined on a success means they cannot be verified.
bool meets(const std::optional<double>& slo, const std::optional<double>& value, bool undefined_meets) {
  if (!slo) return true;
  if (!value) return undefined_meets;
  return *value <= *slo;
}

struct SloCheck {
  const char* key;
  std::optional<double> Slo::*slo;
  std::optional<double> RequestMetrics::*value;
  bool undefined_meets;
};

constexpr SloCheck kSloChecks[] = {
    {"ttft_ms", &Slo::ttft_ms, &RequestMetrics::ttft_ms, false},
    {"tpot_ms", &Slo::tpot_ms, &RequestMetrics::tpot_ms, true},
    {"itl_ms", &Slo::itl_ms, &RequestMetrics::max_itl_ms, true},
    {"e2e_ms", &Slo::e2e_ms, &RequestMetrics::e2e_ms, false},
    {"ntpot_ms", &Slo::ntpot_ms, &RequestMetrics::ntpot_ms, false},
};

// Largest number of half-open intervals [start, end) that overlap at one instant.
double max_overlap(std::vector<std::pair<TimePoint, int>>& events) {
  // At equal times the end (−1) sorts before the start (+1): touching intervals do not overlap.
  std::sort(events.begin(), events.end());
  int in_flight = 0;
  int peak = 0;
  for (const auto& e : events) {
    in_flight += e.second;
    peak = std::max(peak, in_flight);
  }
  return static_cast<double>(peak);
}

}  // namespace

LoadPointSummary summarize(const std::vector<RequestRecord>& records, const LoadSpec& load, const Slo& slo) {
  LoadPointSummary s;
  s.load = load;
  const bool open = load.mode == LoadSpec::Mode::Open;

  std::vector<WeightedSample> itl;
  std::vector<double> ttft, tpot, gaps, e2e, ntpot, ttft_sched, e2e_sched, lag;
  std::vector<std::pair<TimePoint, int>> events;
  events.reserve(2 * records.size());
  std::size_t sent = 0;  // measured requests that were sent: the window, rate and concurrency are theirs
  TimePoint first_send = TimePoint::max();
  TimePoint last_send = TimePoint::min();
  TimePoint first_sched = TimePoint::max();
  TimePoint last_sched = TimePoint::min();
  TimePoint last_done = TimePoint::min();
  // Σ (t_done − t_send): the integral of the in-flight count. Summed in integer ticks so the
  // summary does not depend on the records' order (a merge of shards sums them in another).
  Duration busy{};
  std::size_t good = 0;
  std::map<std::string, std::size_t> met;

  for (const RequestRecord& r : records) {
    if (r.warmup) {
      ++s.requests.warmup;
      continue;
    }
    // A request that was never sent (refused connection, DNS, TLS) is a failure, but it has
    // no place in the window or the concurrency: it never loaded the server.
    if (r.sent) {
      ++sent;
      first_send = std::min(first_send, *r.sent);
      last_send = std::max(last_send, *r.sent);
      last_done = std::max(last_done, r.done);
      busy += r.done - *r.sent;
      events.emplace_back(*r.sent, +1);
      events.emplace_back(r.done, -1);
      first_sched = std::min(first_sched, r.scheduled);
      last_sched = std::max(last_sched, r.scheduled);
      // The client's lateness is the client's, whatever the server answered.
      if (open) lag.push_back(to_ms(*r.sent - r.scheduled));
    }
    if (!r.ok()) {
      ++s.requests.failed;
      ++s.requests.failures[r.failure_key()];
      continue;
    }
    ++s.requests.completed;
    const RequestMetrics m = derive(r);

    TokenTotals& t = s.tokens;
    if (m.input_tokens) {
      t.input += *m.input_tokens;
    } else {
      ++t.input_unknown;
    }
    if (m.output_tokens) {
      t.output += *m.output_tokens;
      if (!m.output_tokens_from_usage) ++t.output_from_client;
    } else {
      ++t.output_unknown;
    }
    const bool usage_trusted = m.usage_problem == UsageProblem::None;
    if (!usage_trusted) ++t.usage_rejected;
    if (m.over_max_tokens) ++t.over_max_tokens;
    if (usage_trusted && r.usage.cached_tokens) {
      t.cached += *r.usage.cached_tokens;
      ++t.cached_reported;
    }
    if (usage_trusted && r.usage.prompt_tokens && r.client_prompt_tokens >= 0) {
      ++t.prompt_compared;
      t.prompt_difference += *r.usage.prompt_tokens - r.client_prompt_tokens;
      if (*r.usage.prompt_tokens != r.client_prompt_tokens) ++t.prompt_mismatches;
    }

    if (m.ttft_ms) ttft.push_back(*m.ttft_ms);
    if (m.tpot_ms) tpot.push_back(*m.tpot_ms);
    if (m.e2e_ms) e2e.push_back(*m.e2e_ms);
    if (m.ntpot_ms) ntpot.push_back(*m.ntpot_ms);
    append_itl_ms(r, m, itl);
    append_inter_chunk_ms(r, gaps);
    if (open) {
      if (m.ttft_from_sched_ms) ttft_sched.push_back(*m.ttft_from_sched_ms);
      if (m.e2e_from_sched_ms) e2e_sched.push_back(*m.e2e_from_sched_ms);
    }

    if (slo.any()) {
      bool all = true;
      for (const SloCheck& c : kSloChecks) {
        if (!(slo.*c.slo)) continue;
        if (meets(slo.*c.slo, m.*c.value, c.undefined_meets)) {
          ++met[c.key];
        } else {
          all = false;
        }
      }
      if (all) ++good;
    }
  }

  const double attempted = static_cast<double>(s.requests.completed + s.requests.failed);
  s.requests.failure_rate = ratio(static_cast<double>(s.requests.failed), attempted);

  const double window_s = sent > 0 ? to_s(last_done - first_send) : kNaN;
  s.duration_s = window_s;
  const double completed = static_cast<double>(s.requests.completed);
  const auto in = static_cast<double>(s.tokens.input);
  const auto out = static_cast<double>(s.tokens.output);
  s.throughput.requests_per_s = ratio(completed, window_s);
  // A sum that misses some requests' tokens is not a rate: unknown, never a smaller number
  // (a server without usage, run without --tokenizer, used to show "out tok/s 0.0").
  s.throughput.input_tokens_per_s = s.tokens.input_unknown > 0 ? kNaN : ratio(in, window_s);
  s.throughput.output_tokens_per_s = s.tokens.output_unknown > 0 ? kNaN : ratio(out, window_s);
  s.throughput.total_tokens_per_s =
      s.tokens.input_unknown + s.tokens.output_unknown > 0 ? kNaN : ratio(in + out, window_s);

  Latencies& l = s.latency;
  l.ttft_ms = describe(std::move(ttft));
  l.tpot_ms = describe(std::move(tpot));
  l.itl_ms = describe_weighted(std::move(itl));
  l.inter_chunk_ms = describe(std::move(gaps));
  l.e2e_ms = describe(std::move(e2e));
  l.ntpot_ms = describe(std::move(ntpot));
  if (open) {
    l.ttft_from_sched_ms = describe(std::move(ttft_sched));
    l.e2e_from_sched_ms = describe(std::move(e2e_sched));
    l.schedule_lag_ms = describe(std::move(lag));
  }

  if (sent > 0) {
    s.concurrency.mean = ratio(to_s(busy), window_s);
    s.concurrency.max = max_overlap(events);
  }

  if (open) {
    RateComparison rc;
    rc.requested = load.rate > 0.0 ? load.rate : kNaN;
    if (sent >= 2) {
      rc.achieved = ratio(static_cast<double>(sent - 1), to_s(last_send - first_send));
      rc.scheduled = ratio(static_cast<double>(sent - 1), to_s(last_sched - first_sched));
    }
    s.rate = rc;
  }

  if (slo.any()) {
    Goodput g;
    g.slo = slo;
    g.good = good;
    g.requests_per_s = ratio(static_cast<double>(good), window_s);
    g.slo_attainment = ratio(static_cast<double>(good), attempted);
    for (const SloCheck& c : kSloChecks) {
      if (slo.*c.slo) g.attainment[c.key] = ratio(static_cast<double>(met[c.key]), attempted);
    }
    s.goodput = std::move(g);
  }
  return s;
}

}  // namespace inferbench::metrics
