// The canonical mapping of server vendors' metric names, the reduction of one exposition to the series
// it reads, and the aggregation of a window's scrapes (docs/server-metrics.md).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

#include "protocol/prometheus.hpp"
#include "server_metrics/scraper.hpp"

namespace inferbench::server_metrics {

namespace {

using metrics::kNaN;
using Names = std::vector<std::string_view>;

// Candidate source names per canonical metric, in order of preference: the first one present
// anywhere in the window is used. Counters are looked up as `<name>_total`, then `<name>`.
struct Mapping {
  std::string_view key;
  Names names;
};

const std::vector<Mapping>& gauge_map() {
  static const std::vector<Mapping> m{
      {"running_requests",
       {"vllm:num_requests_running", "sglang:num_running_reqs", "tgi_batch_current_size",
        "llamacpp:requests_processing"}},
      {"waiting_requests",
       {"vllm:num_requests_waiting", "sglang:num_queue_reqs", "tgi_queue_size", "llamacpp:requests_deferred"}},
      {"kv_cache_usage",
       {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage",
        "llamacpp:kv_cache_usage_ratio"}},
  };
  return m;
}

const std::vector<Mapping>& counter_map() {
  static const std::vector<Mapping> m{
      // TGI has no token counters: its length histograms' _sum series count the same tokens.
      {"prompt_tokens",
       {"vllm:prompt_tokens", "sglang:prompt_tokens", "llamacpp:prompt_tokens", "tgi_request_input_length_sum"}},
      {"generation_tokens",
       {"vllm:generation_tokens", "sglang:generation_tokens", "llamacpp:tokens_predicted",
        "tgi_request_generated_tokens_sum"}},
      {"prefix_cache_queries", {"vllm:prefix_cache_queries", "vllm:gpu_prefix_cache_queries"}},
      {"prefix_cache_hits", {"vllm:prefix_cache_hits", "vllm:gpu_prefix_cache_hits", "sglang:cached_tokens"}},
      {"preemptions", {"vllm:num_preemptions"}},
      {"requests_succeeded", {"vllm:request_success", "tgi_request_success"}},
  };
  return m;
}

// Histogram families; every one is in seconds.
const std::vector<Mapping>& latency_map() {
  static const std::vector<Mapping> m{
      {"ttft", {"vllm:time_to_first_token_seconds", "sglang:time_to_first_token_seconds"}},
      {"itl",
       {"vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds", "sglang:inter_token_latency_seconds",
        "sglang:time_per_output_token_seconds"}},
      {"tpot", {"vllm:request_time_per_output_token_seconds", "tgi_request_mean_time_per_token_duration"}},
      {"e2e", {"vllm:e2e_request_latency_seconds", "sglang:e2e_request_latency_seconds", "tgi_request_duration"}},
      {"queue", {"vllm:request_queue_time_seconds", "sglang:queue_time_seconds", "tgi_request_queue_duration"}},
      {"prefill", {"vllm:request_prefill_time_seconds"}},
      {"decode", {"vllm:request_decode_time_seconds"}},
      {"inference", {"vllm:request_inference_time_seconds", "tgi_request_inference_duration"}},
  };
  return m;
}

// Gauges giving the hit rate directly, used when the query/hit counters are absent.
const Names& hit_rate_gauges() {
  static const Names n{"vllm:gpu_prefix_cache_hit_rate", "sglang:cache_hit_rate"};
  return n;
}

// Every series name the aggregation may read.
const std::set<std::string, std::less<>>& wanted_series() {
  static const std::set<std::string, std::less<>> names = [] {
    std::set<std::string, std::less<>> s;
    for (const auto& m : gauge_map()) s.insert(m.names.begin(), m.names.end());
    for (const auto& n : hit_rate_gauges()) s.insert(std::string(n));
    for (const auto& m : counter_map()) {
      for (const auto& n : m.names) {
        s.insert(std::string(n));
        s.insert(std::string(n) + "_total");
      }
    }
    for (const auto& m : latency_map()) {
      for (const auto& n : m.names) {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) s.insert(std::string(n) + suffix);
      }
    }
    return s;
  }();
  return names;
}

std::string_view vendor_of(std::string_view name) {
  if (name.starts_with("vllm:")) return "vllm";
  if (name.starts_with("sglang:")) return "sglang";
  if (name.starts_with("tgi_")) return "tgi";
  if (name.starts_with("llamacpp:")) return "llamacpp";
  return {};
}

using Rounds = std::vector<ScrapeRound>;

bool present(const Rounds& rounds, std::string_view name) {
  for (const auto& r : rounds) {
    for (const auto& s : r.sources) {
      if (s.ok && s.series.find(std::string(name)) != s.series.end()) return true;
    }
  }
  return false;
}

// The increase of every series of `name` over the window, per label key, summed over sources.
// Per source and series, consecutive successful scrapes add v − prev, or v after a reset
// (v < prev) or when the series was absent from the source's previous scrape. Empty when the
// name never appears.
std::map<std::string, double> increase_by_key(const Rounds& rounds, const std::string& name) {
  std::map<std::string, double> out;
  const std::size_t n_sources = rounds.empty() ? 0 : rounds.front().sources.size();
  for (std::size_t s = 0; s < n_sources; ++s) {
    const std::map<std::string, double>* prev = nullptr;
    static const std::map<std::string, double> kEmpty;
    for (const auto& r : rounds) {
      if (s >= r.sources.size() || !r.sources[s].ok) continue;
      const auto it = r.sources[s].series.find(name);
      const auto& cur = it == r.sources[s].series.end() ? kEmpty : it->second;
      for (const auto& [key, v] : cur) {
        double& acc = out[key];
        if (prev == nullptr || !std::isfinite(v)) continue;
        const auto p = prev->find(key);
        const double before = p == prev->end() || !std::isfinite(p->second) ? 0.0 : p->second;
        acc += v >= before ? v - before : v;
      }
      prev = &cur;
    }
  }
  return out;
}

double sum_values(const std::map<std::string, double>& m) {
  double total = 0.0;
  for (const auto& [key, v] : m) total += v;
  return total;
}

// How a gauge's series (label sets, replicas) combine within one round.
enum class Combine {
  Sum,   // counts of requests: the server's total
  Mean,  // fractions (KV-cache usage, hit rates): each series is a share of its own engine's cache
};

// The gauge over the rounds taken during the load. A round counts only when every source that
// ever answered answered it and every series of the gauge read a usable value: a NaN, ±Inf or,
// for a fraction, a value outside [0, 1] makes the round's value unknown (a sum or mean without
// it would be wrong), never 0. Nullopt when no round has the series at all (absent).
std::optional<metrics::ServerGauge> gauge(const Rounds& rounds, const std::vector<bool>& live, std::string_view name,
                                          Combine combine) {
  metrics::ServerGauge g;
  g.metric = std::string(name);
  bool present = false;
  double total = 0.0;
  double max = -std::numeric_limits<double>::infinity();
  for (const auto& r : rounds) {
    bool complete = true;
    bool seen = false;
    bool non_finite = false;
    bool out_of_range = false;
    double rejected = kNaN;
    double value = 0.0;
    std::size_t series = 0;
    for (std::size_t s = 0; s < r.sources.size(); ++s) {
      if (!live[s]) continue;
      if (!r.sources[s].ok) {
        complete = false;
        break;
      }
      const auto it = r.sources[s].series.find(g.metric);
      if (it == r.sources[s].series.end()) continue;
      seen = true;
      for (const auto& [key, v] : it->second) {
        if (!std::isfinite(v)) {
          non_finite = true;
        } else if (combine == Combine::Mean && (v < 0.0 || v > 1.0)) {
          out_of_range = true;
          rejected = v;
        } else {
          value += v;
          ++series;
        }
      }
    }
    present = present || seen;
    // The start and end rounds see the server before and after the load: not its gauges.
    if (!r.during_load || !complete || !seen) continue;
    if (non_finite) {
      ++g.non_finite;
      continue;
    }
    if (out_of_range) {
      ++g.out_of_range;
      g.out_of_range_example = rejected;
      continue;
    }
    if (combine == Combine::Mean) value /= static_cast<double>(series);
    g.series.emplace_back(to_s(r.time - rounds.front().time), value);
    ++g.samples;
    total += value;
    max = std::max(max, value);
  }
  if (!present) return std::nullopt;
  if (g.samples > 0) g.max = max;
  if (g.samples >= metrics::kMinGaugeSamples) g.mean = total / static_cast<double>(g.samples);
  return g;
}

std::optional<metrics::ServerLatency> latency(const Rounds& rounds, const std::string& family, double scale) {
  const auto buckets_by_key = increase_by_key(rounds, family + "_bucket");
  const auto counts = increase_by_key(rounds, family + "_count");
  if (buckets_by_key.empty() && counts.empty()) return std::nullopt;
  std::map<double, double> by_le;
  for (const auto& [key, v] : buckets_by_key) {
    const auto sep = key.rfind('\x1e');
    if (sep == std::string::npos) continue;
    const std::string le = key.substr(sep + 1);
    char* end = nullptr;
    const double bound = std::strtod(le.c_str(), &end);
    if (end == le.c_str() || *end != '\0' || std::isnan(bound)) continue;
    by_le[bound] += v;
  }
  std::vector<std::pair<double, double>> buckets(by_le.begin(), by_le.end());
  metrics::ServerLatency l;
  l.metric = family;
  l.count = counts.empty() ? (by_le.count(std::numeric_limits<double>::infinity()) != 0
                                  ? by_le[std::numeric_limits<double>::infinity()]
                                  : kNaN)
                           : sum_values(counts);
  // Nothing observed in the window (or the count unknown): no mean and no quantiles, even if
  // the buckets moved (a scrape that raced an observation): unknown, never 0.
  if (!(l.count > 0)) return l;
  const auto sums = increase_by_key(rounds, family + "_sum");
  if (!sums.empty()) l.mean = sum_values(sums) / l.count * scale;
  const auto scaled = [scale](metrics::QuantileBounds b) {
    return metrics::QuantileBounds{b.gt * scale, b.le * scale};
  };
  l.p50 = scaled(bucket_bounds(0.50, buckets));
  l.p90 = scaled(bucket_bounds(0.90, buckets));
  l.p99 = scaled(bucket_bounds(0.99, buckets));
  return l;
}

}  // namespace

