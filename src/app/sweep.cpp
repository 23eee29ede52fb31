#include "app/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace inferbench::app {

namespace {

bool positive(double v) { return std::isfinite(v) && v > 0.0; }

double round_rate(double r) {
  const double scale = std::pow(10.0, 3 - static_cast<int>(std::floor(std::log10(r))));
  return std::round(r * scale) / scale;
}

// null for NaN: JSON has no NaN, and the other reporters write undefined numbers as null too.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

double at_percentile(const metrics::Distribution& d, int percentile) {
  switch (percentile) {
    case 50: return d.p50;
    case 90: return d.p90;
    case 95: return d.p95;
    default: return d.p99;
  }
}

}  // namespace

std::vector<double> sweep_rates(double sync, double throughput, std::size_t points, Spacing spacing) {
  std::vector<double> rates;
  if (points < 3 || !positive(sync) || !positive(throughput) || throughput <= sync) return rates;
  const std::size_t n = points - 2;
  for (std::size_t k = 1; k <= n; ++k) {
    const double f = static_cast<double>(k) / static_cast<double>(n);
    rates.push_back(spacing == Spacing::Linear ? sync + (throughput - sync) * f
                                               : sync * std::pow(throughput / sync, f));
  }
  // 4 significant digits: rates people can read in a table and type again (--rate), close enough
  // to the plan for a rate that is itself measured with more noise than that.
  for (double& r : rates) r = round_rate(r);
  rates.back() = round_rate(throughput);
  return rates;
}

void ServedRatio::add(const metrics::RequestRecord& r) {
  if (r.warmup || !r.ok()) return;
  if (!origin_) origin_ = r.scheduled;
  const double x = to_s(r.scheduled - *origin_);
  const double y = to_s(r.done - *origin_);
  n_ += 1;
  sx_ += x;
  sy_ += y;
  sxx_ += x * x;
  sxy_ += x * y;
}

double ServedRatio::value() const {
  const double var = n_ * sxx_ - sx_ * sx_;
  if (n_ < 2 || !(var > 0)) return metrics::kNaN;
  const double slope = (n_ * sxy_ - sx_ * sy_) / var;
  return slope > 0 ? 1.0 / slope : metrics::kNaN;
}

double served_ratio(const std::vector<metrics::RequestRecord>& records) {
  ServedRatio ratio;
  for (const auto& r : records) ratio.add(r);
  return ratio.value();
}

Saturation check_saturation(const metrics::LoadPointSummary& s, double ratio, double min_ratio) {
  Saturation out;
  if (s.load.mode != metrics::LoadSpec::Mode::Open) return out;
  out.scheduled = s.rate && positive(s.rate->scheduled) ? s.rate->scheduled : s.load.rate;
  out.ratio = ratio;
  out.served = ratio * out.scheduled;
  if (!s.aborted.empty()) {
    out.reason = "aborted: " + s.aborted;
  } else if (s.completeness.incomplete) {
    out.reason = fmt::format("only {:.1f} % of its requests succeeded", s.completeness.success_rate * 100.0);
  } else if (!std::isfinite(out.ratio)) {
    out.reason = "too few requests succeeded to measure the rate they were served at";
  } else if (out.ratio < min_ratio) {
    out.reason = fmt::format("served {:.2f} req/s of the {:.2f} req/s scheduled ({:.0f} % < {:.0f} %)", out.served,
                             out.scheduled, out.ratio * 100.0, min_ratio * 100.0);
  }
  out.saturated = !out.reason.empty();
  return out;
}

nlohmann::json to_json(const Saturation& s) {
  return {{"served_requests_per_s", number(s.served)},
          {"scheduled_requests_per_s", number(s.scheduled)},
          {"served_ratio", number(s.ratio)},
          {"saturated", s.saturated},
          {"reason", s.reason}};
}

