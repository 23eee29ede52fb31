#include "app/adaptive_run.hpp"

#include <fmt/format.h>

#include <cmath>

#include "app/sweep.hpp"
#include "report/format.hpp"
#include "report/table.hpp"

namespace inferbench::app {

namespace {

// Users of the sweep's throughput point without --num-requests: more than a server runs at once
// (vLLM's default max_num_seqs is 256), so that it measures the server's throughput, not ours.
constexpr int kThroughputUsers = 256;

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// The sweep (GuideLLM's `sweep` profile): synchronous, throughput, then the rates between them,
// stopped at the first over-saturated rate.
std::optional<std::string> run_sweep(RunSession& session, const RunConfig& config, nlohmann::json& summary) {
  const AdaptiveConfig& a = config.adaptive;
  const PointTemplate& t = config.point_template;
  nlohmann::json& sweep = summary["sweep"];
  sweep = {{"points", a.sweep_points},
           {"spacing", a.geometric ? "geometric" : "linear"},
           {"saturation_ratio", a.saturation_ratio},
           {"stopped_early", false},
           {"stopped_at", nullptr},
           {"stop_reason", ""}};
  std::vector<std::string> notes;
  const auto stopped = [&](const std::string& reason) {
    sweep["stop_reason"] = reason;
    return fmt::format("{}\nsweep: {}\n", report::format_sweep_table(session.points(), "sweep", notes), reason);
  };

  // Each user sends one request when --num-requests gives the count: every request at once.
  const int users = t.num_requests > 0 ? static_cast<int>(t.num_requests) : kThroughputUsers;
  const PlannedPoint first[] = {closed_point(t, 1), closed_point(t, users)};
  const char* const roles[] = {"synchronous", "throughput"};
  double rate[2] = {metrics::kNaN, metrics::kNaN};
  for (int k = 0; k < 2; ++k) {
    if (session.stop()) return stopped("the run stopped before the sweep's rates");
    const auto m = session.measure(first[k]);
    if (!m) return std::nullopt;
    rate[k] = m->summary->throughput.requests_per_s;
    session.annotate_last({{"sweep", {{"role", roles[k]}}}});
    notes.emplace_back(roles[k]);
  }
  const std::vector<double> rates =
      sweep_rates(rate[0], rate[1], a.sweep_points, a.geometric ? Spacing::Geometric : Spacing::Linear);
  sweep["synchronous_rate"] = std::isfinite(rate[0]) ? nlohmann::json(rate[0]) : nlohmann::json(nullptr);
  sweep["throughput_rate"] = std::isfinite(rate[1]) ? nlohmann::json(rate[1]) : nlohmann::json(nullptr);
  sweep["rates"] = rates;
  if (!std::isfinite(rate[0]) || !std::isfinite(rate[1])) {
    session.write_summary();
    return stopped(fmt::format("the {} point measured no rate (no request succeeded): nothing to sweep",
                               std::isfinite(rate[0]) ? "throughput" : "synchronous"));
  }
  if (rates.empty()) {
    session.write_summary();
    return stopped(
        fmt::format("the throughput point ({} req/s) is not faster than the synchronous point ({} req/s): "
                    "no rate lies between them",
                    report::num(rate[1]), report::num(rate[0])));
  }
  for (std::size_t k = 0; k < rates.size(); ++k) {
    if (session.stop()) break;
    const auto m = session.measure(open_point(t, rates[k]));
    if (!m) return std::nullopt;
    const Saturation sat = check_saturation(*m->summary, m->served_ratio, a.saturation_ratio);
    nlohmann::json entry = to_json(sat);
    entry["role"] = "rate";
    entry["index"] = k;
    session.annotate_last({{"sweep", entry}});
    if (sat.saturated) {
      notes.emplace_back("over-saturated");
      sweep["stopped_early"] = k + 1 < rates.size();
      sweep["stopped_at"] = session.points().size() - 1;
      session.write_summary();
      return stopped(fmt::format(
          "{} is over-saturated: {}{}", report::load_label(m->summary->load), sat.reason,
          k + 1 < rates.size() ? fmt::format("; {} higher rates not run", rates.size() - k - 1) : std::string()));
    }
    notes.push_back(fmt::format("served {}", report::percent(sat.ratio)));
  }
  session.write_summary();
  return stopped(session.stop() ? "the run stopped before the sweep's end"
                                : "no point over-saturated the server (served / scheduled >= " +
                                      report::percent(a.saturation_ratio) + " everywhere)");
}

// The SLO search (vLLM's `bench sweep serve_sla`, with doubling and bisection).
std::optional<std::string> run_search(RunSession& session, const RunConfig& config, nlohmann::json& summary) {
  const AdaptiveConfig& a = config.adaptive;
  const bool by_rate = a.kind == AdaptiveConfig::Kind::RateSearch;
  const std::string pct = fmt::format("p{}", a.slo_percentile);
  SearchOptions options;
  options.start = a.search_start;
  options.tolerance = a.search_tolerance;
  options.max_probes = a.search_max_probes;
  options.whole = !by_rate;
  options.min = by_rate ? 0.001 : 1.0;
  options.max = by_rate ? 1e6 : 100000.0;
  SloSearch search(options);
  nlohmann::json probes = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"probe", by_rate ? "rate (req/s)" : "concurrency"});
  bool header_done = false;
  while (const auto load = search.next()) {
    if (session.stop()) break;
    const PlannedPoint point = by_rate ? open_point(config.point_template, *load)
                                       : closed_point(config.point_template, static_cast<int>(*load));
    const auto m = session.measure(point);
    if (!m) return std::nullopt;
    std::optional<Saturation> sat;
    if (by_rate) sat = check_saturation(*m->summary, m->served_ratio, a.saturation_ratio);
    const SloVerdict v = check_slo(*m->summary, config.slo, a.slo_percentile, sat);
    search.record(*load, v.pass);
    nlohmann::json probe = {{"probe", probes.size()}, {"load", *load}, {"pass", v.pass}, {"reasons", v.reasons}};
    nlohmann::json values = nlohmann::json::object();
    std::vector<std::string> row = {fmt::format("{}", probes.size()), fmt::format("{}", *load)};
    for (const auto& [metric, value] : v.values) {
      values[metric] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
      if (!header_done) rows.front().push_back(pct + " " + metric);
      row.push_back(report::num(value));
    }
    header_done = true;
    probe[pct] = values;
    if (sat) probe["saturation"] = to_json(*sat);
    row.push_back(v.pass ? "pass" : "FAIL: " + join(v.reasons, "; "));
    rows.push_back(std::move(row));
    session.annotate_last({{"slo_search", probe}});
    probes.push_back(std::move(probe));
  }
  rows.front().push_back("result");
  nlohmann::json& out = summary["slo_search"];
  out = to_json(search);
  out["target"] = by_rate ? "rate" : "concurrency";
  out["percentile"] = a.slo_percentile;
  out["tolerance"] = a.search_tolerance;
  out["max_probes"] = a.search_max_probes;
  out["probes"] = probes;  // the search's own list with each probe's percentiles and reasons
  session.write_summary();
  const char* unit = by_rate ? " req/s" : " users";
  const auto show = [&](const std::optional<double>& x) { return x ? fmt::format("{}{}", *x, unit) : "none"; };
  std::string answer;
  if (search.lo()) {
    answer = fmt::format("highest {} meeting the SLOs at {}: {} (bracket [{}, {}])", out["target"].get<std::string>(),
                         pct, show(search.lo()), show(search.lo()), show(search.hi()));
  } else {
    answer = fmt::format("no {} probed meets the SLOs at {}", out["target"].get<std::string>(), pct);
  }
  // An outcome is empty while probes remain: the run itself stopped (interrupted, aborted).
  const std::string outcome =
      search.outcome().empty() ? std::string("the run stopped before the search's end") : search.outcome();
  out["outcome"] = outcome;
  session.write_summary();
  return fmt::format("SLO search\n{}\n{}\n{}\n", report::format_rows(rows), answer, outcome);
}

}  // namespace

std::optional<std::string> run_adaptive(RunSession& session, const RunConfig& config, nlohmann::json& summary) {
  if (config.adaptive.kind == AdaptiveConfig::Kind::Sweep) return run_sweep(session, config, summary);
  return run_search(session, config, summary);
}

}  // namespace inferbench::app
