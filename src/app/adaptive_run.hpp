#pragma once
// --sweep and --slo-search on a running session: each next load point is chosen from the
// results of the earlier ones (the decisions are app/sweep.hpp's; docs/sweeps.md).
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/run_config.hpp"
#include "app/run_session.hpp"

namespace inferbench::app {

// Runs config.adaptive's load points through `session`, recording the decisions in `summary`
// (top-level "sweep" or "slo_search", and per load point). Returns the text to print after the
// load points' own tables, or nullopt when the run must end with exit 1 (already reported).
std::optional<std::string> run_adaptive(RunSession& session, const RunConfig& config, nlohmann::json& summary);

}  // namespace inferbench::app
