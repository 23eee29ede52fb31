// Sampling by conversation: the hash against MD5 computed by another program (md5sum) and known
// vectors, and disjoint ranges that split a log without loss or overlap.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "core/error.hpp"
#include "replay/sampling.hpp"

namespace inferbench::replay {
namespace {

// FlowGPT's value computed from md5sum's hex digest: the first 8 hex digits / 2^32.
double md5sum_hash(const std::string& id) {
  const auto path = std::filesystem::temp_directory_path() / ("inferbench_md5_" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << id;
  const std::string command = "md5sum " + path.string();
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  char hex[33] = {};
  EXPECT_EQ(std::fread(hex, 1, 32, pipe), 32u);
  ::pclose(pipe);
  std::filesystem::remove(path);
  return static_cast<double>(std::stoull(std::string(hex, 8), nullptr, 16)) / 4294967296.0;
}

TEST(Sampling, HashIsTheFirstFourMd5BytesBigEndian) {
  // RFC 1321 vectors: MD5("") = d41d8cd9…, MD5("abc") = 90015098….
  EXPECT_DOUBLE_EQ(conversation_hash(""), 0xd41d8cd9 / 4294967296.0);
  EXPECT_DOUBLE_EQ(conversation_hash("abc"), 0x90015098 / 4294967296.0);
  for (const std::string id : {"conv-1", "6f1c2a9e-0d4b-4c1e-9a55-3f0f1c2b7e01", "ünïcødé", "a b\tc", "12345"}) {
    EXPECT_DOUBLE_EQ(conversation_hash(id), md5sum_hash(id)) << id;
  }
}

TEST(Sampling, DisjointRangesPartitionALog) {
  std::vector<Entry> log;
  for (int i = 0; i < 2000; ++i) {
    Entry e;
    e.conversation_id = "conversation-" + std::to_string(i % 700);  // several requests per conversation
    e.line = static_cast<std::size_t>(i) + 1;
    log.push_back(e);
  }
  const SampleRange parts[] = {make_sample_range(0.0, 0.3), make_sample_range(0.3, 0.55), make_sample_range(0.55, 1.0)};
  std::set<std::size_t> seen;
  std::size_t total = 0;
  for (const auto& range : parts) {
    const auto kept = sample(log, range);
    EXPECT_GT(kept.size(), 200u);  // each part gets a fair share of 2000
    total += kept.size();
    for (const auto& e : kept) {
      EXPECT_TRUE(seen.insert(e.line).second) << "line " << e.line << " in two ranges";
      // A conversation goes wholly to one replayer.
      const double h = conversation_hash(e.conversation_id);
      EXPECT_TRUE(range.start <= h && h < range.end);
    }
  }
  EXPECT_EQ(total, log.size());
  EXPECT_EQ(sample(log, make_sample_rate(1.0)).size(), log.size());
  // --sample-rate P is the range [0, P).
  EXPECT_EQ(sample(log, make_sample_rate(0.3)).size(), sample(log, parts[0]).size());
}

TEST(Sampling, RejectsBadRanges) {
  EXPECT_THROW(make_sample_range(0.5, 0.5), Error);
  EXPECT_THROW(make_sample_range(-0.1, 0.5), Error);
  EXPECT_THROW(make_sample_range(0.2, 1.5), Error);
  EXPECT_THROW(make_sample_range(0.0, std::nan("")), Error);
  EXPECT_THROW(make_sample_rate(0.0), Error);
  EXPECT_THROW(make_sample_rate(1.01), Error);
}

}  // namespace
}  // namespace inferbench::replay
