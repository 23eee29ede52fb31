#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "metrics/request_metrics.hpp"
#include "timeline.hpp"

namespace inferbench::metrics {
namespace {

using testing::at;
using testing::request;

// The token-weighted ITL samples, expanded (each value repeated by its weight).
std::vector<double> itl(const RequestRecord& r) {
  std::vector<WeightedSample> weighted;
  append_itl_ms(r, derive(r), weighted);
  std::vector<double> out;
  for (const WeightedSample& s : weighted) out.insert(out.end(), s.weight, s.value);
  return out;
}

std::vector<double> gaps(const RequestRecord& r) {
  std::vector<double> out;
  append_inter_chunk_ms(r, out);
  return out;
}

TEST(Derive, SingleTokenOutputHasNoTpotOrItl) {
  RequestRecord r = request(0, {{100, 0}}, 105);
  r.usage.prompt_tokens = 10;
  r.usage.completion_tokens = 1;
  const RequestMetrics m = derive(r);
  EXPECT_EQ(m.input_tokens, 10);
  EXPECT_TRUE(m.input_tokens_from_usage);
  EXPECT_EQ(m.output_tokens, 1);
  EXPECT_TRUE(m.output_tokens_from_usage);
  EXPECT_EQ(m.chunks, 1u);
  EXPECT_DOUBLE_EQ(*m.ttft_ms, 100.0);
  EXPECT_DOUBLE_EQ(*m.e2e_ms, 100.0);
  EXPECT_DOUBLE_EQ(m.done_ms, 105.0);
  EXPECT_FALSE(m.tpot_ms.has_value());   // undefined for out < 2
  EXPECT_DOUBLE_EQ(*m.ntpot_ms, 100.0);  // 100 ms / 1 token
  EXPECT_FALSE(m.max_itl_ms.has_value());
  EXPECT_DOUBLE_EQ(m.schedule_lag_ms, 0.0);
  EXPECT_TRUE(itl(r).empty());
  EXPECT_TRUE(gaps(r).empty());
}

TEST(Derive, MultiTokenChunksWithKnownCounts) {
  // Chunks at 50 (1 token), 70 (2 tokens), 110 (3 tokens); 6 tokens in total.
  RequestRecord r = request(0, {{50, 1}, {70, 2}, {110, 3}}, 112);
  r.usage.completion_tokens = 6;
  const RequestMetrics m = derive(r);
  EXPECT_DOUBLE_EQ(*m.ttft_ms, 50.0);
  EXPECT_DOUBLE_EQ(*m.e2e_ms, 110.0);
  EXPECT_DOUBLE_EQ(m.done_ms, 112.0);
  EXPECT_DOUBLE_EQ(*m.tpot_ms, 12.0);          // (110 − 50) / (6 − 1)
  EXPECT_DOUBLE_EQ(*m.ntpot_ms, 110.0 / 6.0);  // e2e / out
  // Gap 20 ms over 2 tokens → 2 × 10; gap 40 ms over 3 tokens → 3 × 13.33.
  const std::vector<double> s = itl(r);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_DOUBLE_EQ(s[0], 10.0);
  EXPECT_DOUBLE_EQ(s[1], 10.0);
  for (int i = 2; i < 5; ++i) EXPECT_DOUBLE_EQ(s[i], 40.0 / 3.0);
  EXPECT_DOUBLE_EQ(*m.max_itl_ms, 40.0 / 3.0);
  EXPECT_EQ(gaps(r), (std::vector<double>{20.0, 40.0}));
  EXPECT_EQ(ChunkTokens(r, m.output_tokens).source(), ChunkTokens::Source::Reported);
}

TEST(Derive, UnknownChunkCountsAreEstimatedFromUsage) {
  // 4 chunks, 8 tokens: first chunk 1, the other 7 over 3 chunks → 3, 2, 2 (earlier get more).
  RequestRecord r = request(0, {{10, 0}, {20, 0}, {40, 0}, {70, 0}}, 70);
  r.usage.completion_tokens = 8;
  const RequestMetrics m = derive(r);
  const ChunkTokens n(r, m.output_tokens);
  EXPECT_EQ(n.source(), ChunkTokens::Source::Estimated);
  EXPECT_EQ(n(0), 1u);
  EXPECT_EQ(n(1), 3u);
  EXPECT_EQ(n(2), 2u);
  EXPECT_EQ(n(3), 2u);
  const std::vector<double> s = itl(r);
  ASSERT_EQ(s.size(), 7u);  // out − 1 samples
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(s[i], 10.0 / 3.0);
  EXPECT_DOUBLE_EQ(s[3], 10.0);  // 20 ms over 2
  EXPECT_DOUBLE_EQ(s[4], 10.0);
  EXPECT_DOUBLE_EQ(s[5], 15.0);  // 30 ms over 2
  EXPECT_DOUBLE_EQ(s[6], 15.0);
  EXPECT_DOUBLE_EQ(*m.max_itl_ms, 15.0);
  EXPECT_DOUBLE_EQ(*m.tpot_ms, 60.0 / 7.0);
  EXPECT_EQ(gaps(r), (std::vector<double>{10.0, 20.0, 30.0}));
}

TEST(Derive, PartlyReportedCountsFallBackToTheEstimate) {
  RequestRecord r = request(0, {{10, 1}, {20, 0}, {30, 5}}, 30);
  r.usage.completion_tokens = 6;  // 1 + 5 over 2 later chunks → 3, 2
  const ChunkTokens n(r, derive(r).output_tokens);
  EXPECT_EQ(n.source(), ChunkTokens::Source::Estimated);
  EXPECT_EQ(n(1), 3u);
  EXPECT_EQ(n(2), 2u);
}

TEST(Derive, SingleChunkHoldsTheWholeEstimatedOutput) {
  RequestRecord r = request(0, {{10, 0}}, 10);
  r.usage.completion_tokens = 9;
  const RequestMetrics m = derive(r);
  EXPECT_EQ(ChunkTokens(r, m.output_tokens)(0), 9u);
  EXPECT_DOUBLE_EQ(*m.tpot_ms, 0.0);  // all 9 tokens arrived at once: t_last == t_first
  EXPECT_FALSE(m.max_itl_ms.has_value());
}

TEST(Derive, ClientCountsWhenUsageIsMissing) {
  RequestRecord r = request(0, {{10, 0}, {30, 0}}, 31);
  r.client_prompt_tokens = 17;
  r.client_output_tokens = 3;
  const RequestMetrics m = derive(r);
  EXPECT_EQ(m.input_tokens, 17);
  EXPECT_FALSE(m.input_tokens_from_usage);
  EXPECT_EQ(m.output_tokens, 3);
  EXPECT_FALSE(m.output_tokens_from_usage);
  EXPECT_DOUBLE_EQ(*m.tpot_ms, 10.0);                    // (30 − 10) / 2
  EXPECT_EQ(itl(r), (std::vector<double>{10.0, 10.0}));  // second chunk holds 2 tokens
}

TEST(Derive, UsageWinsOverClientCounts) {
  RequestRecord r = request(0, {{10, 0}}, 11);
  r.client_prompt_tokens = 17;
  r.client_output_tokens = 3;
  r.usage.prompt_tokens = 18;
  r.usage.completion_tokens = 4;
  const RequestMetrics m = derive(r);
  EXPECT_EQ(m.input_tokens, 18);
  EXPECT_EQ(m.output_tokens, 4);
  EXPECT_TRUE(m.output_tokens_from_usage);
}

TEST(Derive, UnknownOutputCountMeansOneTokenPerChunkAndNoTpot) {
  RequestRecord r = request(0, {{10, 0}, {25, 0}, {45, 0}}, 45);
  const RequestMetrics m = derive(r);
  EXPECT_FALSE(m.input_tokens.has_value());
  EXPECT_FALSE(m.output_tokens.has_value());
  EXPECT_FALSE(m.tpot_ms.has_value());
  EXPECT_FALSE(m.ntpot_ms.has_value());
  EXPECT_EQ(ChunkTokens(r, m.output_tokens).source(), ChunkTokens::Source::OnePerChunk);
  EXPECT_EQ(itl(r), (std::vector<double>{15.0, 20.0}));
  EXPECT_DOUBLE_EQ(*m.max_itl_ms, 20.0);
}

TEST(Derive, FewerTokensThanChunksMeansOneTokenPerChunk) {
  RequestRecord r = request(0, {{10, 0}, {25, 0}, {45, 0}}, 45);
  r.usage.completion_tokens = 2;
  const RequestMetrics m = derive(r);
  EXPECT_EQ(ChunkTokens(r, m.output_tokens).source(), ChunkTokens::Source::OnePerChunk);
  EXPECT_EQ(itl(r), (std::vector<double>{15.0, 20.0}));
  EXPECT_DOUBLE_EQ(*m.tpot_ms, 35.0);  // TPOT still uses out: (45 − 10) / (2 − 1)
}

TEST(Derive, OpenLoopTimesFromTheSchedule) {
  RequestRecord r = request(5, {{25, 0}, {45, 0}}, 50);
  r.scheduled = at(0);
  const RequestMetrics m = derive(r);
  EXPECT_DOUBLE_EQ(m.schedule_lag_ms, 5.0);
  EXPECT_DOUBLE_EQ(*m.ttft_ms, 20.0);
  EXPECT_DOUBLE_EQ(*m.ttft_from_sched_ms, 25.0);
  EXPECT_DOUBLE_EQ(*m.e2e_ms, 40.0);
  EXPECT_DOUBLE_EQ(*m.e2e_from_sched_ms, 45.0);
  EXPECT_DOUBLE_EQ(m.done_ms, 45.0);
}

TEST(Derive, NoChunksLeavesLatenciesUndefined) {
  const RequestRecord r = testing::failure(0, 30, Failure::HttpStatus, 500);
  const RequestMetrics m = derive(r);
  EXPECT_FALSE(m.ttft_ms.has_value());
  EXPECT_FALSE(m.e2e_ms.has_value());
  EXPECT_FALSE(m.tpot_ms.has_value());
  EXPECT_DOUBLE_EQ(m.done_ms, 30.0);
}

TEST(AppendItl, ReusesTheCallersVector) {
  RequestRecord r = request(0, {{10, 1}, {20, 1}}, 20);
  std::vector<WeightedSample> out;
  out.reserve(16);
  const WeightedSample* data = out.data();
  const RequestMetrics m = derive(r);
  append_itl_ms(r, m, out);
  append_itl_ms(r, m, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].value, 10.0);
  EXPECT_EQ(out[1].weight, 1u);
  EXPECT_EQ(out.data(), data);  // appended in place, no reallocation
}

// A server's count drives no allocation: 2^32 tokens claimed over two chunks is one entry.
TEST(AppendItl, OneEntryPerChunkWhateverTheCountSays) {
  RequestRecord r = request(0, {{10, 0}, {20, 0}}, 20);
  r.max_tokens = std::int64_t{1} << 40;  // the user asked for anything: only the absolute bound applies
  r.usage.completion_tokens = kMaxPlausibleTokens;
  const RequestMetrics m = derive(r);
  ASSERT_EQ(m.usage_problem, UsageProblem::None);
  std::vector<WeightedSample> out;
  append_itl_ms(r, m, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].weight, static_cast<std::uint64_t>(kMaxPlausibleTokens - 1));
}

