#pragma once
// Scrape rounds built from exposition text, for the aggregation tests.
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "server_metrics/scraper.hpp"

namespace inferbench::server_metrics::test {

// A round at `t_s` reading one body per source; during the load unless `during_load` is false
// (the rounds at start() and stop()).
inline ScrapeRound round_at(double t_s, const std::vector<std::string>& bodies, bool during_load = true) {
  ScrapeRound r;
  r.time = TimePoint{} + from_s(t_s);
  r.during_load = during_load;
  for (const auto& b : bodies) r.sources.push_back(reduce_exposition(b));
  return r;
}

}  // namespace inferbench::server_metrics::test
