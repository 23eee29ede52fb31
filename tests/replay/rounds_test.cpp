// Rounds on a hand-checked replay: six requests whose timelines are written out below, so every
// number of every round can be checked by hand, including a round with only failures and a
// partial last round; and the per-request CSV.
#include <gtest/gtest.h>

#include <cmath>

#include "replay/rounds.hpp"

namespace inferbench::replay {
namespace {

using std::chrono::milliseconds;
const TimePoint S = TimePoint(std::chrono::seconds(1000));  // the replay's start
TimePoint at(double s) { return S + std::chrono::nanoseconds(std::llround(s * 1e9)); }

// Request `id` sent at its offset, chunks at `chunks`, ended at `done`.
metrics::RequestRecord request(std::uint64_t id, double sent, std::vector<double> chunks, double done,
                               std::int64_t prompt, std::int64_t completion) {
  metrics::RequestRecord r;
  r.id = id;
  r.scheduled = at(sent);
  r.sent = at(sent);
  r.headers = at(sent + 0.01);
  r.http_status = 200;
  for (const double c : chunks) r.chunks.push_back({at(c), 0});
  r.done = at(done);
  r.usage.prompt_tokens = prompt;
  r.usage.completion_tokens = completion;
  r.max_tokens = 16;
  return r;
}

metrics::RequestRecord failed(std::uint64_t id, double sent, double done, metrics::Failure failure, int status) {
  metrics::RequestRecord r;
  r.id = id;
  r.scheduled = at(sent);
  r.sent = at(sent);
  r.done = at(done);
  r.failure = failure;
  r.http_status = status;
  r.max_tokens = 16;
  return r;
}

const std::vector<Duration> kOffsets = {at(0.0) - S, at(0.5) - S, at(0.9) - S, at(2.1) - S, at(2.5) - S, at(3.0) - S};

RoundOptions options() {
  RoundOptions o;
  o.length = std::chrono::seconds(1);
  o.ttft_slo_ms = 150;
  o.tpot_slo_ms = 150;
  o.e2e_slo_s = 0.32;
  o.model = "m";
  return o;
}

void send_all(RoundTracker& t) {
  for (std::uint64_t i = 0; i < kOffsets.size(); ++i) t.sent(i, S + kOffsets[i]);
}

TEST(Rounds, HandCheckedReplay) {
  RoundTracker t(options(), kOffsets);
  send_all(t);
  t.add(request(0, 0.0, {0.1, 0.2, 0.3}, 0.35, 10, 3));  // TTFT 0.1 s, TPOT 100 ms, latency 0.35 s
  t.add(request(1, 0.5, {0.7}, 0.8, 20, 1));             // one token: no TPOT
  EXPECT_TRUE(t.due(at(1.2)).empty());                   // within the grace after round 1
  auto r = t.due(at(1.3));
  ASSERT_EQ(r.size(), 1u);
  const Round& r1 = r[0];
  EXPECT_EQ(r1.index, 1u);
  EXPECT_EQ(r1.sent, 3u);  // 0.0, 0.5, 0.9
  EXPECT_EQ(r1.completed, 2u);
  EXPECT_FALSE(r1.partial);
  nlohmann::json j = to_json(r1, options());
  EXPECT_DOUBLE_EQ(j["actual_qps"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j["success_rate"].get<double>(), 100.0);
  EXPECT_EQ(j["input_tokens"], 15);  // mean of 10 and 20, as an integer (FlowGPT's int(mean))
  EXPECT_EQ(j["output_tokens"], 2);
  EXPECT_NEAR(j["input_tokens_per_minute"].get<double>(), 1800.0, 1e-6);  // 30 tokens in 1 s
  EXPECT_NEAR(j["output_tokens_per_minute"].get<double>(), 240.0, 1e-6);
  EXPECT_NEAR(j["Latency"]["min"].get<double>(), 0.3, 1e-9);
  EXPECT_NEAR(j["Latency"]["p50"].get<double>(), 0.325, 1e-9);
  EXPECT_NEAR(j["Latency"]["max"].get<double>(), 0.35, 1e-9);
  EXPECT_NEAR(j["TTFT"]["p90"].get<double>(), 0.19, 1e-9);  // numpy linear between 0.1 and 0.2
  EXPECT_NEAR(j["TPOT"]["max"].get<double>(), 100.0, 1e-6);
  EXPECT_EQ(j["TPOT"]["unit"], "ms");
  EXPECT_NEAR(j["Throughput"]["max"].get<double>(), 3 / 0.35, 1e-6);  // 3 tokens in 0.35 s
  EXPECT_DOUBLE_EQ(j["ttft_slo_attainment"].get<double>(), 50.0);     // 0.1 s met, 0.2 s not
  EXPECT_DOUBLE_EQ(j["tpot_slo_attainment"].get<double>(), 50.0);     // the one-token answer has none
  EXPECT_DOUBLE_EQ(j["slo_attainment"].get<double>(), 50.0);          // 0.3 s met, 0.35 s not
  EXPECT_EQ(j["slo_seconds"], 0.32);
  EXPECT_FALSE(j.contains("exceptions"));
  EXPECT_FALSE(j.contains("target_qps"));

  t.add(request(2, 0.9, {1.1, 1.3}, 1.4, 5, 2));  // sent in round 1, ended in round 2
  t.add(failed(3, 2.1, 2.2, metrics::Failure::HttpStatus, 500));
  t.add(failed(4, 2.5, 2.6, metrics::Failure::ConnectFailed, 0));
  r = t.due(at(3.3));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].sent, 0u);
  EXPECT_EQ(r[0].completed, 1u);
  j = to_json(r[0], options());
  EXPECT_DOUBLE_EQ(j["actual_qps"].get<double>(), 0.0);
  EXPECT_NEAR(j["TPOT"]["p50"].get<double>(), 200.0, 1e-6);
  EXPECT_DOUBLE_EQ(j["ttft_slo_attainment"].get<double>(), 0.0);