metrics::QuantileBounds bucket_bounds(double q, std::vector<std::pair<double, double>> buckets) {
  metrics::QuantileBounds out;
  if (!(q >= 0.0 && q <= 1.0)) return out;
  std::sort(buckets.begin(), buckets.end());
  // Without the +Inf bucket the total is unknown, so is the rank.
  if (buckets.empty() || buckets.back().first != std::numeric_limits<double>::infinity()) return out;
  // Counts must not decrease with the bound (float sums across series may wobble).
  for (std::size_t i = 1; i < buckets.size(); ++i)
    buckets[i].second = std::max(buckets[i].second, buckets[i - 1].second);
  const double observations = buckets.back().second;
  if (!(observations > 0)) return out;
  // The bucket holding the observation of rank q·n: the first whose cumulative count reaches
  // it (and holds any observation at all, for q = 0). The last bucket always does.
  const double rank = q * observations;
  std::size_t b = 0;
  while (buckets[b].second < rank || !(buckets[b].second > 0)) ++b;
  out.le = buckets[b].first;
  if (b > 0) {
    out.gt = buckets[b - 1].first;
  } else {
    // Below the first bound: Prometheus takes 0 as the lower bound when the bound is positive.
    out.gt = buckets[0].first > 0 ? 0.0 : -std::numeric_limits<double>::infinity();
  }
  return out;
}

