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

}  // namespace

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
                                                           {"mean", number_or_null(it->second.mean)},
                                                           {"max", number_or_null(it->second.max)}};
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
    latencies[std::string(key)] = {
        {"metric", l.metric},           {"count", number_or_null(l.count)}, {"mean", number_or_null(l.mean)},
        {"p50", number_or_null(l.p50)}, {"p90", number_or_null(l.p90)},     {"p99", number_or_null(l.p99)}};
  }
  const auto& hr = s.prefix_cache_hit_rate;
  return json{{"available", s.available},
              {"reason", nullable_string(s.reason)},
              {"vendor", s.vendor},
              {"sources", sources},
              {"scrapes", s.scrapes},
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
    if (as_percent) return fmt::format("mean {}, max {}", percent(it->second.mean), percent(it->second.max));
    return fmt::format("mean {}, max {}", num(it->second.mean, decimals), num(it->second.max, decimals));
  };
  const auto latency = [&s](std::string_view key) -> std::string {
    const auto it = s.latencies_ms.find(key);
    if (it == s.latencies_ms.end()) return "absent";
    return fmt::format("mean {} ms, p99 {} ms", num(it->second.mean), num(it->second.p99));
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
  std::string out = fmt::format("  server ({}, {} scrape{} over {} s)\n", s.vendor, s.scrapes,
                                s.scrapes == 1 ? "" : "s", num(s.window_s, 1));
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
