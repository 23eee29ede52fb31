// The Prometheus text parser on real engine expositions (tests/protocol/data/prom_*.prom:
// vLLM V1, V1 in OpenMetrics, V0 and SGLang written by the real prometheus_client; TGI and
// llama.cpp in their exporters' layout), on every escape and special value of the format,
// and on malformed input (the line number of the first error, never a crash).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "protocol/prometheus.hpp"
#include "test_data.hpp"

namespace inferbench::protocol {
namespace {

using test::read_data;

// The value of the one sample named `name` whose labels include every pair of `labels`.
double value_of(const PromExposition& e, const std::string& name,
                const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  const PromSample* found = nullptr;
  for (const auto& s : e.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      const std::string* have = s.label(k);
      match = match && have != nullptr && *have == v;
    }
    if (!match) continue;
    EXPECT_EQ(found, nullptr) << "more than one sample matches " << name;
    found = &s;
  }
  EXPECT_NE(found, nullptr) << "no sample " << name;
  return found == nullptr ? std::nan("") : found->value;
}

std::size_t count_named(const PromExposition& e, const std::string& name) {
  std::size_t n = 0;
  for (const auto& s : e.samples) n += s.name == name ? 1 : 0;
  return n;
}

const std::string kModel = "meta-llama/Llama-3.1-8B-Instruct";

TEST(Prometheus, VllmV1) {
  const auto r = parse_prometheus(read_data("prom_vllm_v1.prom"));
  ASSERT_TRUE(r.ok()) << r.error;
  const PromExposition& e = r.exposition;
  EXPECT_FALSE(e.eof_marker);
  EXPECT_EQ(value_of(e, "vllm:num_requests_running", {{"engine", "1"}, {"model_name", kModel}}), 6.0);
  EXPECT_EQ(value_of(e, "vllm:kv_cache_usage_perc", {{"engine", "0"}}), 0.25);
  EXPECT_EQ(value_of(e, "vllm:prompt_tokens_total", {{"engine", "1"}}), 2560.0);
  EXPECT_EQ(value_of(e, "vllm:request_success_total", {{"engine", "0"}, {"finished_reason", "length"}}), 10.0);
  // 22 finite buckets + Inf, for each of two engines.
  EXPECT_EQ(count_named(e, "vllm:time_to_first_token_seconds_bucket"), 2u * 23u);
  EXPECT_EQ(value_of(e, "vllm:time_to_first_token_seconds_bucket", {{"engine", "0"}, {"le", "0.04"}}), 1.0);
  EXPECT_EQ(value_of(e, "vllm:time_to_first_token_seconds_bucket", {{"engine", "0"}, {"le", "0.08"}}), 3.0);
  EXPECT_EQ(value_of(e, "vllm:time_to_first_token_seconds_bucket", {{"engine", "1"}, {"le", "+Inf"}}), 4.0);
  EXPECT_NEAR(value_of(e, "vllm:time_to_first_token_seconds_sum", {{"engine", "0"}}), 0.45, 1e-12);
  EXPECT_EQ(value_of(e, "vllm:time_to_first_token_seconds_count", {{"engine", "1"}}), 4.0);
  // prometheus_client 0.0.4 writes `_created` as its own gauge family; kept as samples.
  EXPECT_GT(value_of(e, "vllm:prompt_tokens_created", {{"engine", "0"}}), 1.6e9);
  ASSERT_TRUE(e.families.count("vllm:prompt_tokens_created"));
  EXPECT_EQ(e.families.at("vllm:prompt_tokens_created").type, PromType::Gauge);
  ASSERT_TRUE(e.families.count("vllm:prompt_tokens_total"));
  EXPECT_EQ(e.families.at("vllm:prompt_tokens_total").type, PromType::Counter);
  EXPECT_EQ(e.families.at("vllm:prompt_tokens_total").help, "Number of prefill tokens processed.");
  const PromFamily* h = e.family_of("vllm:e2e_request_latency_seconds_bucket");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, PromType::Histogram);
  EXPECT_EQ(e.family_of("vllm:no_such_metric"), nullptr);
}

