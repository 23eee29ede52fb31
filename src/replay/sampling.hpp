#pragma once
// Which logged requests a replayer sends: FlowGPT's sampling by conversation, so several
// replayers given disjoint ranges split one log between them (docs/replay.md, "Sampling").
#include <string_view>
#include <vector>

#include "replay/log.hpp"

namespace inferbench::replay {

// A half-open range [start, end) of the conversation hash, 0 ≤ start < end ≤ 1.
struct SampleRange {
  double start = 0.0;
  double end = 1.0;
  bool all() const { return start <= 0.0 && end >= 1.0; }
};

// --sample-range START END or --sample-rate P (= [0, P)); throws inferbench::Error naming the
// flag for values outside 0 ≤ START < END ≤ 1 (or 0 < P ≤ 1).
SampleRange make_sample_range(double start, double end);
SampleRange make_sample_rate(double rate);

// FlowGPT's hash of a conversation id: the first 4 bytes of MD5(id) read big-endian, / 2^32;
// in [0, 1).
double conversation_hash(std::string_view conversation_id);

// True when the conversation's hash falls in `range`.
bool sampled(std::string_view conversation_id, const SampleRange& range);

// The entries of `entries` whose conversation is sampled, in order.
std::vector<Entry> sample(std::vector<Entry> entries, const SampleRange& range);

}  // namespace inferbench::replay
