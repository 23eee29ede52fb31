#pragma once
// Compares two load-point summaries statistic by statistic: every leaf of their summary.json
// form (report::to_json), by key path, exactly (doubles with ==, NaN as null).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "metrics/summary.hpp"
#include "report/json.hpp"

namespace inferbench::test {

inline void expect_same_json(const nlohmann::json& want, const nlohmann::json& got, const std::string& path,
                             std::size_t& leaves) {
  if (want.is_object() && got.is_object()) {
    for (const auto& [key, value] : want.items()) {
      if (!got.contains(key)) {
        ADD_FAILURE() << path << "." << key << " is missing";
        continue;
      }
      expect_same_json(value, got[key], path + "." + key, leaves);
    }
    for (const auto& [key, value] : got.items()) {
      if (!want.contains(key)) ADD_FAILURE() << path << "." << key << " is extra";
    }
    return;
  }
  ++leaves;
  EXPECT_EQ(want, got) << "statistic " << path;
}

// Every statistic of `got` equals `want`'s; returns how many were compared.
inline std::size_t expect_same_summary(const metrics::LoadPointSummary& want, const metrics::LoadPointSummary& got) {
  std::size_t leaves = 0;
  expect_same_json(report::to_json(want), report::to_json(got), "summary", leaves);
  return leaves;
}

}  // namespace inferbench::test
