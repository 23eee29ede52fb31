#pragma once
// The raw timeline in each line of requests.jsonl: enough to rebuild the RequestRecord that
// metrics::summarize reads, exactly (the line format is in docs/results-format.md).
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.hpp"
#include "metrics/request_record.hpp"
#include "results/anchor.hpp"

namespace inferbench::results {

// One whole line of requests.jsonl for `record` of load point `load_point`: the derived
// metrics (report::request_line), the raw timeline, and the send time for people
// ("sent_offset_s", "sent_at"). Off the hot path only.
nlohmann::json request_line(const metrics::RequestRecord& record, std::size_t load_point, const Anchor& anchor);

// Appends the text of request_line (no newline) to `out`, byte for byte as report::to_text would
// dump it, without building the JSON object: what the collector writes for every request.
void append_request_line(std::string& out, const metrics::RequestRecord& record, std::size_t load_point,
                         const Anchor& anchor);

// Rebuilds the record of one line (report::request_line plus the raw timeline), its times placed at
// `anchor` + offset. Throws inferbench::Error with a one-line reason naming the key.
metrics::RequestRecord parse_record(const nlohmann::json& line, TimePoint anchor);

}  // namespace inferbench::results