SourceScrape reduce_exposition(std::string_view body) {
  SourceScrape out;
  const protocol::PromParseResult parsed = protocol::parse_prometheus(body);
  if (!parsed.ok()) {
    out.error = "invalid exposition: " + parsed.error;
    return out;
  }
  out.ok = true;
  const auto& wanted = wanted_series();
  std::set<std::string_view> vendors;
  for (const protocol::PromSample& sample : parsed.exposition.samples) {
    if (const auto e = vendor_of(sample.name); !e.empty()) vendors.insert(e);
    if (wanted.find(sample.name) == wanted.end()) continue;
    std::vector<std::pair<std::string, std::string>> labels;
    const std::string* le = nullptr;
    for (const auto& l : sample.labels) {
      if (l.first == "le") {
        le = &l.second;
      } else {
        labels.push_back(l);
      }
    }
    std::sort(labels.begin(), labels.end());
    std::string key;
    for (const auto& [k, v] : labels) {
      if (!key.empty()) key += '\x1f';
      key += k;
      key += '=';
      key += v;
    }
    if (sample.name.ends_with("_bucket")) {
      if (le == nullptr) continue;  // a bucket without a bound says nothing
      key += '\x1e';
      key += *le;
    }
    // Duplicate series (same labels once `le` is dropped elsewhere) add up, like sum().
    out.series[sample.name][key] += sample.value;
  }
  if (vendors.size() == 1) out.vendor = std::string(*vendors.begin());
  return out;
}

