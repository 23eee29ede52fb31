#pragma once
// Reports of the server's own metrics over a load point (metrics::ServerSummary): the
// `runs[i].server` object of summary.json and a short section of the terminal table.
#include <string>

#include <nlohmann/json.hpp>

#include "metrics/server_summary.hpp"

namespace inferbench::report {

// `runs[i].server` (schema in docs/summary-schema.md): every canonical key is present, null
// when absent, and the absent ones are listed in "absent".
nlohmann::json to_json(const metrics::ServerSummary& s);

// A quantile known only by its histogram bucket, as bounds: "≤ 300 ms" (first bucket),
// "100–300 ms", "2.5–5 s", "> 10 s" (the +Inf bucket); "-" when unknown.
std::string quantile_text(const metrics::QuantileBounds& b);

// Why a gauge's numbers are unknown or partial (values rejected, too few scrapes during the
// load for a mean), as one clause; empty when there is nothing to say.
std::string gauge_note(const metrics::ServerGauge& g);

// A few lines under a "server" heading: running/waiting and KV usage (mean/max), queue,
// prefill and decode time (mean, p99 bucket), preemptions, prefix-cache hit rate, server TTFT/ITL
// (mean, p99 bucket);
// or one line saying why the metrics are unavailable. Ends with '\n'.
std::string format_server_table(const metrics::ServerSummary& s);

}  // namespace inferbench::report
