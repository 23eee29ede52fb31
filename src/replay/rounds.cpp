#include "replay/rounds.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "metrics/request_metrics.hpp"
#include "metrics/stats.hpp"
#include "report/failure_label.hpp"

namespace inferbench::replay {

namespace {

std::int64_t ns_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
TimePoint at_ns(std::int64_t ns) {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(ns)));
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// FlowGPT's {unit, min, p50, p90, p95, p99, max} (numpy's linear percentiles); nulls when empty.
nlohmann::json distribution(const std::vector<double>& samples, const char* unit) {
  const metrics::Distribution d = metrics::describe(samples);
  return {{"unit", unit},
          {"min", number_or_null(d.min)},
          {"p50", number_or_null(d.p50)},
          {"p90", number_or_null(d.p90)},
          {"p95", number_or_null(d.p95)},
          {"p99", number_or_null(d.p99)},
          {"max", number_or_null(d.max)}};
}

// A share of the requests that ended in the round, in percent (FlowGPT's); NaN when none ended.
double percent(std::size_t part, const Round& r) {
  return r.ended() == 0 ? metrics::kNaN : 100.0 * static_cast<double>(part) / static_cast<double>(r.ended());
}

double per_minute(std::int64_t tokens, const Round& r) {
  return r.duration_s() > 0 ? static_cast<double>(tokens) / (r.duration_s() / 60.0) : metrics::kNaN;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string seconds_or_empty(std::optional<double> ms) { return ms ? fmt::format("{:.6f}", *ms / 1000.0) : ""; }

}  // namespace

RoundTracker::RoundTracker(RoundOptions options, const std::vector<Duration>& offsets)
    : options_(std::move(options)), offsets_(offsets), sends_(new std::atomic<std::int64_t>[offsets.size()]) {
  for (std::size_t i = 0; i < offsets.size(); ++i) sends_[i].store(0, std::memory_order_relaxed);
}

void RoundTracker::dispatched(std::uint64_t id, TimePoint now) {
  if (id >= offsets_.size()) return;
  std::int64_t none = 0;
  dispatch_start_.compare_exchange_strong(none, ns_of(now - offsets_[id]), std::memory_order_relaxed);
}

void RoundTracker::sent(std::uint64_t id, TimePoint t) {
  if (id >= offsets_.size()) return;
  std::int64_t none = 0;
  sends_[id].compare_exchange_strong(none, ns_of(t), std::memory_order_relaxed);
}

std::optional<TimePoint> RoundTracker::start() const {
  const std::lock_guard lock(mutex_);
  return start_;
}

Round& RoundTracker::open_round(std::size_t k) {
  Round& r = open_[k];
  r.index = k + 1;
  return r;
}

void RoundTracker::add(const metrics::RequestRecord& record) {
  if (record.failure == metrics::Failure::Cancelled || record.id >= offsets_.size()) return;
  const std::lock_guard lock(mutex_);
  // The exact start: every request's intended time is start + its offset.
  if (!start_) start_ = record.scheduled - offsets_[record.id];
  const auto since = record.done - *start_;
  std::size_t k = since <= Duration::zero() ? 0 : static_cast<std::size_t>(since / options_.length);
  Round* round = nullptr;
  if (k < next_) {  // its round was reported already: counted in the first open one, as late
    round = &open_round(next_);
    ++round->late;
  } else {
    round = &open_round(k);
  }
  Round& r = *round;
  if (!record.ok()) {
    ++r.failed;
    ++r.failures[report::failure_label(record)];
    return;
  }
  ++r.completed;
  const metrics::RequestMetrics m = metrics::derive(record);
  const double latency_s = m.done_ms / 1000.0;
  if (std::isfinite(latency_s)) {
    r.latency_s.push_back(latency_s);
    if (options_.e2e_slo_s && latency_s <= *options_.e2e_slo_s) ++r.e2e_met;
    if (m.output_tokens && latency_s > 0) r.tokens_per_s.push_back(static_cast<double>(*m.output_tokens) / latency_s);
  }
  if (m.ttft_ms) {
    r.ttft_s.push_back(*m.ttft_ms / 1000.0);
    if (options_.ttft_slo_ms && *m.ttft_ms <= *options_.ttft_slo_ms) ++r.ttft_met;
  }
  if (m.tpot_ms) {
    r.tpot_ms.push_back(*m.tpot_ms);
    if (options_.tpot_slo_ms && *m.tpot_ms <= *options_.tpot_slo_ms) ++r.tpot_met;
  }
  if (m.input_tokens) {
    r.input_tokens += *m.input_tokens;
    ++r.input_counted;
  }
  if (m.output_tokens) {
    r.output_tokens += *m.output_tokens;
    ++r.output_counted;
  }
}

Round RoundTracker::close(std::size_t k, TimePoint end) {
  Round r;
  if (const auto it = open_.find(k); it != open_.end()) {
    r = std::move(it->second);
    open_.erase(it);
  }
  r.index = k + 1;
  const TimePoint from = *start_ + options_.length * static_cast<Duration::rep>(k);
  const TimePoint to = std::min(end, from + options_.length);
  r.start_s = to_s(from - *start_);
  r.end_s = to_s(to - *start_);
  r.partial = to < from + options_.length;
  const std::int64_t lo = ns_of(from), hi = ns_of(to);
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    const std::int64_t t = sends_[i].load(std::memory_order_relaxed);
    if (t != 0 && t >= lo && t < hi) ++r.sent;
  }
  return r;
}

