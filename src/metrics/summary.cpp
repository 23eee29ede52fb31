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

}  // namespace

SummaryBuilder::SummaryBuilder(const LoadSpec& load, const Slo& slo, const SummaryOptions& options)
    : slo_(slo),
      open_(load.mode == LoadSpec::Mode::Open),
      ttft_(options.exact_samples),
      tpot_(options.exact_samples),
      itl_(options.exact_samples),
      gaps_(options.exact_samples),
      e2e_(options.exact_samples),
      ntpot_(options.exact_samples),
      ttft_sched_(options.exact_samples),
      e2e_sched_(options.exact_samples),
      lag_(options.exact_samples),
      in_flight_(options.in_flight_horizon) {
  s_.load = load;
}

void SummaryBuilder::add(const RequestRecord& r) {
  any_done_ = std::max(any_done_, r.done);
  if (r.warmup) {
    ++s_.requests.warmup;
    return;
  }
  // A request that was never sent (refused connection, DNS, TLS) is a failure, but it has
  // no place in the window or the concurrency: it never loaded the server.
  if (r.sent) {
    ++sent_;
    first_send_ = std::min(first_send_, *r.sent);
    last_send_ = std::max(last_send_, *r.sent);
    last_done_ = std::max(last_done_, r.done);
    busy_ += r.done - *r.sent;
    in_flight_.add(*r.sent, r.done);
    first_sched_ = std::min(first_sched_, r.scheduled);
    last_sched_ = std::max(last_sched_, r.scheduled);
    // The client's lateness is the client's, whatever the server answered.
    if (open_) lag_.add(to_ms(*r.sent - r.scheduled));
  }
  if (!r.ok()) {
    ++s_.requests.failed;
    ++s_.requests.failures[r.failure_key()];
    return;
  }
  ++s_.requests.completed;
  const RequestMetrics m = derive(r);

  TokenTotals& t = s_.tokens;
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

  if (m.ttft_ms) ttft_.add(*m.ttft_ms);
  if (m.tpot_ms) tpot_.add(*m.tpot_ms);
  if (m.e2e_ms) e2e_.add(*m.e2e_ms);
  if (m.ntpot_ms) ntpot_.add(*m.ntpot_ms);
  itl_scratch_.clear();
  append_itl_ms(r, m, itl_scratch_);
  for (const WeightedSample& x : itl_scratch_) itl_.add(x.value, x.weight);
  gap_scratch_.clear();
  append_inter_chunk_ms(r, gap_scratch_);
  for (double gap : gap_scratch_) gaps_.add(gap);
  if (open_) {
    if (m.ttft_from_sched_ms) ttft_sched_.add(*m.ttft_from_sched_ms);
    if (m.e2e_from_sched_ms) e2e_sched_.add(*m.e2e_from_sched_ms);
  }

  if (slo_.any()) {
    bool all = true;
    for (const SloCheck& c : kSloChecks) {
      if (!(slo_.*c.slo)) continue;
      if (meets(slo_.*c.slo, m.*c.value, c.undefined_meets)) {
        ++met_[c.key];
      } else {
        all = false;
      }
    }
    if (all) ++good_;
  }
}

LoadPointSummary SummaryBuilder::finish() {
  LoadPointSummary& s = s_;
  const LoadSpec& load = s.load;
  const double attempted = static_cast<double>(s.requests.completed + s.requests.failed);
  s.requests.failure_rate = ratio(static_cast<double>(s.requests.failed), attempted);

  const double window_s = sent_ > 0 ? to_s(last_done_ - first_send_) : kNaN;
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
  l.ttft_ms = ttft_.describe();
  l.tpot_ms = tpot_.describe();
  l.itl_ms = itl_.describe();
  l.inter_chunk_ms = gaps_.describe();
  l.e2e_ms = e2e_.describe();
  l.ntpot_ms = ntpot_.describe();
  if (open_) {
    l.ttft_from_sched_ms = ttft_sched_.describe();
    l.e2e_from_sched_ms = e2e_sched_.describe();
    l.schedule_lag_ms = lag_.describe();
  }

  if (sent_ > 0) {
    s.concurrency.mean = ratio(to_s(busy_), window_s);
    s.concurrency.max = in_flight_.peak();
  }

  if (open_) {
    RateComparison rc;
    rc.requested = load.rate > 0.0 ? load.rate : kNaN;
    if (sent_ >= 2) {
      rc.achieved = ratio(static_cast<double>(sent_ - 1), to_s(last_send_ - first_send_));
      rc.scheduled = ratio(static_cast<double>(sent_ - 1), to_s(last_sched_ - first_sched_));
    }
    s.rate = rc;
  }

  if (slo_.any()) {
    Goodput g;
    g.slo = slo_;
    g.good = good_;
    g.requests_per_s = ratio(static_cast<double>(good_), window_s);
    g.slo_attainment = ratio(static_cast<double>(good_), attempted);
    for (const SloCheck& c : kSloChecks) {
      if (slo_.*c.slo) g.attainment[c.key] = ratio(static_cast<double>(met_[c.key]), attempted);
    }
    s.goodput = std::move(g);
  }
  return std::move(s_);
}

LoadPointSummary summarize(const std::vector<RequestRecord>& records, const LoadSpec& load, const Slo& slo,
                           const SummaryOptions& options) {
  SummaryBuilder builder(load, slo, options);
  for (const RequestRecord& r : records) builder.add(r);
  return builder.finish();
}

}  // namespace inferbench::metrics
