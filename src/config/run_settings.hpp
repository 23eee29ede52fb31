#pragma once
// The declared settings of `inferbench run`: the one table every flag, key and doc comes from.
#include "config/schema.hpp"

namespace inferbench::config {

// The schema of `inferbench run` (built once, lives for the program).
const Schema& run_settings();

}  // namespace inferbench::config
