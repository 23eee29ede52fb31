#pragma once
// inference-perf's `data:` section, one part of from_inference_perf (inference_perf.cpp).
#include "config/foreign/reader.hpp"
#include "config/values.hpp"

namespace inferbench::config::foreign {

// Maps data.type and its settings (distributions, shared_prefix, shareGPT) onto workload.*.
void map_inference_perf_data(Reader& r, Values& v);

}  // namespace inferbench::config::foreign
