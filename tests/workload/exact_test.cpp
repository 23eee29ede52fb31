// Every generated prompt re-encodes to exactly its target under the Llama-3, Qwen3 and Llama-2
// tokenizers: synthetic, random, shared-prefix, prefix-ratio and multi-turn.
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "test_support.hpp"
#include "workload/corpus.hpp"
#include "workload/exact_text.hpp"
#include "workload/workload.hpp"

namespace inferbench::workload {
namespace {

using test::real_tokenizer;

class Exact : public ::testing::TestWithParam<std::string> {
 protected:
  const tokenizer::Tokenizer& tok() const { return real_tokenizer(GetParam()); }
  std::int64_t count(const std::string& text) const { return static_cast<std::int64_t>(tok().count(text)); }
  Workload make(const std::string& dataset, const std::string& input = "128", const std::string& output = "16",
                bool chat = false) const {
    WorkloadOptions o;
    o.dataset = dataset;
    o.input = LengthDist::parse(input, "--input-tokens");
    o.output = LengthDist::parse(output, "--output-tokens");
    o.chat = chat;
    o.tokenizer = tok();
    return Workload(o);
  }
  // The client count of a spec, recomputed from what is sent.
  std::int64_t sent_tokens(const RequestSpec& s) const {
    if (s.messages.empty()) return count(s.prompt);
    std::int64_t n = 0;
    for (const auto& m : s.messages) n += count(m.content);
    return n;
  }
};

TEST(Corpus, IsTheBundledPublicDomainText) {
  const auto text = corpus_text();
  EXPECT_EQ(text.size(), 200376u);
  EXPECT_EQ(text.substr(0, 15), "First Citizen:\n");
  EXPECT_EQ(text.back(), '\n');
}

TEST_P(Exact, SyntheticAndRandomPromptsHaveExactlyTheirLength) {
  const ExactText exact(tok(), corpus_text());
  Rng rng = make_rng(11, 0);
  for (const std::int64_t n : {1, 2, 3, 4, 7, 16, 63, 128, 500, 1000, 2048, 4096}) {
    for (int i = 0; i < 4; ++i) {
      const std::string s = exact.synthetic(n, rng);
      ASSERT_EQ(count(s), n) << "synthetic, n=" << n;
      const std::string r = exact.random(n, rng);
      ASSERT_EQ(count(r), n) << "random, n=" << n;
    }
  }
}

TEST_P(Exact, RandomPromptsHoldNoSpecialOrByteTokens) {
  const ExactText exact(tok(), corpus_text());
  Rng rng = make_rng(5, 0);
  for (int i = 0; i < 20; ++i) {
    const auto ids = tok().encode(exact.random(256, rng));
    for (const auto id : ids) {
      ASSERT_FALSE(tok().is_added(id)) << id;
    }
  }
  // Llama-2: the pool leaves out the 256 <0xNN> byte tokens (and the 3 added ones).
  if (GetParam() == "llama2") {
    EXPECT_EQ(exact.pool_size(), 32000u - 3 - 256);
  }
}

TEST_P(Exact, WorkloadSourcesGiveExactCountsForEachSampledLength) {
  for (const std::string dataset : {"synthetic", "random"}) {
    const auto w = make(dataset, "normal:300:120:20:700", "uniform:1:64");
    const auto specs = w.build(60, 3);
    ASSERT_EQ(specs.size(), 60u);
    std::set<std::string> distinct;
    for (const auto& s : specs) {
      ASSERT_EQ(sent_tokens(s), s.input_tokens) << dataset;
      EXPECT_GE(s.input_tokens, 20);
      EXPECT_LE(s.input_tokens, 700);
      EXPECT_GE(s.max_tokens, 1);
      EXPECT_LE(s.max_tokens, 64);
      distinct.insert(s.prompt);
    }
    EXPECT_EQ(distinct.size(), specs.size()) << dataset << ": prompts repeat";
    EXPECT_EQ(w.build(60, 3)[17].prompt, specs[17].prompt) << "not reproducible from the seed";
  }
}

TEST_P(Exact, SharedPrefixGroupsShareTheirSystemPrompt) {
  for (const bool chat : {false, true}) {
    const auto w = make("shared-prefix:groups=3,prompts_per_group=4,system_prompt_tokens=200,question_tokens=30", "128",
                        "16", chat);
    const auto specs = w.build(5, 9);  // groups × prompts_per_group, whatever the count
    ASSERT_EQ(specs.size(), 12u);
    std::map<std::string, int> systems;
    for (const auto& s : specs) {
      ASSERT_EQ(s.input_tokens, 230);
      ASSERT_EQ(sent_tokens(s), 230);
      if (chat) {
        ASSERT_EQ(s.messages.size(), 2u);
        EXPECT_EQ(count(s.messages[0].content), 200);
        EXPECT_EQ(count(s.messages[1].content), 30);
        ++systems[s.messages[0].content];
      } else {
        ++systems[s.prompt.substr(0, 300)];  // the system prompt is far longer than 300 bytes
      }
    }
    EXPECT_EQ(systems.size(), 3u);
    for (const auto& [text, n] : systems) EXPECT_EQ(n, 4);
    ASSERT_TRUE(w.intended_cache_ratio());
    EXPECT_NEAR(*w.intended_cache_ratio(), 200.0 / 230 * 3 / 4, 1e-12);
  }
}

TEST_P(Exact, PrefixRatioKeepsTheSameLeadingTokensAndReportsTheRatio) {
  const auto w = make("prefix-ratio:0.5", "400");
  const auto specs = w.build(12, 4);
  std::vector<std::int32_t> first;
  std::set<std::string> distinct;
  for (const auto& s : specs) {
    const auto ids = tok().encode(s.prompt);
    ASSERT_EQ(static_cast<std::int64_t>(ids.size()), 400);
    const std::vector<std::int32_t> head(ids.begin(), ids.begin() + 200);
    if (first.empty()) first = head;
    EXPECT_EQ(head, first) << "the cacheable 200 tokens differ between prompts";
    distinct.insert(s.prompt);
  }
  EXPECT_EQ(distinct.size(), specs.size());
  ASSERT_TRUE(w.intended_cache_ratio());
  EXPECT_DOUBLE_EQ(*w.intended_cache_ratio(), 0.5);
  const auto varied = make("prefix-ratio:0.25", "uniform:100:300");
  const auto vs = varied.build(20, 1);
  double prefix = 0, total = 0;
  for (const auto& s : vs) {
    ASSERT_EQ(count(s.prompt), s.input_tokens);
    prefix += static_cast<double>(std::llround(0.25 * static_cast<double>(s.input_tokens)));
    total += static_cast<double>(s.input_tokens);
  }
  EXPECT_NEAR(*varied.intended_cache_ratio(), prefix / total, 1e-12);
}

TEST_P(Exact, MultiTurnHistoriesGrowTurnByTurn) {
  const auto w = make("multi-turn:turns=3", "uniform:20:80", "uniform:10:30", true);
  const auto specs = w.build(12, 2);  // 4 conversations × 3 turns, turn-major
  ASSERT_EQ(specs.size(), 12u);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    const std::size_t turn = i / 4;
    ASSERT_EQ(s.messages.size(), 2 * turn + 1);
    EXPECT_EQ(s.messages.back().role, "user");
    ASSERT_EQ(sent_tokens(s), s.input_tokens);
    if (turn > 0) {
      const auto& previous = specs[i - 4];  // the same conversation's previous turn
      for (std::size_t m = 0; m < previous.messages.size(); ++m)
        EXPECT_EQ(s.messages[m].content, previous.messages[m].content);
      EXPECT_EQ(count(s.messages[2 * turn - 1].content), previous.max_tokens) << "the reply has the requested length";
    }
  }
  EXPECT_THROW(make("multi-turn", "128", "16", false), Error);  // needs --api chat
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, Exact, ::testing::Values("llama3", "qwen3", "llama2"));

TEST(Workload, DatasetsNeedATokenizerAndValidSyntax) {
  EXPECT_EQ(parse_dataset("", false).kind, DatasetSpec::Kind::Words);
  EXPECT_EQ(parse_dataset("", true).kind, DatasetSpec::Kind::Synthetic);
  EXPECT_THROW(parse_dataset("random", false), Error);
  for (const char* bad :
       {"bogus", "sharegpt", "sharegpt:x,max_total=0", "shared-prefix:groups=0", "shared-prefix:size=3",
        "prefix-ratio:1", "prefix-ratio:-0.1", "prefix-ratio:abc", "multi-turn:turns=0", "synthetic:x"}) {
    EXPECT_THROW(parse_dataset(bad, true), Error) << bad;
  }
  const auto s =
      parse_dataset("shared-prefix:groups=8,prompts_per_group=16,system_prompt_tokens=1024,question_tokens=128", true);
  EXPECT_EQ(s.groups * s.prompts_per_group, 128);
  EXPECT_EQ(s.system_prompt_tokens, 1024);
  EXPECT_EQ(s.question_tokens, 128);
}

TEST(Workload, PrefixLongerThanItsTextIsAnError) {
  WorkloadOptions o;
  o.dataset = "prefix-ratio:0.9,prefix_file=" + test::temp_file("short_prefix.txt", "Only a few words here.").string();
  o.input = LengthDist::fixed(1000);
  o.tokenizer = real_tokenizer("llama3");
  EXPECT_THROW(Workload{o}, Error);
}

}  // namespace
}  // namespace inferbench::workload