std::vector<Round> RoundTracker::due(TimePoint now) {
  const std::lock_guard lock(mutex_);
  std::vector<Round> out;
  if (!start_) {
    const std::int64_t estimate = dispatch_start_.load(std::memory_order_relaxed);
    if (estimate == 0) return out;
    start_ = at_ns(estimate);
  }
  while (now >= *start_ + options_.length * static_cast<Duration::rep>(next_ + 1) + options_.grace) {
    out.push_back(close(next_, TimePoint::max()));
    ++next_;
  }
  return out;
}

std::vector<Round> RoundTracker::finish(TimePoint end) {
  const std::lock_guard lock(mutex_);
  std::vector<Round> out;
  if (!start_) {
    const std::int64_t estimate = dispatch_start_.load(std::memory_order_relaxed);
    if (estimate == 0) return out;
    start_ = at_ns(estimate);
  }
  // Up to the round holding `end`, and any later round a late request was put in.
  std::size_t last = end <= *start_ ? 0 : static_cast<std::size_t>((end - *start_) / options_.length);
  if (end > *start_ && (end - *start_) % options_.length == Duration::zero() && last > 0) --last;
  if (!open_.empty()) last = std::max(last, open_.rbegin()->first);
  for (; next_ <= last; ++next_) out.push_back(close(next_, end));
  return out;
}

nlohmann::json to_json(const Round& r, const RoundOptions& o) {
  nlohmann::json j;
  j["round"] = r.index;
  j["start_s"] = r.start_s;
  j["end_s"] = r.end_s;
  j["duration_s"] = r.duration_s();
  j["partial"] = r.partial;
  j["sent"] = r.sent;
  j["completed"] = r.completed;
  j["failed"] = r.failed;
  j["late"] = r.late;
  if (o.target_qps) j["target_qps"] = *o.target_qps;
  j["actual_qps"] = r.duration_s() > 0 ? nlohmann::json(static_cast<double>(r.sent) / r.duration_s()) : nullptr;
  j["success_rate"] = number_or_null(percent(r.completed, r));
  j["input_tokens"] = r.input_counted ? nlohmann::json(r.input_tokens / static_cast<std::int64_t>(r.input_counted))
                                      : nlohmann::json(nullptr);
  j["output_tokens"] = r.output_counted ? nlohmann::json(r.output_tokens / static_cast<std::int64_t>(r.output_counted))
                                        : nlohmann::json(nullptr);
  j["model"] = o.model;
  const double in_per_min = per_minute(r.input_tokens, r), out_per_min = per_minute(r.output_tokens, r);
  j["input_tokens_per_minute"] = number_or_null(in_per_min);
  j["output_tokens_per_minute"] = number_or_null(out_per_min);
  if (o.e2e_slo_s) {
    j["slo_seconds"] = *o.e2e_slo_s;
    j["slo_attainment"] = number_or_null(percent(r.e2e_met, r));
  }
  if (o.ttft_slo_ms) {
    j["ttft_slo_ms"] = *o.ttft_slo_ms;
    j["ttft_slo_attainment"] = number_or_null(percent(r.ttft_met, r));
  }
  if (o.tpot_slo_ms) {
    j["tpot_slo_ms"] = *o.tpot_slo_ms;
    j["tpot_slo_attainment"] = number_or_null(percent(r.tpot_met, r));
  }
  j["Latency"] = distribution(r.latency_s, "s");
  j["Throughput"] = distribution(r.tokens_per_s, "tokens/s");
  j["TTFT"] = distribution(r.ttft_s, "s");
  j["TPOT"] = distribution(r.tpot_ms, "ms");
  // One value per round, as FlowGPT writes them.
  j["Input Tokens per Minute"] =
      distribution(std::isfinite(in_per_min) ? std::vector<double>{in_per_min} : std::vector<double>{}, "tokens/min");
  j["Output Tokens per Minute"] =
      distribution(std::isfinite(out_per_min) ? std::vector<double>{out_per_min} : std::vector<double>{}, "tokens/min");
  if (!r.failures.empty()) j["exceptions"] = r.failures;
  return j;
}

