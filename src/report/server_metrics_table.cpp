#include "report/server_metrics_table.hpp"
#include "report/format.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "report/json.hpp"

namespace inferbench::report {

using nlohmann::json;

namespace {

json nullable_string(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// A quantile known only to lie in a bucket: {"gt": lower, "le": upper} in ms, a bound null when
// there is none (±inf); null when unknown.
json to_json(const metrics::QuantileBounds& b) {
  if (std::isnan(b.gt) && std::isnan(b.le)) return nullptr;
  return json{{"gt", number_or_null(b.gt)}, {"le", number_or_null(b.le)}};
}

// A bucket bound in ms as written in the table: compact ("300", "2.5"), in s from 1 s up.
std::string bound_text(double ms, bool in_s) { return fmt::format("{:g}", in_s ? ms / 1000.0 : ms); }

}  // namespace

std::string quantile_text(const metrics::QuantileBounds& b) {
  if (std::isnan(b.gt) || std::isnan(b.le)) return "-";
  if (std::isinf(b.le)) {
    const bool in_s = b.gt >= 1000.0;
    return fmt::format("> {} {}", bound_text(b.gt, in_s), in_s ? "s" : "ms");
  }
  const bool in_s = b.le >= 1000.0;
  const char* unit = in_s ? "s" : "ms";
  if (!(b.gt > 0)) return fmt::format("\u2264 {} {}", bound_text(b.le, in_s), unit);  // first bucket
  return fmt::format("{}\u2013{} {}", bound_text(b.gt, in_s), bound_text(b.le, in_s), unit);
}

std::string gauge_note(const metrics::ServerGauge& g) {
  std::vector<std::string> parts;
  const auto scrapes = [](std::size_t n) { return fmt::format("{} scrape{}", n, n == 1 ? "" : "s"); };
  if (g.non_finite > 0) parts.push_back(fmt::format("{} with NaN or Inf not used", scrapes(g.non_finite)));
  if (g.out_of_range > 0) {
    parts.push_back(
        fmt::format("{} outside [0, 1] rejected (e.g. {:g})", scrapes(g.out_of_range), g.out_of_range_example));
  }
  if (g.samples < metrics::kMinGaugeSamples) {
    parts.push_back(
        fmt::format("{} usable during the load: a mean needs {}", scrapes(g.samples), metrics::kMinGaugeSamples));
  }
  std::string note;
  for (const auto& p : parts) note += (note.empty() ? "" : "; ") + p;
  return note;
}

json to_json(const metrics::ServerSummary& s) {
  json sources = json::array();
  for (const auto& src : s.sources) {
    sources.push_back({{"url", src.url},
                       {"vendor", src.vendor},
                       {"scrapes_ok", src.scrapes_ok},
                       {"scrapes_failed", src.scrapes_failed},
                       {"error", nullable_string(src.error)}});
  }
  json gauges = json::object();
  for (const auto key : metrics::kServerGauges) {
    const auto it = s.gauges.find(key);
    gauges[std::string(key)] = it == s.gauges.end() ? json(nullptr)
                                                    : json{{"metric", it->second.metric},
                                                           {"samples", it->second.samples},
                                                           {"non_finite", it->second.non_finite},
                                                           {"out_of_range", it->second.out_of_range},
                                                           {"mean", number_or_null(it->second.mean)},
                                                           {"max", number_or_null(it->second.max)},
                                                           {"note", nullable_string(gauge_note(it->second))},
                                                           {"series", it->second.series}};
  }
  json counters = json::object();
  for (const auto key : metrics::kServerCounters) {
    const auto it = s.counters.find(key);
    counters[std::string(key)] = it == s.counters.end()
                                     ? json(nullptr)
                                     : json{{"metric", it->second.metric}, {"delta", number_or_null(it->second.delta)}};
  }
  json latencies = json::object();
  for (const auto key : metrics::kServerLatencies) {
    const auto it = s.latencies_ms.find(key);
    if (it == s.latencies_ms.end()) {
      latencies[std::string(key)] = nullptr;
      continue;
    }
    const metrics::ServerLatency& l = it->second;
    latencies[std::string(key)] = {{"metric", l.metric},
                                   {"count", number_or_null(l.count)},
                                   {"mean", number_or_null(l.mean)},
                                   {"p50", to_json(l.p50)},
                                   {"p90", to_json(l.p90)},
                                   {"p99", to_json(l.p99)}};
  }
  const auto& hr = s.prefix_cache_hit_rate;
  return json{{"available", s.available},
              {"reason", nullable_string(s.reason)},
              {"vendor", s.vendor},
              {"sources", sources},
              {"scrapes", s.scrapes},
              {"scrapes_during_load", s.scrapes_during_load},
              {"window_s", number_or_null(s.window_s)},
              {"gauges", gauges},
              {"counters", counters},
              {"latency_ms", latencies},
              {"prefix_cache_hit_rate",
               hr.from.empty() ? json(nullptr) : json{{"value", number_or_null(hr.value)}, {"from", hr.from}}},
              {"absent", s.absent}};
}

std::string format_server_table(const metrics::ServerSummary& s) {
  if (!s.available) return fmt::format("  server metrics unavailable: {}\n", s.reason);
  const auto gauge = [&s](std::string_view key, int decimals, bool as_percent) -> std::string {
    const auto it = s.gauges.find(key);
    if (it == s.gauges.end()) return "absent";
    const metrics::ServerGauge& g = it->second;
    std::string text = as_percent ? fmt::format("mean {}, max {}", percent(g.mean), percent(g.max))
                                  : fmt::format("mean {}, max {}", num(g.mean, decimals), num(g.max, decimals));
    if (const std::string note = gauge_note(g); !note.empty()) text += " (" + note + ")";
    return text;
  };
  const auto latency = [&s](std::string_view key) -> std::string {
    const auto it = s.latencies_ms.find(key);
    if (it == s.latencies_ms.end()) return "absent";
    // The p99 is a bucket of the server's histogram, not a value: written as its bounds.
    const double mean = it->second.mean;
    return fmt::format("mean {}, p99 {}", std::isfinite(mean) ? num(mean) + " ms" : "-", quantile_text(it->second.p99));
  };
  const auto counter = [&s](std::string_view key) -> std::string {
    const auto it = s.counters.find(key);
    return it == s.counters.end() ? std::string("absent") : num(it->second.delta, 0);
  };
  std::string hit_rate = "absent";
  if (!s.prefix_cache_hit_rate.from.empty()) hit_rate = percent(s.prefix_cache_hit_rate.value);

  std::vector<std::pair<std::string, std::string>> rows{
      {"running", gauge("running_requests", 1, false)},
      {"waiting", gauge("waiting_requests", 1, false)},
      {"KV cache usage", gauge("kv_cache_usage", 1, true)},
      {"queue time", latency("queue")},
      {"prefill time", latency("prefill")},
      {"decode time", latency("decode")},
      {"preemptions", counter("preemptions")},
      {"prefix-cache hits", hit_rate},
      // Means, not p50: a mean from _sum/_count is exact, while a quantile can only be placed
      // within a bucket (vLLM's first ITL bucket is 0–10 ms, so any ITL below it reads 5 ms).
      {"TTFT (server)", latency("ttft")},
      {"ITL (server)", latency("itl")},
  };
  std::string out = fmt::format("  server ({}, {} scrape{} over {} s, {} during the load)\n", s.vendor, s.scrapes,
                                s.scrapes == 1 ? "" : "s", num(s.window_s, 1), s.scrapes_during_load);
  std::size_t w = 0;
  for (const auto& r : rows) w = std::max(w, r.first.size());
  for (const auto& [label, text] : rows) out += fmt::format("    {:<{}}  {}\n", label, w, text);
  for (const auto& src : s.sources) {
    if (!src.error.empty())
      out += fmt::format("    {}: {} of {} scrapes failed ({})\n", src.url, src.scrapes_failed,
                         src.scrapes_ok + src.scrapes_failed, src.error);
  }
  return out;
}

}  // namespace inferbench::report
