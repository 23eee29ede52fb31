#include "report/csv.hpp"
#include "report/failure_label.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <utility>

namespace inferbench::report {

using metrics::Distribution;
using metrics::LoadPointSummary;
using metrics::LoadSpec;

namespace {

// Shortest round-trip decimal, or an empty cell when undefined.
std::string cell(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); }

std::string cell(std::size_t v) { return fmt::format("{}", v); }

std::string text(const std::string& s) { return csv_field(s); }

using Column = std::pair<std::string, std::function<std::string(const LoadPointSummary&)>>;

void add_distribution(std::vector<Column>& cols, const std::string& name,
                      const Distribution metrics::Latencies::*member, bool open_only) {
  using Stat = std::pair<const char*, double Distribution::*>;
  static const Stat kStats[] = {
      {"mean", &Distribution::mean}, {"std", &Distribution::std},     {"min", &Distribution::min},
      {"p50", &Distribution::p50},   {"p90", &Distribution::p90},     {"p95", &Distribution::p95},
      {"p99", &Distribution::p99},   {"p99_9", &Distribution::p99_9}, {"max", &Distribution::max}};
  const auto applies = [open_only](const LoadPointSummary& s) {
    return !open_only || s.load.mode == LoadSpec::Mode::Open;
  };
  cols.emplace_back(name + "_count", [=](const LoadPointSummary& s) {
    return applies(s) ? cell((s.latency.*member).count) : std::string();
  });
  for (const Stat& st : kStats) {
    const auto field = st.second;
    cols.emplace_back(name + "_" + st.first, [=](const LoadPointSummary& s) {
      return applies(s) ? cell((s.latency.*member).*field) : std::string();
    });
  }
}

std::vector<Column> columns() {
  using S = const LoadPointSummary&;
  const auto open = [](S s) { return s.load.mode == LoadSpec::Mode::Open; };
  std::vector<Column> c;
  c.emplace_back("mode", [=](S s) { return std::string(open(s) ? "open" : "closed"); });
  c.emplace_back("concurrency",
                 [](S s) { return s.load.concurrency > 0 ? fmt::format("{}", s.load.concurrency) : std::string(); });
  c.emplace_back("rate", [=](S s) { return open(s) ? cell(s.load.rate) : std::string(); });
  c.emplace_back("arrival", [=](S s) { return open(s) ? text(s.load.arrival) : std::string(); });
  c.emplace_back("burstiness", [=](S s) { return open(s) ? cell(s.load.burstiness) : std::string(); });
  c.emplace_back("interrupted", [](S s) { return std::string(s.interrupted ? "true" : "false"); });
  c.emplace_back("aborted", [](S s) { return s.aborted; });
  c.emplace_back("completed", [](S s) { return cell(s.requests.completed); });
  c.emplace_back("failed", [](S s) { return cell(s.requests.failed); });
  c.emplace_back("failure_rate", [](S s) { return cell(s.requests.failure_rate); });
  c.emplace_back("warmup", [](S s) { return cell(s.requests.warmup); });
  c.emplace_back("failures", [](S s) {
    std::string out;
    for (const auto& [label, n] : failure_counts(s)) {
      out += fmt::format("{}{}:{}", out.empty() ? "" : ";", label, n);
    }
    return text(out);
  });
  c.emplace_back("duration_s", [](S s) { return cell(s.duration_s); });
  c.emplace_back("requests_per_s", [](S s) { return cell(s.throughput.requests_per_s); });
  c.emplace_back("input_tokens_per_s", [](S s) { return cell(s.throughput.input_tokens_per_s); });
  c.emplace_back("output_tokens_per_s", [](S s) { return cell(s.throughput.output_tokens_per_s); });
  c.emplace_back("total_tokens_per_s", [](S s) { return cell(s.throughput.total_tokens_per_s); });
  c.emplace_back("input_tokens", [](S s) { return fmt::format("{}", s.tokens.input); });
  c.emplace_back("output_tokens", [](S s) { return fmt::format("{}", s.tokens.output); });
  c.emplace_back("cached_tokens",
                 [](S s) { return s.tokens.cached_reported > 0 ? fmt::format("{}", s.tokens.cached) : std::string(); });
  c.emplace_back("output_tokens_from_client", [](S s) { return cell(s.tokens.output_from_client); });
  c.emplace_back("prompt_token_mismatches", [](S s) { return cell(s.tokens.prompt_mismatches); });
  c.emplace_back("usage_rejected", [](S s) { return cell(s.tokens.usage_rejected); });
  c.emplace_back("concurrency_mean", [](S s) { return cell(s.concurrency.mean); });
  c.emplace_back("concurrency_max", [](S s) { return cell(s.concurrency.max); });
  c.emplace_back("rate_requested", [](S s) { return s.rate ? cell(s.rate->requested) : std::string(); });
  c.emplace_back("rate_achieved", [](S s) { return s.rate ? cell(s.rate->achieved) : std::string(); });
  c.emplace_back("success_rate", [](S s) { return cell(s.completeness.success_rate); });
  c.emplace_back("incomplete", [](S s) { return std::string(s.completeness.incomplete ? "true" : "false"); });
  c.emplace_back("busiest_worker_cpu", [](S s) { return cell(s.client.busiest_worker_cpu); });
  c.emplace_back("client_limited", [](S s) { return std::string(s.client.limited ? "true" : "false"); });
  c.emplace_back("goodput_requests_per_s",
                 [](S s) { return s.goodput ? cell(s.goodput->requests_per_s) : std::string(); });
  c.emplace_back("slo_attainment", [](S s) { return s.goodput ? cell(s.goodput->slo_attainment) : std::string(); });
  using L = metrics::Latencies;
  add_distribution(c, "ttft_ms", &L::ttft_ms, false);
  add_distribution(c, "tpot_ms", &L::tpot_ms, false);
  add_distribution(c, "itl_ms", &L::itl_ms, false);
  add_distribution(c, "inter_chunk_ms", &L::inter_chunk_ms, false);
  add_distribution(c, "e2e_ms", &L::e2e_ms, false);
  add_distribution(c, "ntpot_ms", &L::ntpot_ms, false);
  add_distribution(c, "ttft_from_sched_ms", &L::ttft_from_sched_ms, true);
  add_distribution(c, "e2e_from_sched_ms", &L::e2e_from_sched_ms, true);
  add_distribution(c, "schedule_lag_ms", &L::schedule_lag_ms, true);
  return c;
}

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string to_csv(const std::vector<LoadPointSummary>& points) {
  const std::vector<Column> cols = columns();
  std::string out;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) out += ',';
    out += cols[i].first;
  }
  out += '\n';
  for (const LoadPointSummary& s : points) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) out += ',';
      out += cols[i].second(s);
    }
    out += '\n';
  }
  return out;
}

}  // namespace inferbench::report
