// Offline throughput on the shared hand-checked timeline (fixtures.hpp): 6 measured requests,
// 3 succeeded with 350 input and 9 output tokens, first send 1000 ms, last end 2100 ms.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "metrics/offline.hpp"

namespace inferbench::metrics {
namespace {

TEST(OfflineThroughput, HandCheckedTimeline) {
  const OfflineThroughput t = offline_throughput(testing::closed_loop_records());
  EXPECT_EQ(t.num_requests, 6u);
  EXPECT_EQ(t.completed, 3u);
  EXPECT_EQ(t.failed, 3u);
  EXPECT_EQ(t.total_input_tokens, 350);  // usage 100 + usage 200 (not the client's 199) + client 50
  EXPECT_EQ(t.total_output_tokens, 9);   // 3 + 5 + 1
  EXPECT_NEAR(t.elapsed_time, 1.1, 1e-9);
  EXPECT_NEAR(t.requests_per_second, 3 / 1.1, 1e-6);
  EXPECT_NEAR(t.input_tokens_per_second, 350 / 1.1, 1e-6);
  EXPECT_NEAR(t.output_tokens_per_second, 9 / 1.1, 1e-6);
  EXPECT_NEAR(t.total_tokens_per_second, 359 / 1.1, 1e-6);
}

TEST(OfflineThroughput, OutputCountedFromChunksWithoutUsage) {
  auto records = testing::closed_loop_records();
  records[1].usage.completion_tokens.reset();  // r1: 3 chunks of unknown size
  records[1].chunks[0].tokens = 4;             // ... but the first says it carried 4
  EXPECT_EQ(offline_throughput(records).total_output_tokens, 6 + 5 + 1);
}

TEST(OfflineThroughput, NothingElapsedGivesZeroRatesNotInfinity) {
  EXPECT_EQ(offline_throughput({}).requests_per_second, 0.0);
  std::vector<RequestRecord> one{testing::request(1000, {}, 1000)};
  const OfflineThroughput t = offline_throughput(one);
  EXPECT_EQ(t.elapsed_time, 0.0);
  EXPECT_EQ(t.total_tokens_per_second, 0.0);
}

}  // namespace
}  // namespace inferbench::metrics