metrics::ServerSummary aggregate_server_metrics(const Rounds& rounds, const std::vector<std::string>& urls) {
  metrics::ServerSummary out;
  out.scrapes = rounds.size();
  out.scrapes_during_load = static_cast<std::size_t>(
      std::count_if(rounds.begin(), rounds.end(), [](const auto& r) { return r.during_load; }));
  if (!rounds.empty()) out.window_s = to_s(rounds.back().time - rounds.front().time);
  std::vector<bool> live(urls.size(), false);
  std::set<std::string> vendors;
  for (std::size_t s = 0; s < urls.size(); ++s) {
    metrics::ServerSource src;
    src.url = urls[s];
    for (const auto& r : rounds) {
      if (s >= r.sources.size()) continue;
      const SourceScrape& sc = r.sources[s];
      if (sc.ok) {
        ++src.scrapes_ok;
        if (src.vendor == "unknown") src.vendor = sc.vendor;
      } else {
        ++src.scrapes_failed;
        src.error = sc.error;
      }
    }
    live[s] = src.scrapes_ok > 0;
    if (live[s]) vendors.insert(src.vendor);
    out.sources.push_back(std::move(src));
  }
  out.available = std::find(live.begin(), live.end(), true) != live.end();
  if (vendors.size() == 1) out.vendor = *vendors.begin();
  if (vendors.size() > 1) out.vendor = "mixed";
  if (!out.available) {
    for (const auto& src : out.sources) {
      if (!out.reason.empty()) out.reason += "; ";
      out.reason += src.url + ": " + (src.error.empty() ? "not scraped" : src.error);
    }
    if (out.sources.empty()) out.reason = "no metrics source";
  }

  for (const auto& m : gauge_map()) {
    for (const auto name : m.names) {
      const Combine combine = m.key == "kv_cache_usage" ? Combine::Mean : Combine::Sum;
      if (auto g = gauge(rounds, live, name, combine)) {
        out.gauges.emplace(std::string(m.key), std::move(*g));
        break;
      }
    }
  }
  for (const auto& m : counter_map()) {
    for (const auto base : m.names) {
      bool found = false;
      for (const std::string& name : {std::string(base) + "_total", std::string(base)}) {
        if (!present(rounds, name)) continue;
        out.counters.emplace(std::string(m.key),
                             metrics::ServerCounter{name, sum_values(increase_by_key(rounds, name))});
        found = true;
        break;
      }
      if (found) break;
    }
  }
  for (const auto& m : latency_map()) {
    for (const auto name : m.names) {
      if (auto l = latency(rounds, std::string(name), 1000.0)) {
        out.latencies_ms.emplace(std::string(m.key), std::move(*l));
        break;
      }
    }
  }
  const auto queries = out.counters.find("prefix_cache_queries");
  const auto hits = out.counters.find("prefix_cache_hits");
  if (queries != out.counters.end() && hits != out.counters.end()) {
    out.prefix_cache_hit_rate.from = "counters";
    if (queries->second.delta > 0) out.prefix_cache_hit_rate.value = hits->second.delta / queries->second.delta;
  } else {
    for (const auto name : hit_rate_gauges()) {
      if (auto g = gauge(rounds, live, name, Combine::Mean)) {
        out.prefix_cache_hit_rate = {g->mean, g->metric};
        break;
      }
    }
  }

  for (const auto key : metrics::kServerGauges) {
    if (out.gauges.find(key) == out.gauges.end()) out.absent.emplace_back(key);
  }
  for (const auto key : metrics::kServerCounters) {
    if (out.counters.find(key) == out.counters.end()) out.absent.emplace_back(key);
  }
  for (const auto key : metrics::kServerLatencies) {
    if (out.latencies_ms.find(key) == out.latencies_ms.end()) out.absent.emplace_back(key);
  }
  if (out.prefix_cache_hit_rate.from.empty()) out.absent.emplace_back("prefix_cache_hit_rate");
  return out;
}

}  // namespace inferbench::server_metrics
