#include "report/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "core/version.hpp"
#include "report/embedded_assets.hpp"
#include "report/json.hpp"

namespace inferbench::report {

using nlohmann::json;

namespace {

// About this many buckets over a run's time series.
constexpr double kTargetBuckets = 120.0;

// "a.b.c" → value, for the configuration table; strings as they are, anything else as JSON.
void flatten(const json& j, const std::string& prefix, json& rows) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [key, value] : j.items()) flatten(value, prefix.empty() ? key : prefix + "." + key, rows);
    return;
  }
  rows.push_back(json::array({prefix, j.is_string() ? j.get<std::string>() : to_text(j)}));
}

const json& at_path(const json& j, const std::string& dotted) {
  static const json kNull;
  const json* v = &j;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t end = std::min(dotted.find('.', start), dotted.size());
    const std::string key = dotted.substr(start, end - start);
    if (!v->is_object() || !v->contains(key)) return kNull;
    v = &(*v)[key];
    start = end + 1;
  }
  return *v;
}

std::string text_of(const json& j) { return j.is_string() ? j.get<std::string>() : (j.is_null() ? "" : to_text(j)); }

// The run's labels: summary.json's "labels", or the configuration's, as strings.
json labels_of(const json& summary) {
  json labels = json::object();
  for (const char* path : {"labels", "config.labels"}) {
    const json& found = at_path(summary, path);
    if (found.is_object()) {
      for (const auto& [key, value] : found.items()) labels[key] = text_of(value);
      break;
    }
  }
  return labels;
}

std::string series_of(const ResultsDir& run, const json& labels, const HtmlReportOptions& options) {
  if (!options.series_key.empty()) {
    const std::string named = text_of(at_path(run.summary, options.series_key));
    return named.empty() ? "(no " + options.series_key + ")" : named;
  }
  std::string joined;
  for (const auto& [key, value] : labels.items()) {
    joined += (joined.empty() ? "" : ", ") + key + "=" + value.get<std::string>();
  }
  if (!joined.empty()) return joined;
  const std::string model = text_of(at_path(run.summary, "config.target.model"));
  return model.empty() ? run.dir.filename().string() : model;
}

// [[value, fraction of samples up to it], ...], as the page draws them.
json to_json(const std::vector<CdfPoint>& points) {
  json out = json::array();
  for (const CdfPoint& p : points) out.push_back(json::array({p.value, p.fraction}));
  return out;
}

double nice_bucket(double span_s) {
  const double raw = std::max(span_s / kTargetBuckets, 0.01);
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * decade >= raw) return m * decade;
  }
  return 10.0 * decade;
}