SloVerdict check_slo(const metrics::LoadPointSummary& s, const metrics::Slo& slo, int percentile,
                     const std::optional<Saturation>& saturation) {
  SloVerdict v;
  const metrics::Latencies& l = s.latency;
  const std::pair<const std::optional<double>*, std::pair<const char*, const metrics::Distribution*>> objectives[] = {
      {&slo.ttft_ms, {"ttft_ms", &l.ttft_ms}},
      {&slo.tpot_ms, {"tpot_ms", &l.tpot_ms}},
      {&slo.itl_ms, {"itl_ms", &l.itl_ms}},
      {&slo.e2e_ms, {"e2e_ms", &l.e2e_ms}},
      {&slo.ntpot_ms, {"ntpot_ms", &l.ntpot_ms}}};
  for (const auto& [objective, metric] : objectives) {
    if (!*objective) continue;
    const double value = at_percentile(*metric.second, percentile);
    v.values.emplace_back(metric.first, value);
    if (!std::isfinite(value)) {
      v.reasons.push_back(fmt::format("no {} measured", metric.first));
    } else if (value > **objective) {
      v.reasons.push_back(fmt::format("p{} {} {:.1f} > {}", percentile, metric.first, value, **objective));
    }
  }
  if (s.completeness.incomplete) {
    v.reasons.push_back(fmt::format("only {:.1f} % of its requests succeeded", s.completeness.success_rate * 100.0));
  }
  if (!s.aborted.empty()) v.reasons.push_back("aborted: " + s.aborted);
  if (saturation && saturation->saturated && s.aborted.empty() && !s.completeness.incomplete) {
    v.reasons.push_back("over-saturated: " + saturation->reason);
  }
  v.pass = v.reasons.empty();
  return v;
}

SloSearch::SloSearch(SearchOptions options) : options_(options) {
  if (options_.whole) {
    options_.min = std::max(1.0, std::ceil(options_.min));
    options_.max = std::floor(options_.max);
  }
}

std::optional<double> SloSearch::next() const {
  if (probes_.size() >= options_.max_probes) return std::nullopt;
  return candidate();
}

std::optional<double> SloSearch::candidate() const {
  const auto fit = [this](double x) {
    if (options_.whole) x = std::floor(x);
    return std::clamp(x, options_.min, options_.max);
  };
  if (probes_.empty()) return fit(options_.start);
  if (lo_ && hi_) {
    if (converged()) return std::nullopt;
    const double mid = fit((*lo_ + *hi_) / 2.0);
    if (mid <= *lo_ || mid >= *hi_) return std::nullopt;  // nothing left between them
    return mid;
  }
  if (lo_) {  // every probe passed: double until one fails
    if (*lo_ >= options_.max) return std::nullopt;
    return fit(*lo_ * 2.0);
  }
  // every probe failed: halve until one passes
  if (*hi_ <= options_.min) return std::nullopt;
  const double half = fit(*hi_ / 2.0);
  return half < *hi_ ? std::optional<double>(half) : std::nullopt;
}

void SloSearch::record(double load, bool pass) {
  probes_.push_back({load, pass});
  // A pass above a failure (or a failure below a pass) is noise at the edge; the bracket keeps
  // its ends ordered by taking the closest pass below the lowest failure.
  if (pass) {
    if (!hi_ || load < *hi_) lo_ = std::max(lo_.value_or(load), load);
  } else {
    hi_ = std::min(hi_.value_or(load), load);
    if (lo_ && *lo_ >= *hi_) lo_.reset();
  }
}

bool SloSearch::converged() const {
  if (!lo_ || !hi_) return false;
  const double width = *hi_ - *lo_;
  return width <= options_.tolerance * *lo_ || (options_.whole && width <= 1.0);
}

std::string SloSearch::outcome() const {
  if (candidate() && probes_.size() < options_.max_probes) return {};
  if (converged()) {
    return fmt::format("converged: the bracket [{}, {}] is within the tolerance", *lo_, *hi_);
  }
  if (lo_ && hi_) {
    return fmt::format("stopped after {} probes: the bracket [{}, {}] is wider than the tolerance", probes_.size(),
                       *lo_, *hi_);
  }
  if (lo_) return fmt::format("every probe passed, up to {}: the answer is a lower bound", *lo_);
  if (hi_) return fmt::format("no probe passed, down to {}", *hi_);
  return "no probe ran";
}

nlohmann::json to_json(const SloSearch& search) {
  nlohmann::json probes = nlohmann::json::array();
  for (const Probe& p : search.probes()) probes.push_back({{"load", p.load}, {"pass", p.pass}});
  const auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"probes", probes},
          {"answer", opt(search.lo())},
          {"bracket", {opt(search.lo()), opt(search.hi())}},
          {"converged", search.converged()},
          {"outcome", search.outcome()}};
}

}  // namespace inferbench::app