  // Round 3: only failures. Reported, with its causes, and no distribution invented.
  const Round& r3 = r[1];
  EXPECT_EQ(r3.sent, 2u);
  EXPECT_EQ(r3.completed, 0u);
  EXPECT_EQ(r3.failed, 2u);
  j = to_json(r3, options());
  EXPECT_DOUBLE_EQ(j["success_rate"].get<double>(), 0.0);
  EXPECT_TRUE(j["Latency"]["p50"].is_null());
  EXPECT_TRUE(j["input_tokens"].is_null());
  EXPECT_DOUBLE_EQ(j["input_tokens_per_minute"].get<double>(), 0.0);
  EXPECT_EQ(j["exceptions"], (nlohmann::json{{"connect_failed", 1}, {"http_500", 1}}));
  EXPECT_DOUBLE_EQ(j["ttft_slo_attainment"].get<double>(), 0.0);
  EXPECT_NE(format_round(r3, options()).find("failures: connect_failed 1 http_500 1"), std::string::npos)
      << format_round(r3, options());

  // The last round is partial: 3.0 to 3.5 s, rates over those 0.5 s.
  t.add(request(5, 3.0, {3.2, 3.3}, 3.5, 8, 2));
  r = t.finish(at(3.5));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].partial);
  EXPECT_EQ(r[0].index, 4u);
  EXPECT_DOUBLE_EQ(r[0].start_s, 3.0);
  EXPECT_DOUBLE_EQ(r[0].end_s, 3.5);
  j = to_json(r[0], options());
  EXPECT_DOUBLE_EQ(j["actual_qps"].get<double>(), 2.0);
  EXPECT_NEAR(j["output_tokens_per_minute"].get<double>(), 240.0, 1e-6);  // 2 tokens in 0.5 s
  EXPECT_TRUE(t.finish(at(3.5)).empty());                                 // nothing is reported twice
}

TEST(Rounds, ARequestReachingAReportedRoundLateIsCountedNotLost) {
  RoundTracker t(options(), kOffsets);
  send_all(t);
  t.add(request(0, 0.0, {0.1}, 0.2, 1, 1));
  ASSERT_EQ(t.due(at(1.3)).size(), 1u);
  t.add(request(1, 0.5, {0.7}, 0.95, 1, 1));  // ended in round 1, arrived after it was reported
  const auto r = t.finish(at(1.5));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].completed, 1u);
  EXPECT_EQ(r[0].late, 1u);
  EXPECT_TRUE(r[0].partial);
}

TEST(Rounds, QpsModeWritesTheTargetAndEmptyRoundsAreReported) {
  RoundOptions o = options();
  o.target_qps = 2.5;
  RoundTracker t(o, kOffsets);
  t.dispatched(0, S);  // no request ended: the start comes from the first dispatch
  const auto r = t.due(at(2.3));
  ASSERT_EQ(r.size(), 2u);
  const auto j = to_json(r[0], o);
  EXPECT_EQ(j["target_qps"], 2.5);
  EXPECT_EQ(j["sent"], 0);
  EXPECT_TRUE(j["success_rate"].is_null());
}

TEST(RoundsCsv, ColumnsAreTimesFromTheStartAndTpotPerToken) {
  EXPECT_EQ(csv_header(),
            "request_id,conversation_id,line,status,scheduled_s,send_s,first_token_s,end_s,ttft_s,latency_s,tokens_in,"
            "tokens_cached,tokens_out,tpot_ms\n");
  auto ok = request(0, 0.5, {0.6, 0.8, 1.0}, 1.1, 10, 3);
  ok.usage.cached_tokens = 4;
  EXPECT_EQ(csv_row(ok, "conv,\"1\"", 7, S),
            "0,\"conv,\"\"1\"\"\",7,ok,0.500000,0.500000,0.600000,1.100000,0.100000,0.600000,10,4,3,200.000\n");
  EXPECT_EQ(csv_row(failed(3, 2.0, 2.5, metrics::Failure::HttpStatus, 503), "c", 9, S),
            "3,c,9,http_503,2.000000,2.000000,,2.500000,,0.500000,,,,\n");
}

}  // namespace
}  // namespace inferbench::replay
