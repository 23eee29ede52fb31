#pragma once
// Parser of the Prometheus text exposition format (version 0.0.4), as served at /metrics by
// vLLM, SGLang, TGI and llama.cpp. Also accepts the OpenMetrics additions those servers may
// emit: a final `# EOF`, exemplars after a value (skipped) and the extra TYPE names.
// `_created` series are kept as ordinary samples; callers decide to ignore them.
// Pure functions, no I/O; safe to call from any thread.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferbench::protocol {

// A metric family's type from its `# TYPE` line (Untyped when there is none).
enum class PromType { Untyped, Counter, Gauge, Histogram, Summary, Info, StateSet, GaugeHistogram };

// "counter", "gauge", … ("untyped" for Untyped).
std::string_view to_string(PromType type);

// One sample line: `name{label="value",…} value [timestamp]`.
struct PromSample {
  std::string name;                                         // series name as written (with _total, _bucket, …)
  std::vector<std::pair<std::string, std::string>> labels;  // in order of appearance; values unescaped
  double value = 0.0;                                       // may be NaN or ±Inf
  std::optional<double> timestamp;  // as written: ms since the epoch in 0.0.4, seconds in OpenMetrics

  // The value of label `key`, or nullptr when the sample has no such label.
  const std::string* label(std::string_view key) const;
};

// What `# HELP` and `# TYPE` lines say about one family name.
struct PromFamily {
  PromType type = PromType::Untyped;
  std::string help;  // unescaped (`\\` and `\n`); empty when there is no HELP line
};

// A whole parsed exposition.
struct PromExposition {
  std::vector<PromSample> samples;             // in order of appearance
  std::map<std::string, PromFamily> families;  // keyed by the name on the HELP/TYPE line
  bool eof_marker = false;                     // an OpenMetrics `# EOF` line ended the text

  // The family a series name belongs to: the exact name if it has HELP/TYPE, else the name
  // without a `_bucket`/`_sum`/`_count`/`_total`/`_created`/`_info` suffix when that has one.
  const PromFamily* family_of(std::string_view series_name) const;
};

// The result of parsing: the exposition, or the first error (then `exposition` holds the
// samples before it). `line` is 1-based.
struct PromParseResult {
  PromExposition exposition;
  std::string error;  // "line 12: …"; empty on success
  std::size_t error_line = 0;

  bool ok() const { return error.empty(); }
};

// Parses `text` (lines end with \n; a \r before it is tolerated). Never throws on bad input:
// the first malformed line stops the parse (as Prometheus rejects the whole scrape).
PromParseResult parse_prometheus(std::string_view text);

}  // namespace inferbench::protocol
