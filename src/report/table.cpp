#include "report/table.hpp"
#include "report/failure_label.hpp"
#include "report/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace inferbench::report {

using metrics::LoadPointSummary;
using metrics::LoadSpec;

namespace {

// Shortest decimal form of a configured number ("10", "2.5").
std::string plain(double v) { return fmt::format("{}", v); }

// "http_429 ×2, http_500 ×1" for the `limit` most frequent labels (ties by label).
std::string top_failures(const LoadPointSummary& s, std::size_t limit) {
  const auto counts = failure_counts(s);
  std::vector<std::pair<std::string, std::size_t>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("{} x{}", v[i].first, v[i].second);
  }
  if (v.size() > limit) out += fmt::format(", +{} more", v.size() - limit);
  return out;
}

// Right-aligns every column but the first (left-aligned) and joins rows with '\n'. A last
// column of words (notes) is left-aligned too with `left_last`.
std::string render(const std::vector<std::vector<std::string>>& rows, const std::string& indent,
                   bool left_last = false) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = indent;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c == 0) {
        line += fmt::format("{:<{}}", row[c], width[c]);
      } else if (left_last && c + 1 == width.size()) {
        line += fmt::format("  {:<{}}", row[c], width[c]);
      } else {
        line += fmt::format("  {:>{}}", row[c], width[c]);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

// A distribution folded into a histogram is marked `~`, explained under the table (ASCII: the
// columns are aligned by bytes).
void add_latency(std::vector<std::vector<std::string>>& rows, const char* name, const metrics::Distribution& d) {
  const std::string label = d.relative_error > 0 ? fmt::format("{} ~", name) : std::string(name);
  rows.push_back({label, num(d.mean), num(d.p50), num(d.p90), num(d.p99), num(d.max), fmt::format("{}", d.count)});
}

}  // namespace

std::string load_label(const LoadSpec& load) {
  if (load.mode == LoadSpec::Mode::Closed) return fmt::format("concurrency {}", load.concurrency);
  std::string label = load.rate > 0.0 && std::isfinite(load.rate)
                          ? fmt::format("rate {}/s {}", plain(load.rate), load.arrival)
                          : std::string("rate unlimited");
  if (load.arrival == "gamma") label += fmt::format("({})", plain(load.burstiness));
  if (load.concurrency > 0) label += fmt::format(", cap {}", load.concurrency);
  return label;
}

