#pragma once
// The one place a failure becomes text: the labels of requests.jsonl, summary.json, the CSV and
// the terminal table ("connect_failed", "http_429", …; listed in docs/architecture.md).
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/request_record.hpp"
#include "metrics/summary.hpp"

namespace inferbench::report {

// The label of a failure ("http_429" for Failure::HttpStatus with status 429); "" for None.
std::string failure_label(const metrics::FailureKey& failure);
// The label of a record's failure; "" when it succeeded.
std::string failure_label(const metrics::RequestRecord& record);
// The failure a label names (the inverse of failure_label: "http_429" → HttpStatus 429);
// nullopt for text that is no label (results read back from requests.jsonl).
std::optional<metrics::FailureKey> parse_failure_label(std::string_view label);
// A load point's failure counts by label, in label order.
std::map<std::string, std::size_t> failure_counts(const metrics::LoadPointSummary& summary);

}  // namespace inferbench::report