TEST(Prometheus, VllmV1OpenMetrics) {
  const auto r = parse_prometheus(read_data("prom_vllm_v1_openmetrics.prom"));
  ASSERT_TRUE(r.ok()) << r.error;
  const PromExposition& e = r.exposition;
  EXPECT_TRUE(e.eof_marker);
  // OpenMetrics names the counter family without _total; the series keep it.
  ASSERT_TRUE(e.families.count("vllm:prompt_tokens"));
  EXPECT_EQ(e.families.at("vllm:prompt_tokens").type, PromType::Counter);
  const PromFamily* f = e.family_of("vllm:prompt_tokens_total");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, PromType::Counter);
  EXPECT_EQ(e.family_of("vllm:prompt_tokens_created"), f);
  EXPECT_EQ(value_of(e, "vllm:prompt_tokens_total", {{"engine", "0"}}), 1280.0);
  EXPECT_EQ(value_of(e, "vllm:inter_token_latency_seconds_bucket", {{"engine", "0"}, {"le", "0.025"}}), 2.0);
  EXPECT_EQ(count_named(e, "vllm:e2e_request_latency_seconds_created"), 2u);
}

TEST(Prometheus, VllmV0) {
  const auto r = parse_prometheus(read_data("prom_vllm_v0.prom"));
  ASSERT_TRUE(r.ok()) << r.error;
  const PromExposition& e = r.exposition;
  EXPECT_EQ(value_of(e, "vllm:gpu_cache_usage_perc"), 0.42);
  EXPECT_EQ(value_of(e, "vllm:gpu_prefix_cache_hit_rate"), 0.3);
  EXPECT_EQ(value_of(e, "vllm:num_preemptions_total"), 7.0);
  EXPECT_EQ(value_of(e, "vllm:avg_prompt_throughput_toks_per_s"), 1234.5);
  EXPECT_EQ(value_of(e, "vllm:time_per_output_token_seconds_bucket", {{"le", "0.025"}}), 2.0);
  EXPECT_EQ(value_of(e, "vllm:time_per_output_token_seconds_count"), 4.0);
}

TEST(Prometheus, Sglang) {
  const auto r = parse_prometheus(read_data("prom_sglang.prom"));
  ASSERT_TRUE(r.ok()) << r.error;
  const PromExposition& e = r.exposition;
  EXPECT_EQ(value_of(e, "sglang:num_running_reqs", {{"model_name", kModel}}), 8.0);
  EXPECT_EQ(value_of(e, "sglang:num_queue_reqs"), 4.0);
  EXPECT_EQ(value_of(e, "sglang:token_usage"), 0.11);
  EXPECT_EQ(value_of(e, "sglang:cached_tokens_total"), 2000.0);
  EXPECT_EQ(value_of(e, "sglang:inter_token_latency_seconds_bucket", {{"le", "0.01"}}), 1.0);
  EXPECT_EQ(e.families.at("sglang:e2e_request_latency_seconds").type, PromType::Histogram);
}

TEST(Prometheus, Tgi) {
  const auto r = parse_prometheus(read_data("prom_tgi.prom"));
  ASSERT_TRUE(r.ok()) << r.error;
  const PromExposition& e = r.exposition;
  EXPECT_EQ(value_of(e, "tgi_request_count"), 4.0);
  EXPECT_EQ(value_of(e, "tgi_request_failure", {{"err", "validation"}}), 1.0);
  EXPECT_EQ(value_of(e, "tgi_queue_size"), 2.0);
  EXPECT_EQ(value_of(e, "tgi_batch_forward_duration_bucket", {{"method", "decode"}, {"le", "+Inf"}}), 5.0);
  EXPECT_EQ(value_of(e, "tgi_request_duration_sum"), 7.5);
  EXPECT_EQ(e.families.at("tgi_request_duration").type, PromType::Histogram);
  EXPECT_TRUE(e.families.at("tgi_request_duration").help.empty());  // TGI writes no HELP
  // A TYPE line without HELP, and no _created series at all.
  for (const auto& s : e.samples) EXPECT_FALSE(s.name.ends_with("_created")) << s.name;
}

