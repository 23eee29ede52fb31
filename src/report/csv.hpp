#pragma once
// CSV export of load points: RFC 4180 quoting, "\n" line ends, header row first, and an empty
// cell where a value is undefined or does not apply.
#include <string>
#include <vector>

#include "metrics/summary.hpp"

namespace inferbench::report {

// One header row and one row per load point with flattened columns ("ttft_ms_p50", …). The
// columns are the same for every mode, so closed- and open-loop points share one file.
std::string to_csv(const std::vector<metrics::LoadPointSummary>& points);

// One text cell, quoted when it holds a separator, quote or line break.
std::string csv_field(const std::string& s);

}  // namespace inferbench::report