// Request rate, output tokens/s, requests in flight and errors over the run, in buckets from
// the first send, derived from each request's send offset and latencies. Includes warm-up
// requests: they loaded the server too. Output tokens are spread evenly from a request's first
// token to its end; "in flight" is the time-average over each bucket.
json timeline(const RequestLines& requests) {
  struct Span {
    double sent, first, end, tokens;
    bool ok, failed;
  };
  std::vector<Span> spans;
  double origin = INFINITY;
  double horizon = -INFINITY;
  for (const RequestLine& r : requests.lines) {
    if (!r.sent_offset_s || !std::isfinite(*r.sent_offset_s)) continue;
    const double sent = *r.sent_offset_s;
    const double took_ms = r.done_ms.value_or(r.e2e_ms.value_or(0.0));
    const double end = sent + std::max(took_ms, 0.0) / 1000.0;
    if (!std::isfinite(end)) continue;
    const double first = std::clamp(sent + r.ttft_ms.value_or(took_ms) / 1000.0, sent, end);
    const bool cancelled = r.error == "cancelled";
    spans.push_back({sent, first, end, r.ok ? r.output_tokens.value_or(0.0) : 0.0, r.ok, !r.ok && !cancelled});
    origin = std::min(origin, sent);
    horizon = std::max(horizon, end);
  }
  json t = json::object({{"bucket_s", nullptr}, {"t", json::array()}});
  if (spans.empty()) return t;
  const double w = nice_bucket(horizon - origin);
  const auto buckets = static_cast<std::size_t>(std::clamp(std::ceil((horizon - origin) / w), 1.0, 4 * kTargetBuckets));
  std::vector<double> sent(buckets), completed(buckets), errors(buckets), tokens(buckets), in_flight(buckets);
  const auto bucket_of = [&](double at) {
    return static_cast<std::size_t>(std::clamp(std::floor((at - origin) / w), 0.0, static_cast<double>(buckets - 1)));
  };
  // Adds `amount` spread over [from, to) onto `series`, each bucket by its overlap.
  const auto spread = [&](std::vector<double>& series, double from, double to, double amount) {
    if (!(to > from)) {
      series[bucket_of(to)] += amount;
      return;
    }
    for (std::size_t b = bucket_of(from); b <= bucket_of(to); ++b) {
      const double lo = origin + static_cast<double>(b) * w;
      const double overlap = std::min(to, lo + w) - std::max(from, lo);
      if (overlap > 0) series[b] += amount * overlap / (to - from);
    }
  };
  for (const Span& s : spans) {
    sent[bucket_of(s.sent)] += 1;
    if (s.ok) completed[bucket_of(s.end)] += 1;
    if (s.failed) errors[bucket_of(s.end)] += 1;
    spread(tokens, s.first, s.end, s.tokens);
    spread(in_flight, s.sent, s.end, s.end - s.sent);  // seconds in flight per bucket
  }
  const auto per_s = [w](std::vector<double> v) {
    for (double& x : v) x /= w;
    return v;
  };
  std::vector<double> mids(buckets);
  for (std::size_t b = 0; b < buckets; ++b) mids[b] = (static_cast<double>(b) + 0.5) * w;
  t["bucket_s"] = w;
  t["t"] = mids;
  t["sent_per_s"] = per_s(sent);
  t["completed_per_s"] = per_s(completed);
  t["errors_per_s"] = per_s(errors);
  t["output_tokens_per_s"] = per_s(tokens);
  t["in_flight"] = per_s(in_flight);
  return t;
}

