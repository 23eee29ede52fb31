#include "history/compare.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace inferbench::history {

using nlohmann::json;

namespace {

// Minimum per-request samples on each side for the test; fewer say nothing about noise.
constexpr std::size_t kMinSamples = 5;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

std::optional<double> number_at(const json& j, std::initializer_list<const char*> path) {
  const json* v = &j;
  for (const char* key : path) {
    if (!v->is_object() || !v->contains(key)) return std::nullopt;
    v = &(*v)[key];
  }
  return v->is_number() ? std::optional<double>(v->get<double>()) : std::nullopt;
}

// Per load point, the successful measured requests' values of one field.
std::vector<std::vector<double>> per_request(const report::ResultsDir& run,
                                             std::optional<double> report::RequestLine::*field, std::size_t points) {
  std::vector<std::vector<double>> out(points);
  if (!run.requests) return out;
  for (const auto& r : run.requests->lines) {
    if (r.warmup || !r.ok || r.load_point >= points) continue;
    if (const auto v = r.*field) out[r.load_point].push_back(*v);
  }
  return out;
}

struct LatencyMetric {
  const char* key;
  std::optional<double> report::RequestLine::*field;
  const char* summary_key;  // the summary's distribution, when there are no per-request values
};

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Same: return "same";
    case Verdict::Noise: return "within noise";
    case Verdict::Improved: return "improved";
    case Verdict::Regressed: return "REGRESSED";
    case Verdict::Missing: return "not comparable";
  }
  return "?";
}

MannWhitney mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  MannWhitney out;
  const std::size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  if (n1 == 0 || n2 == 0) return out;
  std::vector<std::pair<double, bool>> all;  // value, from a
  all.reserve(n);
  for (const double v : a) all.emplace_back(v, true);
  for (const double v : b) all.emplace_back(v, false);
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  double rank_sum_a = 0.0;
  double tie_term = 0.0;  // Σ (t³ − t) over groups of ties
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].second) rank_sum_a += average_rank;
    }
    const auto t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2), dn = static_cast<double>(n);
  out.u = rank_sum_a - dn1 * (dn1 + 1.0) / 2.0;
  const double mean = dn1 * dn2 / 2.0;
  const double variance = dn1 * dn2 / 12.0 * ((dn + 1.0) - tie_term / (dn * (dn - 1.0)));
  if (!(variance > 0.0)) return out;  // every value equal: no evidence of a difference
  const double z = std::max(std::abs(out.u - mean) - 0.5, 0.0) / std::sqrt(variance);
  out.p = std::erfc(z / std::sqrt(2.0));
  return out;
}