std::string format_table(const LoadPointSummary& s) {
  const bool open = s.load.mode == LoadSpec::Mode::Open;
  std::string out = load_label(s.load);
  if (s.interrupted) out += " (interrupted)";
  out += '\n';
  // What makes the numbers below not comparable comes first, in plain words.
  if (s.completeness.incomplete) {
    out += fmt::format("  INCOMPLETE: {} of requests succeeded (below {}): do not compare this load point's rates\n",
                       percent(s.completeness.success_rate), percent(s.completeness.min_success_rate));
  }
  if (!s.aborted.empty()) out += fmt::format("  ABORTED: {}\n", s.aborted);
  if (s.client.limited) out += fmt::format("  CLIENT-LIMITED: {}\n", s.client.reason);

  std::vector<std::vector<std::string>> facts;
  std::string failed = fmt::format("{}", s.requests.failed);
  if (s.requests.failed > 0) {
    failed += fmt::format(" ({}: {})", percent(s.requests.failure_rate), top_failures(s, 3));
  }
  facts.push_back({"completed", fmt::format("{}", s.requests.completed)});
  facts.push_back({"failed", failed});
  if (s.requests.warmup > 0) facts.push_back({"warm-up", fmt::format("{} excluded", s.requests.warmup)});
  facts.push_back({"duration", num(s.duration_s) + " s"});
  facts.push_back({"req/s", num(s.throughput.requests_per_s)});
  // Unknown is said as such, with what would make it known.
  const auto tokens_per_s = [](double rate, std::size_t unknown, const char* what) {
    if (unknown == 0) return num(rate, 1);
    return fmt::format(
        "unknown ({} request{} without a count of {} tokens: the server sent no usage; "
        "--tokenizer counts them)",
        unknown, unknown == 1 ? "" : "s", what);
  };
  facts.push_back({"in tok/s", tokens_per_s(s.throughput.input_tokens_per_s, s.tokens.input_unknown, "prompt")});
  facts.push_back({"out tok/s", tokens_per_s(s.throughput.output_tokens_per_s, s.tokens.output_unknown, "output")});
  if (s.tokens.usage_rejected > 0) {
    facts.push_back({"usage", fmt::format("{} request{} reported implausible token counts, not used (requests.jsonl: "
                                          "usage_rejected)",
                                          s.tokens.usage_rejected, s.tokens.usage_rejected == 1 ? "" : "s")});
  }
  if (s.tokens.over_max_tokens > 0) {
    facts.push_back({"max_tokens", fmt::format("{} request{} got more output tokens than max_tokens asked for",
                                               s.tokens.over_max_tokens, s.tokens.over_max_tokens == 1 ? "" : "s")});
  }
  facts.push_back({"concurrency", fmt::format("mean {}, max {}", num(s.concurrency.mean), num(s.concurrency.max, 0))});
  if (s.rate) {
    facts.push_back(
        {"rate", fmt::format("achieved {}/s of requested {}/s", num(s.rate->achieved), num(s.rate->requested))});
  }
  std::string client = fmt::format("busiest thread {} busy", percent(s.client.busiest_worker_cpu));
  if (open && s.latency.schedule_lag_ms.count > 0) {
    // With a cap, lateness is time spent waiting for a slot: vLLM's client_queue_time.
    client += fmt::format(", {} p50 {} ms, p99 {} ms", s.load.concurrency > 0 ? "client queue" : "schedule lag",
                          num(s.latency.schedule_lag_ms.p50), num(s.latency.schedule_lag_ms.p99));
  }
  facts.push_back({"client", client});
  if (s.goodput) {
    std::string detail;
    for (const auto& [key, v] : s.goodput->attainment) {
      detail += fmt::format("{}{} {}", detail.empty() ? "" : ", ", key, percent(v));
    }
    facts.push_back({"goodput", fmt::format("{} req/s, SLO attainment {} ({})", num(s.goodput->requests_per_s),
                                            percent(s.goodput->slo_attainment), detail)});
  }
  // Facts are label + free text: left-align both.
  std::size_t w = 0;
  for (const auto& f : facts) w = std::max(w, f[0].size());
  for (const auto& f : facts) out += fmt::format("  {:<{}}  {}\n", f[0], w, f[1]);

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"latency (ms)", "mean", "p50", "p90", "p99", "max", "n"});
  const metrics::Latencies& l = s.latency;
  add_latency(rows, "TTFT", l.ttft_ms);
  add_latency(rows, "TPOT", l.tpot_ms);
  add_latency(rows, "ITL", l.itl_ms);
  add_latency(rows, "inter-chunk", l.inter_chunk_ms);
  add_latency(rows, "E2E", l.e2e_ms);
  add_latency(rows, "NTPOT", l.ntpot_ms);
  if (open) {
    add_latency(rows, "TTFT from sched", l.ttft_from_sched_ms);
    add_latency(rows, "E2E from sched", l.e2e_from_sched_ms);
    add_latency(rows, "schedule lag", l.schedule_lag_ms);
  }
  out += render(rows, "  ");
  double bound = 0;
  for (const auto* d : {&l.ttft_ms, &l.tpot_ms, &l.itl_ms, &l.inter_chunk_ms, &l.e2e_ms, &l.ntpot_ms,
                        &l.ttft_from_sched_ms, &l.e2e_from_sched_ms, &l.schedule_lag_ms}) {
    bound = std::max(bound, d->relative_error);
  }
  if (bound > 0) {
    out += fmt::format("  ~: percentiles from a histogram, within {:.2g} % (more samples than --exact-samples)\n",
                       bound * 100.0);
  }
  return out;
}

std::string format_sweep_table(const std::vector<LoadPointSummary>& points) {
  return format_sweep_table(points, "", {});
}

std::string format_rows(const std::vector<std::vector<std::string>>& rows) { return render(rows, "", true); }

std::string format_sweep_table(const std::vector<LoadPointSummary>& points, const std::string& notes_title,
                               const std::vector<std::string>& notes) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"load", "req/s", "out tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "E2E p50", "failed"});
  if (!notes_title.empty()) rows.back().push_back(notes_title);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const LoadPointSummary& s = points[i];
    const metrics::Latencies& l = s.latency;
    std::string label = load_label(s.load);
    if (s.interrupted) label += " (interrupted)";
    if (!s.aborted.empty()) label += " (aborted)";
    if (s.completeness.incomplete) label += " (incomplete)";
    if (s.client.limited) label += " (client-limited)";
    std::string failed = fmt::format("{}", s.requests.failed);
    if (s.requests.failed > 0) failed += fmt::format(" ({})", percent(s.requests.failure_rate));
    rows.push_back({label, num(s.throughput.requests_per_s), num(s.throughput.output_tokens_per_s, 1),
                    num(l.ttft_ms.p50), num(l.ttft_ms.p99), num(l.tpot_ms.p50), num(l.tpot_ms.p99), num(l.e2e_ms.p50),
                    failed});
    if (!notes_title.empty()) rows.back().push_back(i < notes.size() ? notes[i] : "");
  }
  return render(rows, "", !notes_title.empty());
}

}  // namespace inferbench::report
