#include "results/merge.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.hpp"
#include "metrics/self_check.hpp"
#include "report/json.hpp"

namespace inferbench::results {

using nlohmann::json;

namespace {

double number_or_nan(const json& j) { return j.is_number() ? j.get<double>() : metrics::kNaN; }

// What a load point's summary.json entry says beyond the records: interruption, cancellations,
// the circuit breaker, the client's CPU.
struct PointFacts {
  bool interrupted = false;
  std::size_t cancelled = 0;
  std::string aborted;
  double busiest_worker_cpu = metrics::kNaN;
};

PointFacts facts(const json& point) {
  PointFacts f;
  f.interrupted = point.value("interrupted", false);
  const auto requests = point.value("requests", json::object());
  if (requests.contains("cancelled") && requests["cancelled"].is_number_unsigned()) {
    f.cancelled = requests["cancelled"].get<std::size_t>();
  }
  if (point.contains("aborted") && point["aborted"].is_string()) f.aborted = point["aborted"].get<std::string>();
  const auto client = point.value("client", json::object());
  f.busiest_worker_cpu = number_or_nan(client.value("busiest_worker_cpu", json()));
  return f;
}

std::optional<double> min_success_rate(const json& summary) {
  const auto config = summary.value("config", json::object());
  const auto gates = config.value("gates", json::object());
  const auto rate = gates.value("min_success_rate", json());
  if (rate.is_number()) return rate.get<double>();
  return std::nullopt;
}

}  // namespace

void shift(metrics::RequestRecord& r, Duration delta) {
  r.scheduled += delta;
  if (r.sent) *r.sent += delta;
  if (r.headers != TimePoint{}) r.headers += delta;
  r.done += delta;
  for (auto& c : r.chunks) c.t += delta;
}

MergedRun merge(std::vector<Results> shards) {
  require(!shards.empty(), "nothing to merge");
  std::sort(shards.begin(), shards.end(),
            [](const Results& a, const Results& b) { return a.shard.index < b.shard.index; });
  const Results& first = shards.front();
  MergedRun out;
  out.run_id = first.run_id;
  out.shard_count = first.shard.count;
  for (const Results& s : shards) {
    if (s.run_id != first.run_id) {
      throw MergeError(fmt::format("{} is of run \"{}\" but {} of run \"{}\": shards of different runs do not merge",
                                   s.dir.string(), s.run_id, first.dir.string(), first.run_id),
                       2);
    }
    if (s.shard.count != first.shard.count) {
      throw MergeError(fmt::format("{} is a shard of {} but {} of {}", s.dir.string(), s.shard.count,
                                   first.dir.string(), first.shard.count),
                       2);
    }
    if (s.points.size() != first.points.size()) {
      throw MergeError(fmt::format("{} has {} load points but {} has {}", s.dir.string(), s.points.size(),
                                   first.dir.string(), first.points.size()),
                       2);
    }
  }
  std::set<std::size_t> present;
  for (const Results& s : shards) {
    if (!present.insert(s.shard.index).second) {
      throw MergeError(fmt::format("shard {}/{} is given twice ({})", s.shard.index, s.shard.count, s.dir.string()), 2);
    }
  }
  std::vector<std::size_t> missing;
  for (std::size_t k = 0; k < out.shard_count; ++k) {
    if (!present.contains(k)) missing.push_back(k);
  }
  if (!missing.empty()) {
    throw MergeError(fmt::format("run \"{}\" has {} shards; missing: {} (of 0-based indexes)", out.run_id,
                                 out.shard_count, fmt::join(missing, ", ")),
                     1);
  }

  // One timeline: the lowest shard's anchor is the reference. A shard on the same boot shares
  // its steady clock (the records already sit at their own steady instants); another machine's
  // anchor is placed by the difference of the wall clocks read at the two anchors.
  out.anchor = first.anchor;
  std::vector<Duration> delta(shards.size());
  for (std::size_t k = 0; k < shards.size(); ++k) {
    const Anchor& a = shards[k].anchor;
    if (!a.boot_id.empty() && a.boot_id == out.anchor.boot_id) continue;
    out.same_clock = false;
    const TimePoint placed = out.anchor.steady + std::chrono::nanoseconds(a.wall_ns - out.anchor.wall_ns);
    delta[k] = placed - a.steady;
    out.alignment_error_ns = std::max(out.alignment_error_ns, a.read_error_ns + out.anchor.read_error_ns);
  }

  const std::optional<double> min_rate = min_success_rate(first.summary);
  const metrics::SummaryOptions options = report::summary_options_of(first.summary);
  for (std::size_t p = 0; p < first.points.size(); ++p) {
    MergedPoint merged;
    merged.load = first.points[p].load;
    merged.slo = first.points[p].slo;
    PointFacts all;
    std::set<std::uint64_t> ids;
    for (std::size_t k = 0; k < shards.size(); ++k) {
      LoadPointRecords& point = shards[k].points[p];
      const PointFacts f = facts(point.summary);
      all.interrupted = all.interrupted || f.interrupted;
      all.cancelled += f.cancelled;
      if (all.aborted.empty()) all.aborted = f.aborted;
      if (!std::isnan(f.busiest_worker_cpu)) {
        all.busiest_worker_cpu = std::isnan(all.busiest_worker_cpu)
                                     ? f.busiest_worker_cpu
                                     : std::max(all.busiest_worker_cpu, f.busiest_worker_cpu);
      }
      for (metrics::RequestRecord& r : point.records) {
        // Every request is accounted once: a request number two shards claim is a broken split.
        if (!ids.insert(r.id).second) {
          throw MergeError(
              fmt::format("request {} of load point {} appears twice (again in {})", r.id, p, shards[k].dir.string()),
              2);
        }
        shift(r, delta[k]);
        merged.records.push_back(std::move(r));
      }
    }
    merged.summary = metrics::summarize(merged.records, merged.load, merged.slo, options);
    merged.summary.interrupted = all.interrupted;
    merged.summary.requests.cancelled = all.cancelled;
    merged.summary.aborted = all.aborted;
    metrics::assess(merged.summary, all.busiest_worker_cpu, min_rate);
    out.points.push_back(std::move(merged));
  }
  return out;
}

}  // namespace inferbench::results
