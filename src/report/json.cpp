#include "report/json.hpp"
#include "report/failure_label.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <type_traits>

#include "core/error.hpp"

namespace inferbench::report {

using metrics::LoadSpec;
using nlohmann::json;

namespace {

template <typename T>
json optional_or_null(const std::optional<T>& v) {
  if (!v) return nullptr;
  if constexpr (std::is_floating_point_v<T>) {
    return number_or_null(*v);
  } else {
    return *v;
  }
}

json slo_json(const metrics::Slo& slo) {
  json j = json::object();
  if (slo.ttft_ms) j["ttft_ms"] = number_or_null(*slo.ttft_ms);
  if (slo.tpot_ms) j["tpot_ms"] = number_or_null(*slo.tpot_ms);
  if (slo.itl_ms) j["itl_ms"] = number_or_null(*slo.itl_ms);
  if (slo.e2e_ms) j["e2e_ms"] = number_or_null(*slo.e2e_ms);
  if (slo.ntpot_ms) j["ntpot_ms"] = number_or_null(*slo.ntpot_ms);
  return j;
}

json load_json(const LoadSpec& load) {
  const bool open = load.mode == LoadSpec::Mode::Open;
  json j;
  j["mode"] = open ? "open" : "closed";
  if (open) {
    j["concurrency"] = load.concurrency > 0 ? json(load.concurrency) : json(nullptr);
    j["rate"] = number_or_null(load.rate);
    j["arrival"] = load.arrival;
    j["burstiness"] = number_or_null(load.burstiness);
  } else {
    j["concurrency"] = load.concurrency;
    j["rate"] = nullptr;
    j["arrival"] = nullptr;
    j["burstiness"] = nullptr;
  }
  return j;
}

}  // namespace

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json to_json(const metrics::Distribution& d) {
  json out{{"count", d.count},
           {"mean", number_or_null(d.mean)},
           {"std", number_or_null(d.std)},
           {"min", number_or_null(d.min)},
           {"p50", number_or_null(d.p50)},
           {"p90", number_or_null(d.p90)},
           {"p95", number_or_null(d.p95)},
           {"p99", number_or_null(d.p99)},
           {"p99_9", number_or_null(d.p99_9)},
           {"max", number_or_null(d.max)}};
  // Only a distribution folded into a histogram (SampleSet) carries it: the percentiles' bound.
  if (d.relative_error > 0) out["relative_error"] = d.relative_error;
  return out;
}

metrics::SummaryOptions summary_options_of(const json& summary) {
  metrics::SummaryOptions options;
  if (!summary.is_object()) return options;
  const json config = summary.value("config", json::object());
  const json output = config.is_object() ? config.value("output", json::object()) : json::object();
  const json exact = output.is_object() ? output.value("exact_samples", json()) : json();
  if (exact.is_number_unsigned() && exact.get<std::uint64_t>() > 0) options.exact_samples = exact.get<std::size_t>();
  return options;
}

json to_json(const metrics::LoadPointSummary& s) {
  const bool open = s.load.mode == LoadSpec::Mode::Open;
  json j;
  j["load"] = load_json(s.load);
  j["interrupted"] = s.interrupted;

  json failures = json::object();
  for (const auto& [label, n] : failure_counts(s)) failures[label] = n;
  j["requests"] = {{"completed", s.requests.completed},
                   {"failed", s.requests.failed},
                   {"failure_rate", number_or_null(s.requests.failure_rate)},
                   {"warmup", s.requests.warmup},
                   {"cancelled", s.requests.cancelled},
                   {"failures", failures}};
  j["aborted"] = s.aborted.empty() ? json(nullptr) : json(s.aborted);
  j["duration_s"] = number_or_null(s.duration_s);
  j["throughput"] = {{"requests_per_s", number_or_null(s.throughput.requests_per_s)},
                     {"input_tokens_per_s", number_or_null(s.throughput.input_tokens_per_s)},
                     {"output_tokens_per_s", number_or_null(s.throughput.output_tokens_per_s)},
                     {"total_tokens_per_s", number_or_null(s.throughput.total_tokens_per_s)}};
  const metrics::TokenTotals& t = s.tokens;
  j["tokens"] = {{"input", t.input},
                 {"output", t.output},
                 {"cached", t.cached_reported > 0 ? json(t.cached) : json(nullptr)},
                 {"cached_reported", t.cached_reported},
                 {"input_unknown", t.input_unknown},
                 {"output_unknown", t.output_unknown},
                 {"output_from_client", t.output_from_client},
                 {"prompt_mismatches", t.prompt_mismatches},
                 {"usage_rejected", t.usage_rejected},
                 {"over_max_tokens", t.over_max_tokens},
                 {"prompt_difference_total", t.prompt_difference},
                 {"prompt_difference_mean", t.prompt_compared > 0 ? json(static_cast<double>(t.prompt_difference) /
                                                                         static_cast<double>(t.prompt_compared))
                                                                  : json(nullptr)}};

  const metrics::Latencies& l = s.latency;
  json latency = {{"ttft_ms", to_json(l.ttft_ms)}, {"tpot_ms", to_json(l.tpot_ms)},
                  {"itl_ms", to_json(l.itl_ms)},   {"inter_chunk_ms", to_json(l.inter_chunk_ms)},
                  {"e2e_ms", to_json(l.e2e_ms)},   {"ntpot_ms", to_json(l.ntpot_ms)}};
  if (open) {
    latency["ttft_from_sched_ms"] = to_json(l.ttft_from_sched_ms);
    latency["e2e_from_sched_ms"] = to_json(l.e2e_from_sched_ms);
    latency["schedule_lag_ms"] = to_json(l.schedule_lag_ms);
  }
  j["latency"] = std::move(latency);
  j["concurrency"] = {{"mean", number_or_null(s.concurrency.mean)}, {"max", number_or_null(s.concurrency.max)}};
  if (s.rate) {
    j["rate"] = {{"requested", number_or_null(s.rate->requested)},
                 {"scheduled", number_or_null(s.rate->scheduled)},
                 {"achieved", number_or_null(s.rate->achieved)}};
  }
  j["client"] = {{"busiest_worker_cpu", number_or_null(s.client.busiest_worker_cpu)},
                 {"client_limited", s.client.limited},
                 {"reason", s.client.limited ? json(s.client.reason) : json(nullptr)}};
  j["completeness"] = {{"success_rate", number_or_null(s.completeness.success_rate)},
                       {"min_success_rate", s.completeness.min_success_rate},
                       {"incomplete", s.completeness.incomplete}};
  if (s.goodput) {
    const metrics::Goodput& g = *s.goodput;
    json attainment = json::object();
    for (const auto& [key, v] : g.attainment) attainment[key] = number_or_null(v);
    j["goodput"] = {{"slo", slo_json(g.slo)},
                    {"good", g.good},
                    {"requests_per_s", number_or_null(g.requests_per_s)},
                    {"slo_attainment", number_or_null(g.slo_attainment)},
                    {"attainment", attainment}};
  }
  return j;
}

std::string to_text(const json& j, int indent) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

std::string usage_rejection(const metrics::RequestRecord& r, metrics::UsageProblem problem) {
  using metrics::UsageProblem;
  switch (problem) {
    case UsageProblem::None: return {};
    case UsageProblem::Negative: return "a negative count";
    case UsageProblem::AboveLimit: return fmt::format("a count above {} tokens", metrics::kMaxPlausibleTokens);
    case UsageProblem::AboveMaxTokens:
      return fmt::format("completion_tokens {} > max_tokens {} + {}", r.usage.completion_tokens.value_or(0),
                         r.max_tokens, metrics::output_token_slack(r.max_tokens));
    case UsageProblem::CachedAbovePrompt: return "cached_tokens > prompt_tokens";
  }
  return "implausible";
}

json request_line(const metrics::RequestRecord& r, const metrics::RequestMetrics& m) {
  json j;
  j["id"] = r.id;
  j["warmup"] = r.warmup;
  j["ok"] = r.ok();
  j["error"] = r.ok() ? json(nullptr) : json(failure_label(r));
  j["error_detail"] = r.error_detail.empty() ? json(nullptr) : json(r.error_detail);
  j["http_status"] = r.http_status != 0 ? json(r.http_status) : json(nullptr);
  // Exactly what the server reported in `usage` (null when it did not).
  j["prompt_tokens"] = optional_or_null(r.usage.prompt_tokens);
  j["completion_tokens"] = optional_or_null(r.usage.completion_tokens);
  j["cached_tokens"] = optional_or_null(r.usage.cached_tokens);
  j["usage_rejected"] =
      m.usage_problem == metrics::UsageProblem::None ? json(nullptr) : json(usage_rejection(r, m.usage_problem));
  j["over_max_tokens"] = m.over_max_tokens;
  j["client_prompt_tokens"] = r.client_prompt_tokens >= 0 ? json(r.client_prompt_tokens) : json(nullptr);
  j["client_output_tokens"] = r.client_output_tokens >= 0 ? json(r.client_output_tokens) : json(nullptr);
  j["max_tokens"] = r.max_tokens;
  j["input_tokens"] = optional_or_null(m.input_tokens);
  j["output_tokens"] = optional_or_null(m.output_tokens);
  j["output_tokens_source"] = !m.output_tokens             ? json(nullptr)
                              : m.output_tokens_from_usage ? json("usage")
                                                           : json("client");
  j["chunks"] = m.chunks;
  j["events"] = r.events;
  j["retried"] = r.retried;
  j["ttft_ms"] = optional_or_null(m.ttft_ms);
  j["tpot_ms"] = optional_or_null(m.tpot_ms);
  j["e2e_ms"] = optional_or_null(m.e2e_ms);
  j["ntpot_ms"] = optional_or_null(m.ntpot_ms);
  j["max_itl_ms"] = optional_or_null(m.max_itl_ms);
  j["done_ms"] = number_or_null(m.done_ms);
  j["schedule_lag_ms"] = number_or_null(m.schedule_lag_ms);
  return j;
}

void replace_file(const std::filesystem::path& path, const std::string& content) {
  const auto tmp = std::filesystem::path(path.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    require(static_cast<bool>(out), "cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  require(!ec, "cannot write " + path.string() + ": " + ec.message());
}

}  // namespace inferbench::report
