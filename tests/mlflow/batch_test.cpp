// The client side of MLflow's limits (mlflow/utils/validation.py): keys, value lengths, and
// the cutting of one run's data into log-batch requests.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "mlflow/batch.hpp"
#include "mlflow/client.hpp"
#include "mlflow/limits.hpp"

namespace inferbench::mlflow {
namespace {

TEST(MlflowKeys, AcceptsWhatMlflowAccepts) {
  for (const char* key : {"time_to_first_token.p99", "a/b/c", "with space", "dash-and_under", "x", "v1.2"}) {
    EXPECT_EQ(key_problem(key), "") << key;
  }
}

TEST(MlflowKeys, RefusesWhatMlflowRefuses) {
  for (const char* key :
       {"", "a:b", "a,b", "tab\t", "/lead", "trail/", "a//b", "a/./b", "a/../b", "..x", ".", "x/.", "caf\xc3\xa9"}) {
    EXPECT_NE(key_problem(key), "") << key;
  }
  EXPECT_EQ(key_problem(std::string(kMaxKeyLength, 'k')), "");
  EXPECT_NE(key_problem(std::string(kMaxKeyLength + 1, 'k')), "");
}

TEST(MlflowKeys, SanitizedKeysAreAccepted) {
  for (const char* key : {"gpu:shape", "/a//b/", "..", "a/../b", "x/./y", "", "\xff\xfe", "labels.tp=8"}) {
    const std::string s = sanitize_key(key);
    EXPECT_EQ(key_problem(s), "") << key << " -> " << s;
  }
  EXPECT_EQ(sanitize_key("gpu:shape"), "gpu_shape");
}

TEST(MlflowValues, TruncatesByCharactersNotInsideUtf8) {
  bool cut = false;
  const std::string e_acute = "\xc3\xa9";  // one character, two bytes
  std::string text;
  for (int i = 0; i < 10; ++i) text += e_acute;
  const std::string out = truncate_chars(text, 4, &cut);
  EXPECT_TRUE(cut);
  EXPECT_EQ(out.size(), 8u);
  EXPECT_EQ(truncate_chars("abc", 3, &cut), "abc");
  EXPECT_FALSE(cut);
}

TEST(MlflowBatch, MakeValidDropsNonFiniteAndBadKeysTruncatesLongValues) {
  Batch b;
  b.metrics = {{"ok", 1.5, 10, 0},
               {"nan", std::nan(""), 10, 0},
               {"inf", std::numeric_limits<double>::infinity(), 10, 0},
               {"bad:key", 2, 10, 0}};
  b.params = {{"long", std::string(kMaxParamValueLength + 10, 'v')}, {"dup", "1"}, {"dup", "2"}, {"a/../b", "x"}};
  b.tags = {{"t", std::string(kMaxTagValueLength + 1, 't')}};
  std::vector<std::string> warnings;
  const Batch v = make_valid(b, warnings);
  ASSERT_EQ(v.metrics.size(), 1u);
  EXPECT_EQ(v.metrics[0].key, "ok");
  ASSERT_EQ(v.params.size(), 2u);
  EXPECT_EQ(v.params[0].value.size(), kMaxParamValueLength);
  EXPECT_EQ(v.params[1].value, "1");
  EXPECT_EQ(v.tags[0].value.size(), kMaxTagValueLength);
  // The bad key, the duplicate, the bad param key, the two truncations.
  EXPECT_EQ(warnings.size(), 5u);
}

TEST(MlflowBatch, SplitsWithinEveryLimit) {
  Batch b;
  for (int i = 0; i < 2500; ++i) b.metrics.push_back({"m" + std::to_string(i), i * 1.0, 1, 0});
  for (int i = 0; i < 230; ++i) b.params.push_back({"p" + std::to_string(i), "v"});
  for (int i = 0; i < 150; ++i) b.tags.push_back({"t" + std::to_string(i), "v"});
  const auto requests = split_into_requests(b, "run");
  std::size_t metrics = 0, params = 0, tags = 0;
  std::set<std::string> keys;
  for (const auto& r : requests) {
    EXPECT_EQ(r["run_id"], "run");
    EXPECT_LE(r["metrics"].size(), kMaxMetricsPerBatch);
    EXPECT_LE(r["params"].size(), kMaxParamsPerBatch);
    EXPECT_LE(r["tags"].size(), kMaxTagsPerBatch);
    EXPECT_LE(r["metrics"].size() + r["params"].size() + r["tags"].size(), kMaxEntitiesPerBatch);
    EXPECT_LE(r.dump().size(), kMaxBatchBytes);
    metrics += r["metrics"].size();
    params += r["params"].size();
    tags += r["tags"].size();
    for (const auto& m : r["metrics"]) keys.insert(m["key"].get<std::string>());
  }
  EXPECT_EQ(metrics, 2500u);
  EXPECT_EQ(params, 230u);
  EXPECT_EQ(tags, 150u);
  EXPECT_EQ(keys.size(), 2500u);  // each metric exactly once
}

TEST(MlflowBatch, SplitsByBytes) {
  Batch b;  // 100 params of 6000 characters of 3-byte UTF-8: 1.8 MB in all
  std::string value;
  for (std::size_t i = 0; i < kMaxParamValueLength; ++i) value += "\xe2\x82\xac";
  for (int i = 0; i < 100; ++i) b.params.push_back({"p" + std::to_string(i), value});
  const auto requests = split_into_requests(b, "run");
  EXPECT_GE(requests.size(), 2u);
  std::size_t params = 0;
  for (const auto& r : requests) {
    EXPECT_LE(r.dump().size(), kMaxBatchBytes);
    params += r["params"].size();
  }
  EXPECT_EQ(params, 100u);
}

TEST(MlflowBatch, EmptyBatchSendsNothing) { EXPECT_TRUE(split_into_requests(Batch{}, "run").empty()); }

TEST(MlflowArtifacts, ProxyPathOfArtifactUri) {
  EXPECT_EQ(proxy_artifact_path("mlflow-artifacts:/1/abc/artifacts", "summary.json"), "1/abc/artifacts/summary.json");
  EXPECT_EQ(proxy_artifact_path("mlflow-artifacts://host:5000/1/abc/artifacts/", "a.csv"), "1/abc/artifacts/a.csv");
  EXPECT_EQ(proxy_artifact_path("s3://bucket/1/abc/artifacts", "a"), std::nullopt);
  EXPECT_EQ(proxy_artifact_path("file:///tmp/mlruns/1/abc/artifacts", "a"), std::nullopt);
}

}  // namespace
}  // namespace inferbench::mlflow
