#pragma once
// The closed-loop load point shared by the metrics and report tests (each test hand-computes
// its expected values from this timeline; change it and both suites must be re-derived).
#include <vector>

#include "metrics/request_record.hpp"
#include "timeline.hpp"

namespace inferbench::metrics::testing {

// One closed-loop load point, all times in ms:
//   warm-up  sent    0, done 5000                        (excluded everywhere)
//   r1 ok    sent 1000, chunks 1100 1120 1140, done 1150, usage 100 in / 3 out / 40 cached
//   r2 ok    sent 1050, chunks 1250 1300,      done 1310, usage 200 in / 5 out, client says 199 in
//   r3 ok    sent 1100, chunk 1400,            done 1400, client counts only: 50 in / 1 out
//   r4 fail  sent 1200, done 2100, http_500
//   r5 fail  sent 1300, done 1350, http_429
//   r6 fail  sent 1320, done 1330, http_429
// So the measured requests have TTFT {100, 200, 300} and E2E {140, 250, 300} ms, the window is
// 1000 → 2100 ms (1.1 s), with 350 input and 9 output tokens.
inline std::vector<RequestRecord> closed_loop_records() {
  std::vector<RequestRecord> v;
  RequestRecord w = request(0, {{100, 0}}, 5000);
  w.warmup = true;
  w.usage.completion_tokens = 1;
  v.push_back(w);
  RequestRecord r1 = request(1000, {{1100, 0}, {1120, 0}, {1140, 0}}, 1150);
  r1.usage.prompt_tokens = 100;
  r1.usage.completion_tokens = 3;
  r1.usage.cached_tokens = 40;
  v.push_back(r1);
  RequestRecord r2 = request(1050, {{1250, 0}, {1300, 0}}, 1310);
  r2.usage.prompt_tokens = 200;
  r2.usage.completion_tokens = 5;
  r2.client_prompt_tokens = 199;
  v.push_back(r2);
  RequestRecord r3 = request(1100, {{1400, 0}}, 1400);
  r3.client_prompt_tokens = 50;
  r3.client_output_tokens = 1;
  v.push_back(r3);
  v.push_back(failure(1200, 2100, Failure::HttpStatus, 500));
  v.push_back(failure(1300, 1350, Failure::HttpStatus, 429));
  v.push_back(failure(1320, 1330, Failure::HttpStatus, 429));
  return v;
}

}  // namespace inferbench::metrics::testing