TEST(CheckUsage, ImplausibleCountsAreNotBelieved) {
  RequestRecord r = request(0, {{10, 0}, {20, 0}}, 20);
  r.max_tokens = 128;
  r.client_output_tokens = 2;  // what the client's tokenizer counted
  const auto verdict = [&](std::optional<std::int64_t> prompt, std::optional<std::int64_t> completion,
                           std::optional<std::int64_t> cached = std::nullopt) {
    r.usage = {prompt, completion, cached};
    return derive(r);
  };
  EXPECT_EQ(verdict(10, 128).usage_problem, UsageProblem::None);
  EXPECT_EQ(verdict(10, 128 + 16).usage_problem, UsageProblem::None);  // within the slack
  EXPECT_EQ(verdict(10, 128 + 17).usage_problem, UsageProblem::AboveMaxTokens);
  EXPECT_EQ(verdict(10, std::int64_t{1} << 32).usage_problem, UsageProblem::AboveLimit);
  EXPECT_EQ(verdict(10, -4718).usage_problem, UsageProblem::Negative);
  EXPECT_EQ(verdict(-1, 2).usage_problem, UsageProblem::Negative);
  EXPECT_EQ(verdict(INT64_MAX, 2).usage_problem, UsageProblem::AboveLimit);
  EXPECT_EQ(verdict(10, 2, 11).usage_problem, UsageProblem::CachedAbovePrompt);

  // A rejected usage gives no count: the client's own count, else unknown.
  const RequestMetrics m = verdict(INT64_MAX, std::int64_t{1} << 32);
  EXPECT_FALSE(m.input_tokens.has_value());
  EXPECT_EQ(m.output_tokens, 2);
  EXPECT_FALSE(m.output_tokens_from_usage);
  r.client_output_tokens = -1;
  EXPECT_FALSE(verdict(10, -5).output_tokens.has_value());
}

TEST(CheckUsage, SlackIsFivePercentOrSixteenTokens) {
  EXPECT_EQ(output_token_slack(0), 16);
  EXPECT_EQ(output_token_slack(128), 16);
  EXPECT_EQ(output_token_slack(2048), 102);
}

}  // namespace
}  // namespace inferbench::metrics
