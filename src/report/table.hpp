#pragma once
// Aligned plain-text tables for the terminal (no colour, no trailing spaces). Undefined → "-".
#include <string>
#include <vector>

#include "metrics/summary.hpp"

namespace inferbench::report {

// Short name of a load point, e.g. "concurrency 4", "rate 10/s poisson", "rate 5/s gamma(0.5), cap 8".
std::string load_label(const metrics::LoadSpec& load);

// A multi-line table for one load point: counts, throughput, latency (mean p50 p90 p99 max, ms),
// goodput when SLOs were given, achieved rate and schedule lag in open loop. Ends with '\n'.
std::string format_table(const metrics::LoadPointSummary& s);

// One line per load point: load, req/s, out tok/s, TTFT p50/p99, TPOT p50/p99, E2E p50, failed.
std::string format_sweep_table(const std::vector<metrics::LoadPointSummary>& points);
// The same with a last column `notes_title` holding notes[i] for points[i] (what a sweep or an
// SLO search decided at that point; a missing note is left blank).
std::string format_sweep_table(const std::vector<metrics::LoadPointSummary>& points, const std::string& notes_title,
                               const std::vector<std::string>& notes);

// Rows as an aligned table: the first and last columns left-aligned, the others right-aligned.
std::string format_rows(const std::vector<std::vector<std::string>>& rows);

}  // namespace inferbench::report