std::vector<MetricDelta> compare_runs(const report::ResultsDir& base, const report::ResultsDir& candidate,
                                      const CompareOptions& options) {
  for (const auto& [key, value] : options.thresholds) {
    require(key == "ttft" || key == "tpot" || key == "itl" || key == "e2e" || key == "requests_per_s" ||
                key == "output_tokens_per_s" || key == "failure_rate",
            "--threshold: unknown metric '" + key +
                "' (one of ttft, tpot, itl, e2e, requests_per_s, output_tokens_per_s, failure_rate)");
    require(std::isfinite(value) && value >= 0, "--threshold " + key + ": must be a number ≥ 0");
  }
  const json& base_points = base.summary["runs"];
  const json& cand_points = candidate.summary["runs"];
  const std::size_t points = std::min(base_points.size(), cand_points.size());
  const std::vector<LatencyMetric> latencies = {{"ttft", &report::RequestLine::ttft_ms, "ttft_ms"},
                                                {"tpot", &report::RequestLine::tpot_ms, "tpot_ms"},
                                                {"itl", &report::RequestLine::max_itl_ms, "itl_ms"},
                                                {"e2e", &report::RequestLine::e2e_ms, "e2e_ms"}};
  std::vector<MetricDelta> out;
  const auto threshold = [&](const std::string& key) { return options.thresholds.at(key); };
  // Lower is better for latencies and failures, higher for throughput; beyond the threshold in
  // the bad direction is a regression only when the test (if any) says it is not noise.
  const auto judge = [&](MetricDelta& d, bool higher_is_better, double limit, bool significant) {
    if (!d.change) return;
    const double worse = higher_is_better ? -*d.change : *d.change;
    if (std::abs(*d.change) <= limit) {
      d.verdict = Verdict::Same;
    } else if (!significant) {
      d.verdict = Verdict::Noise;
    } else {
      d.verdict = worse > 0 ? Verdict::Regressed : Verdict::Improved;
    }
  };
  for (const auto& m : latencies) {
    const auto base_values = per_request(base, m.field, points);
    const auto cand_values = per_request(candidate, m.field, points);
    for (std::size_t i = 0; i < points; ++i) {
      MetricDelta d;
      d.load_point = i;
      d.load = report::load_point_label(base_points[i], i);
      d.metric = m.key;
      d.base_n = base_values[i].size();
      d.candidate_n = cand_values[i].size();
      const bool tested = d.base_n >= kMinSamples && d.candidate_n >= kMinSamples;
      if (tested) {
        d.base = median(base_values[i]);
        d.candidate = median(cand_values[i]);
        d.p = mann_whitney(base_values[i], cand_values[i]).p;
      } else {  // the summaries' medians, judged by the threshold alone
        d.base = number_at(base_points[i], {"latency", m.summary_key, "p50"});
        d.candidate = number_at(cand_points[i], {"latency", m.summary_key, "p50"});
      }
      if (d.base && d.candidate && *d.base > 0) d.change = (*d.candidate - *d.base) / *d.base;
      judge(d, false, threshold(m.key) / 100.0, !tested || *d.p < options.alpha);
      out.push_back(std::move(d));
    }
  }
  for (std::size_t i = 0; i < points; ++i) {
    for (const char* key : {"requests_per_s", "output_tokens_per_s"}) {
      MetricDelta d;
      d.load_point = i;
      d.load = report::load_point_label(base_points[i], i);
      d.metric = key;
      d.base = number_at(base_points[i], {"throughput", key});
      d.candidate = number_at(cand_points[i], {"throughput", key});
      if (d.base && d.candidate && *d.base > 0) d.change = (*d.candidate - *d.base) / *d.base;
      // Completions in a window are close to Poisson: a rate from n requests is known to about
      // 1/√n of itself. Two rates differ significantly when their gap exceeds that noise.
      const auto base_count = number_at(base_points[i], {"requests", "completed"});
      const auto cand_count = number_at(cand_points[i], {"requests", "completed"});
      bool significant = true;  // without counts: the threshold alone
      if (d.change && base_count && cand_count && *base_count >= 1 && *cand_count >= 1) {
        d.base_n = static_cast<std::size_t>(*base_count);
        d.candidate_n = static_cast<std::size_t>(*cand_count);
        const double noise = std::sqrt(*d.base * *d.base / *base_count + *d.candidate * *d.candidate / *cand_count);
        d.p = noise > 0 ? std::erfc(std::abs(*d.candidate - *d.base) / noise / std::sqrt(2.0)) : 1.0;
        significant = *d.p < options.alpha;
      }
      judge(d, true, threshold(key) / 100.0, significant);
      out.push_back(std::move(d));
    }
    MetricDelta d;
    d.load_point = i;
    d.load = report::load_point_label(base_points[i], i);
    d.metric = "failure_rate";
    d.base = number_at(base_points[i], {"requests", "failure_rate"});
    d.candidate = number_at(cand_points[i], {"requests", "failure_rate"});
    if (d.base && d.candidate) d.change = (*d.candidate - *d.base) * 100.0;  // percentage points
    judge(d, false, threshold("failure_rate"), true);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace inferbench::history