std::string format_round(const Round& r, const RoundOptions& o) {
  std::string out = fmt::format("round {}{}  {:.1f}–{:.1f} s  sent {}  ended {} ({} ok, {} failed{})", r.index,
                                r.partial ? " (partial)" : "", r.start_s, r.end_s, r.sent, r.ended(), r.completed,
                                r.failed, r.late ? fmt::format(", {} late", r.late) : "");
  if (r.duration_s() > 0) out += fmt::format("  {:.2f} req/s", static_cast<double>(r.sent) / r.duration_s());
  if (r.ended() > 0) out += fmt::format("  success {:.1f} %", percent(r.completed, r));
  out += '\n';
  const auto row = [&out](const char* name, const std::vector<double>& v) {
    if (v.empty()) return;
    const metrics::Distribution d = metrics::describe(v);
    out += fmt::format("  {:<20}{:>10.3f}{:>10.3f}{:>10.3f}{:>10.3f}{:>10.3f}{:>10.3f}\n", name, d.min, d.p50, d.p90,
                       d.p95, d.p99, d.max);
  };
  if (r.completed > 0) {
    out += fmt::format("  {:<20}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "", "min", "p50", "p90", "p95", "p99", "max");
    row("Latency (s)", r.latency_s);
    row("Throughput (tok/s)", r.tokens_per_s);
    row("TTFT (s)", r.ttft_s);
    row("TPOT (ms)", r.tpot_ms);
    out += fmt::format("  tokens per minute: input {:.0f}, output {:.0f}\n", per_minute(r.input_tokens, r),
                       per_minute(r.output_tokens, r));
  }
  std::string slo;
  if (o.ttft_slo_ms && r.ended()) slo += fmt::format("  TTFT ≤ {} ms {:.1f} %", *o.ttft_slo_ms, percent(r.ttft_met, r));
  if (o.tpot_slo_ms && r.ended()) slo += fmt::format("  TPOT ≤ {} ms {:.1f} %", *o.tpot_slo_ms, percent(r.tpot_met, r));
  if (o.e2e_slo_s && r.ended()) slo += fmt::format("  E2E ≤ {} s {:.1f} %", *o.e2e_slo_s, percent(r.e2e_met, r));
  if (!slo.empty()) out += "  SLO attainment:" + slo + '\n';
  if (!r.failures.empty()) {
    out += "  failures:";
    for (const auto& [label, count] : r.failures) out += fmt::format(" {} {}", label, count);
    out += '\n';
  }
  return out;
}

std::string csv_header() {
  return "request_id,conversation_id,line,status,scheduled_s,send_s,first_token_s,end_s,ttft_s,latency_s,tokens_in,"
         "tokens_cached,tokens_out,tpot_ms\n";
}

std::string csv_row(const metrics::RequestRecord& r, std::string_view conversation_id, std::size_t line,
                    TimePoint start) {
  const metrics::RequestMetrics m = metrics::derive(r);
  const auto rel = [start](TimePoint t) { return fmt::format("{:.6f}", to_s(t - start)); };
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.id, csv_field(conversation_id), line,
                     r.ok() ? "ok" : report::failure_label(r), rel(r.scheduled), r.sent ? rel(*r.sent) : "",
                     r.chunks.empty() ? "" : rel(r.chunks.front().t), rel(r.done), seconds_or_empty(m.ttft_ms),
                     std::isfinite(m.done_ms) ? fmt::format("{:.6f}", m.done_ms / 1000.0) : "",
                     m.input_tokens ? std::to_string(*m.input_tokens) : "",
                     r.usage.cached_tokens ? std::to_string(*r.usage.cached_tokens) : "",
                     m.output_tokens ? std::to_string(*m.output_tokens) : "",
                     m.tpot_ms ? fmt::format("{:.3f}", *m.tpot_ms) : "");
}

}  // namespace inferbench::replay
