// Sharding as data: every shard computes the same seeded global schedule and keeps request i
// when i mod N == K; the union of the N slices is the single schedule exactly.
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "schedule/schedule.hpp"

namespace inferbench::schedule {
namespace {

constexpr std::size_t kShardCounts[] = {1, 2, 3, 4, 7, 16};

TEST(Shards, UnionOfOpenLoopSlicesIsTheSingleScheduleForEveryArrivalProcess) {
  for (const Arrival arrival : {Arrival::Constant, Arrival::Poisson, Arrival::Gamma}) {
    const RateSpec spec{250.0, arrival, 0.4};
    const std::size_t total = 1001;
    const std::vector<Duration> single = make_offsets(spec, total, 42);
    for (const std::size_t n : kShardCounts) {
      SCOPED_TRACE(to_string(arrival) + " over " + std::to_string(n) + " shards");
      // Each shard computes the global schedule itself (same seed) and takes its slice:
      // (request number, intended offset, which prompt: number mod 8 specs).
      std::map<std::size_t, std::tuple<Duration, std::size_t>> merged;
      std::size_t sizes = 0;
      for (std::size_t k = 0; k < n; ++k) {
        const Shard shard{k, n};
        const std::vector<Duration> own_copy = make_offsets(spec, total, 42);
        const std::vector<std::size_t> mine = owned_numbers(shard, own_copy.size());
        EXPECT_EQ(mine.size(), owned_count(shard, total));
        sizes += mine.size();
        for (const std::size_t i : mine) {
          EXPECT_TRUE(owns(shard, i));
          EXPECT_TRUE(merged.emplace(i, std::tuple{own_copy[i], i % 8}).second) << "request " << i << " twice";
        }
        // Slices differ in size by at most one.
        EXPECT_LE(owned_count(shard, total), total / n + 1);
        EXPECT_GE(owned_count(shard, total), total / n);
      }
      EXPECT_EQ(sizes, total);
      ASSERT_EQ(merged.size(), total);
      std::size_t i = 0;
      for (const auto& [number, entry] : merged) {
        EXPECT_EQ(number, i);
        EXPECT_EQ(std::get<0>(entry), single[i]) << "offset of request " << i;
        EXPECT_EQ(std::get<1>(entry), i % 8);
        ++i;
      }
    }
  }
}

TEST(Shards, ClosedLoopUsersAndRequestNumbersPartitionTheRun) {
  const std::size_t users = 37;
  const std::size_t limit = 505;  // warm-up + measured requests
  for (const std::size_t n : kShardCounts) {
    std::vector<int> user_seen(users, 0);
    std::vector<int> request_seen(limit, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const Shard shard{k, n};
      // A shard's users are its local users 0, 1, … mapped to global numbers (the ramp uses them).
      for (std::size_t local = 0; local < owned_count(shard, users); ++local) ++user_seen[global_number(shard, local)];
      // Its requests: the local counter j → global number K + j·N, until the run's limit.
      for (std::size_t j = 0;; ++j) {
        const std::size_t number = global_number(shard, j);
        if (number >= limit) break;
        ++request_seen[number];
      }
    }
    for (std::size_t u = 0; u < users; ++u) EXPECT_EQ(user_seen[u], 1) << "user " << u << " over " << n;
    for (std::size_t r = 0; r < limit; ++r) EXPECT_EQ(request_seen[r], 1) << "request " << r << " over " << n;
  }
}

}  // namespace
}  // namespace inferbench::schedule