TEST(Prometheus, LlamaCpp) {
  const auto r = parse_prometheus(read_data("prom_llamacpp.prom"));
  ASSERT_TRUE(r.ok()) << r.error;
  const PromExposition& e = r.exposition;
  EXPECT_EQ(e.samples.size(), 10u);
  EXPECT_EQ(value_of(e, "llamacpp:prompt_tokens_total"), 1536.0);
  EXPECT_EQ(value_of(e, "llamacpp:requests_processing"), 2.0);
  EXPECT_EQ(value_of(e, "llamacpp:n_busy_slots_per_decode"), 1.98462);
  EXPECT_EQ(e.families.at("llamacpp:tokens_predicted_total").type, PromType::Counter);
}

TEST(Prometheus, LabelEscapesAndHelpEscapes) {
  const std::string text =
      "# HELP m A \\\\ backslash\\nand a newline, \\t kept\n"
      "# TYPE m gauge\n"
      "m{path=\"C:\\\\dir\\\\\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\",comma=\"x,y}\",empty=\"\"} 1\n";
  const auto r = parse_prometheus(text);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.exposition.samples.size(), 1u);
  const PromSample& s = r.exposition.samples[0];
  ASSERT_EQ(s.labels.size(), 5u);
  EXPECT_EQ(*s.label("path"), "C:\\dir\\");
  EXPECT_EQ(*s.label("quote"), "say \"hi\"");
  EXPECT_EQ(*s.label("nl"), "a\nb");
  EXPECT_EQ(*s.label("comma"), "x,y}");
  EXPECT_EQ(*s.label("empty"), "");
  EXPECT_EQ(s.label("missing"), nullptr);
  EXPECT_EQ(r.exposition.families.at("m").help, "A \\ backslash\nand a newline, \\t kept");
}

TEST(Prometheus, SpecialValuesAndTimestamps) {
  const std::string text =
      "a NaN\n"
      "b +Inf\n"
      "c -Inf\n"
      "d Inf\n"
      "e 1e3 1700000000000\n"
      "f -0.5 -42\n"
      "g 2.5E-3 1700000000.123\n"
      "h nan\n"
      "i 1e999\n"
      "j .5\n";
  const auto r = parse_prometheus(text);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& s = r.exposition.samples;
  ASSERT_EQ(s.size(), 10u);
  EXPECT_TRUE(std::isnan(s[0].value));
  EXPECT_EQ(s[1].value, INFINITY);
  EXPECT_EQ(s[2].value, -INFINITY);
  EXPECT_EQ(s[3].value, INFINITY);
  EXPECT_EQ(s[4].value, 1000.0);
  ASSERT_TRUE(s[4].timestamp.has_value());
  EXPECT_EQ(*s[4].timestamp, 1700000000000.0);
  EXPECT_FALSE(s[0].timestamp.has_value());
  EXPECT_EQ(s[5].value, -0.5);
  EXPECT_EQ(*s[5].timestamp, -42.0);
  EXPECT_EQ(s[6].value, 0.0025);
  EXPECT_EQ(*s[6].timestamp, 1700000000.123);
  EXPECT_TRUE(std::isnan(s[7].value));
  EXPECT_EQ(s[8].value, INFINITY);
  EXPECT_EQ(s[9].value, 0.5);
}

TEST(Prometheus, LayoutTolerance) {
  // Blank lines, CRLF, leading blanks and tabs, free comments, a trailing comma, an empty label
  // set, blanks inside the label set, and an OpenMetrics exemplar after the value.
  const std::string text =
      "\n"
      "# a free comment\r\n"
      "#   TYPE   spaced   counter\n"
      "spaced_total 3\r\n"
      "  \t\n"
      "\tlead{a=\"1\",} 2\n"
      "empty{} 4\n"
      "blanks{ a = \"1\" , b=\"2\" } 5\t 17\n"
      "ex_bucket{le=\"1\"} 3 # {trace_id=\"abc\"} 0.5 1.6e9\n"
      "# EOF\n"
      "\n";
  const auto r = parse_prometheus(text);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto& e = r.exposition;
  EXPECT_TRUE(e.eof_marker);
  ASSERT_EQ(e.samples.size(), 5u);
  EXPECT_EQ(e.families.at("spaced").type, PromType::Counter);
  EXPECT_EQ(e.samples[0].name, "spaced_total");
  EXPECT_EQ(e.samples[1].labels.size(), 1u);
  EXPECT_TRUE(e.samples[2].labels.empty());
  EXPECT_EQ(*e.samples[3].label("b"), "2");
  EXPECT_EQ(*e.samples[3].timestamp, 17.0);
  EXPECT_EQ(e.samples[4].value, 3.0);
  EXPECT_FALSE(e.samples[4].timestamp.has_value());
}