json run_data(const ResultsDir& run, const HtmlReportOptions& options) {
  const json& summary = run.summary;
  json labels = labels_of(summary);
  json out;
  out["name"] = run.dir.filename().empty() ? run.dir.parent_path().filename().string() : run.dir.filename().string();
  out["path"] = run.dir.string();
  out["series"] = series_of(run, labels, options);
  out["model"] = text_of(at_path(summary, "config.target.model"));
  out["version"] = text_of(at_path(summary, "version"));
  out["interrupted"] = at_path(summary, "interrupted") == true;
  out["labels"] = std::move(labels);
  json config = json::array();
  flatten(at_path(summary, "config"), "", config);
  out["config"] = std::move(config);
  json notes = json::array();

  // Per load point, the latencies of its measured (not warm-up) successful requests.
  const std::size_t point_count = summary["runs"].size();
  struct Latencies {
    std::vector<double> ttft_ms, tpot_ms, max_itl_ms, e2e_ms;
  };
  std::vector<Latencies> values(point_count);
  if (run.requests) {
    for (const RequestLine& r : run.requests->lines) {
      if (r.warmup || !r.ok || r.load_point >= point_count) continue;
      Latencies& v = values[r.load_point];
      if (r.ttft_ms) v.ttft_ms.push_back(*r.ttft_ms);
      if (r.tpot_ms) v.tpot_ms.push_back(*r.tpot_ms);
      if (r.max_itl_ms) v.max_itl_ms.push_back(*r.max_itl_ms);
      if (r.e2e_ms) v.e2e_ms.push_back(*r.e2e_ms);
    }
    if (run.requests->no_timeline > 0) {
      notes.push_back(
          fmt::format("{} successful request(s) have no readable chunk timeline (\"chunk_ns\") and are "
                      "left out of the ITL and inter-chunk CDFs",
                      run.requests->no_timeline));
    }
    if (run.requests->unreadable > 0) {
      notes.push_back(
          fmt::format("{} line(s) of requests.jsonl were not JSON objects and are left out", run.requests->unreadable));
    }
    out["timeline"] = timeline(*run.requests);
  } else {
    notes.push_back("no requests.jsonl: no distributions or time series");
    out["timeline"] = timeline(RequestLines{});
  }
  json points = json::array();
  for (std::size_t i = 0; i < point_count; ++i) {
    const json& point = summary["runs"][i];
    json cdf = json::object();
    cdf["ttft_ms"] = to_json(cdf_points(values[i].ttft_ms));
    cdf["tpot_ms"] = to_json(cdf_points(values[i].tpot_ms));
    cdf["max_itl_ms"] = to_json(cdf_points(values[i].max_itl_ms));
    cdf["e2e_ms"] = to_json(cdf_points(values[i].e2e_ms));
    // ITL over every token (not per request) and the raw gaps, from the chunk timelines.
    cdf["itl_ms"] = json::array();
    cdf["inter_chunk_ms"] = json::array();
    if (run.requests) {
      if (const auto it = run.requests->chunk_latencies.find(i); it != run.requests->chunk_latencies.end()) {
        cdf["itl_ms"] = to_json(it->second.itl_cdf);
        cdf["inter_chunk_ms"] = to_json(it->second.inter_chunk_cdf);
      }
    }
    points.push_back({{"label", load_point_label(point, i)},
                      {"summary", point.is_object() ? point : json::object()},
                      {"cdf", std::move(cdf)}});
  }
  out["points"] = std::move(points);
  out["notes"] = std::move(notes);
  return out;
}

}  // namespace

std::string script_safe_json(const json& j) {
  const std::string ascii = j.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
  std::string out;
  out.reserve(ascii.size());
  for (const char c : ascii) {
    switch (c) {  // only ever inside a JSON string, where the escape means the same character
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

json report_data(const std::vector<ResultsDir>& runs, const HtmlReportOptions& options) {
  json data;
  data["title"] = options.title;
  data["generated_by"] = fmt::format("inferbench {}", kVersion);
  data["runs"] = json::array();
  for (const auto& run : runs) data["runs"].push_back(run_data(run, options));
  return data;
}

std::string html_report(const std::vector<ResultsDir>& runs, const HtmlReportOptions& options) {
  // The page loads nothing: the policy forbids every fetch, so it also works (identically) offline.
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>inferbench report</title>\n<style>\n";
  page += embedded::report_css();
  page += "</style>\n</head>\n<body>\n<noscript>This report draws its charts with JavaScript.</noscript>\n";
  page += "<main id=\"report\"></main>\n<script type=\"application/json\" id=\"report-data\">";
  page += script_safe_json(report_data(runs, options));
  page += "</script>\n<script>\n";
  page += embedded::echarts_js();
  page += "\n</script>\n<script>\n";
  page += embedded::report_js();
  page += "</script>\n</body>\n</html>\n";
  return page;
}

void write_html_report(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& output,
                       const HtmlReportOptions& options) {
  std::vector<ResultsDir> runs;
  runs.reserve(dirs.size());
  for (const auto& dir : dirs) runs.push_back(read_results_dir(dir));
  replace_file(output, html_report(runs, options));
}

void write_run_html_report(const std::filesystem::path& dir, const ChunkLatenciesByPoint& chunk_latencies,
                           const std::filesystem::path& output, const HtmlReportOptions& options) {
  // Moved in, not braced: an initializer list would copy the run and every request line in it.
  std::vector<ResultsDir> runs;
  runs.push_back(read_results_dir(dir, &chunk_latencies));
  replace_file(output, html_report(runs, options));
}

}  // namespace inferbench::report
