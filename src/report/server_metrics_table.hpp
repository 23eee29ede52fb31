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

// A few lines under a "server" heading: running/waiting and KV usage (mean/max), queue,
// prefill and decode time (mean, p99), preemptions, prefix-cache hit rate, server TTFT/ITL p50;
// or one line saying why the metrics are unavailable. Ends with '\n'.
std::string format_server_table(const metrics::ServerSummary& s);

}  // namespace inferbench::report