struct Malformed {
  std::string text;
  std::size_t line;
  std::string says;
};

TEST(Prometheus, MalformedLinesGiveTheirLineNumber) {
  const std::vector<Malformed> cases{
      {"ok 1\nm{a=\"1\" 2\n", 2, "expected ',' or '}'"},
      {"ok 1\n\nm{a=\"1\n", 3, "unterminated value of label 'a'"},
      {"m{a=\"x\\ty\"} 1\n", 1, "invalid escape sequence '\\t'"},
      {"a 1\nb 2\nm\n", 3, "missing value for m"},
      {"m abc\n", 1, "invalid value 'abc'"},
      {"m 1 abc\n", 1, "invalid timestamp 'abc'"},
      {"m 1 2 3\n", 1, "unexpected text after the value"},
      {"1m 2\n", 1, "expected a metric name"},
      {"m-x 2\n", 1, "invalid character '-'"},
      {"m{a=\"1\",a=\"2\"} 1\n", 1, "duplicate label 'a'"},
      {"m{1a=\"x\"} 1\n", 1, "expected a label name"},
      {"m{a=x} 1\n", 1, "expected '\"' to open the value of label 'a'"},
      {"m{a \"x\"} 1\n", 1, "expected '=' after label name 'a'"},
      {"m{a=\"x\"\n", 1, "unterminated label set"},
      {"# TYPE m bogus\n", 1, "unknown metric type 'bogus'"},
      {"# TYPE m counter\n# TYPE m gauge\n", 2, "second TYPE line for m"},
      {"# TYPE m counter extra\n", 1, "unexpected text after the type"},
      {"# HELP\n", 1, "expected a metric name after # HELP"},
      {"m 1\n# EOF\nn 2\n", 3, "text after # EOF"},
      {"m 1 +Inf\n", 1, "invalid timestamp"},
      {"m 0x10\n", 1, "invalid value '0x10'"},
      {"m 1.5.2\n", 1, "invalid value"},
  };
  for (const auto& c : cases) {
    const auto r = parse_prometheus(c.text);
    EXPECT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error_line, c.line) << c.text << " → " << r.error;
    EXPECT_TRUE(r.error.starts_with("line " + std::to_string(c.line) + ": ")) << r.error;
    EXPECT_NE(r.error.find(c.says), std::string::npos) << c.text << " → " << r.error;
  }
}

TEST(Prometheus, EveryPrefixAndRandomBytesParseOrFailCleanly) {
  const std::string full = read_data("prom_vllm_v1.prom");
  std::size_t failures = 0;
  for (std::size_t n = 0; n <= full.size(); n += 7) {
    const auto r = parse_prometheus(std::string_view(full).substr(0, n));
    if (!r.ok()) {
      ++failures;
      EXPECT_GE(r.error_line, 1u);
    }
  }
  EXPECT_GT(failures, 0u);  // cutting inside a label set must be an error
  std::mt19937 rng(7);
  const std::string alphabet = "ab_:{}=\",\\ \n#0.1e+-InfNa\t\r";
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 40, ' ');
    for (auto& ch : text) ch = alphabet[rng() % alphabet.size()];
    const auto r = parse_prometheus(text);
    if (!r.ok()) {
      const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
      EXPECT_GE(r.error_line, 1u);
      EXPECT_LE(r.error_line, lines) << text;
    }
  }
}

}  // namespace
}  // namespace inferbench::protocol
