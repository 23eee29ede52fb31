// The sources that fill a Values store: CLI flags, `-o` overrides, YAML documents, and their
// precedence (default < file < flag < override) whatever order they are read in.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "test_support.hpp"

namespace inferbench::config {
namespace {

using testing::Cli;
using testing::error_of;

TEST(CliBinding, FlagsSetTypedValues) {
  Cli cli_v;
  Values& v = cli_v.parse({"--endpoint", "http://h:1", "--concurrency", "1,8", "--burstiness", "0.5", "--json",
                           "--no-stream", "--no-ignore-eos", "--header", "A=1", "--header", "B=2", "--server-metrics",
                           "http://a/metrics", "--server-metrics", "http://b/metrics", "--seed", "42"});
  EXPECT_EQ(v.str("target.endpoint"), "http://h:1");
  EXPECT_EQ(v.numbers("load.concurrency"), (std::vector<double>{1, 8}));
  EXPECT_EQ(v.get("load.concurrency"), nlohmann::json::array({1, 8}));  // whole numbers stay integers
  EXPECT_DOUBLE_EQ(v.number("load.burstiness"), 0.5);
  EXPECT_TRUE(v.boolean("output.json"));
  EXPECT_FALSE(v.boolean("target.stream"));
  EXPECT_FALSE(v.boolean("target.ignore_eos"));
  EXPECT_EQ(v.strings("target.headers"), (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(v.strings("server_metrics.urls").size(), 2u);
  EXPECT_EQ(v.integer("seed"), 42);
  EXPECT_EQ(v.source("target.stream"), Source::Flag);
  EXPECT_EQ(v.source("target.api"), Source::Default);
  EXPECT_EQ(v.name("load.concurrency"), "--concurrency");
  EXPECT_EQ(v.name("target.api"), "target.api");
}

TEST(CliBinding, ExclusiveFlagsAreRejectedByCli11) {
  EXPECT_THROW(Cli().parse({"--rate", "1", "--concurrency", "2"}), CLI::ExcludesError);
  EXPECT_THROW(Cli().parse({"--no-server-metrics", "--server-metrics", "http://a/metrics"}), CLI::ExcludesError);
  EXPECT_THROW(Cli().parse({"--frobnicate"}), CLI::ExtrasError);
}

TEST(Overrides, SetByKeyPathWithCoercion) {
  Cli cli_v;
  Values& v = cli_v.parse({"-o", "target.insecure=yes", "-o", "output.json=no", "--set", "load.max_concurrency=8", "-o",
                           "load.burstiness=0.25", "-o", "target.stream=false"});
  EXPECT_TRUE(v.boolean("target.insecure"));
  EXPECT_FALSE(v.boolean("output.json"));
  EXPECT_EQ(v.integer("load.max_concurrency"), 8);
  EXPECT_DOUBLE_EQ(v.number("load.burstiness"), 0.25);
  EXPECT_FALSE(v.boolean("target.stream"));
  EXPECT_EQ(v.source("target.insecure"), Source::Override);
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "target.insecure=maybe"});
            }),
            "invalid target.insecure 'maybe': expected true or false");
  EXPECT_EQ(error_of([] { Cli().parse({"-o", "seed=1.5"}); }), "invalid seed '1.5': must be an integer >= 0");
}

TEST(Overrides, CommaSeparatedAssignmentsKeepListCommas) {
  Cli cli_v;
  Values& v =
      cli_v.parse({"-o", "load.concurrency=1,4,16,seed=7,slo=ttft=500,tpot=50,target.extra_body={\"a\":1,\"b\":2}"});
  EXPECT_EQ(v.numbers("load.concurrency"), (std::vector<double>{1, 4, 16}));
  EXPECT_EQ(v.integer("seed"), 7);
  EXPECT_EQ(v.str("slo"), "ttft=500,tpot=50");
  EXPECT_EQ(v.object("target.extra_body"), nlohmann::json({{"a", 1}, {"b", 2}}));
}

TEST(Overrides, UnknownKeyNamesTheClosest) {
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "load.rat=5"});
            }),
            "-o: unknown key 'load.rat' (did you mean 'load.rate'?)");
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "seed=1,load.wrmup=3"});
            }),
            "-o: unknown key 'load.wrmup' (did you mean 'load.warmup'?)");
  EXPECT_EQ(error_of([] { Cli().parse({"-o", "zzzzzzzz.qqqq=1"}); }), "-o: unknown key 'zzzzzzzz.qqqq'");
  EXPECT_EQ(error_of([] { Cli().parse({"-o", "novalue"}); }), "-o: expected KEY=VALUE, got 'novalue'");
}

TEST(Precedence, OverridesBeatFlagsWhateverTheirOrder) {
  Cli cli_v;
  Values& v = cli_v.parse({"-o", "load.warmup=3", "--warmup", "5"});
  EXPECT_EQ(v.integer("load.warmup"), 3);
  Cli cli_w;
  Values& w = cli_w.parse({"--warmup", "5", "-o", "load.warmup=3"});
  EXPECT_EQ(w.integer("load.warmup"), 3);
}

TEST(Precedence, FileIsBelowFlagsAndOverrides) {
  Cli cli;
  Values& v = cli.parse({"--warmup", "5", "-o", "seed=9"});
  load_yaml(v, "load: {warmup: 2, burstiness: 3}\nseed: 4\n", "p.yaml");  // read after the flags
  EXPECT_EQ(v.integer("load.warmup"), 5);
  EXPECT_EQ(v.integer("seed"), 9);
  EXPECT_DOUBLE_EQ(v.number("load.burstiness"), 3);  // the file beats the default
  EXPECT_EQ(v.source("load.burstiness"), Source::File);
}

TEST(Yaml, NestedMapsAndDottedKeysSpellKeyPaths) {
  Values v(run_settings());
  load_yaml(v,
            "target:\n"
            "  endpoint: http://h:8000\n"
            "  headers: {X-A: one, X-B: two}\n"
            "  extra_body: {temperature: 0.5, top_k: 4, stop: [\"a\"], logprobs: true}\n"
            "load.rate: [1, 2.5]\n"
            "timeouts:\n"
            "  request: 90s\n"
            "workload: {input_tokens: 256}\n",
            "p.yaml");
  EXPECT_EQ(v.str("target.endpoint"), "http://h:8000");
  EXPECT_EQ(v.strings("target.headers"), (std::vector<std::string>{"X-A=one", "X-B=two"}));
  EXPECT_EQ(v.object("target.extra_body"),
            nlohmann::json({{"temperature", 0.5}, {"top_k", 4}, {"stop", {"a"}}, {"logprobs", true}}));
  EXPECT_EQ(v.numbers("load.rate"), (std::vector<double>{1, 2.5}));
  EXPECT_EQ(v.duration("timeouts.request"), std::chrono::seconds(90));
  EXPECT_EQ(v.str("workload.input_tokens"), "256");
}

TEST(Yaml, UnknownKeyNamesFileLineAndClosestKey) {
  Values v(run_settings());
  EXPECT_EQ(error_of([&] { load_yaml(v, "target:\n  model: m\nload:\n  rat: 5\n", "profile.yaml"); }),
            "profile.yaml:4: unknown key 'load.rat' (did you mean 'load.rate'?)");
  EXPECT_EQ(error_of([&] { load_yaml(v, "seed: 1\n\nload.rat: 5\n", "profile.yaml"); }),
            "profile.yaml:3: unknown key 'load.rat' (did you mean 'load.rate'?)");
  // A section name given a scalar is an unknown key too, not a crash.
  EXPECT_EQ(error_of([&] { load_yaml(v, "load: 5\n", "p.yaml"); }),
            "p.yaml:1: 'load' is a group of settings, not a value (e.g. 'load.concurrency')");
}

TEST(Yaml, BadValuesNameFileLineAndKey) {
  Values v(run_settings());
  EXPECT_EQ(error_of([&] { load_yaml(v, "load:\n  rate: -1\n", "p.yaml"); }),
            "p.yaml:2: invalid load.rate '-1': must be between 0.001 and 1000000");
  EXPECT_EQ(error_of([&] { load_yaml(v, "target: {api: grpc}\n", "p.yaml"); }),
            "p.yaml:1: invalid target.api 'grpc': must be one of completions, chat");
  EXPECT_EQ(error_of([&] { load_yaml(v, "seed: [1, 2]\n", "p.yaml"); }),
            "p.yaml:1: invalid seed '[\"1\",\"2\"]': expected a number");
  EXPECT_EQ(error_of([&] { load_yaml(v, "- 1\n- 2\n", "p.yaml"); }), "p.yaml: expected a map of settings");
  EXPECT_NE(error_of([&] { load_yaml(v, "load: {rate: [1, 2\n", "p.yaml"); }).find("p.yaml:"), std::string::npos);
  EXPECT_NO_THROW(load_yaml(v, "", "empty.yaml"));
}

TEST(Yaml, ReadsAFileAndFailsClearlyWhenMissing) {
  Values v(run_settings());
  EXPECT_EQ(error_of([&] { load_yaml_file(v, "/nonexistent/profile.yaml"); }), "cannot read /nonexistent/profile.yaml");
}

// Found by fuzzing (tests/fuzz/regressions/config_yaml_fuzz/): bytes that are not UTF-8 in a
// value threw json type_error 316 instead of a one-line error.
TEST(Yaml, BytesThatAreNotUtf8AreAOneLineError) {
  const std::string dir = "tests/fuzz/regressions/config_yaml_fuzz/";
  Values values(run_settings());
  // In a JSON object sent with every request: refused, as it could never be encoded there.
  EXPECT_EQ(error_of([&] { load_yaml_file(values, dir + "invalid_utf8_in_json_value.yaml"); }),
            dir +
                "invalid_utf8_in_json_value.yaml:2: invalid target.extra_body "
                "'{\"temperature\":\"\xef\xbf\xbd\xef\xbf\xbd\"}': "
                "contains bytes that are not UTF-8");
  // In a list of strings: refused too (every text setting ends up in JSON), the bad bytes shown
  // as U+FFFD, never a crash.
  Values other(run_settings());
  EXPECT_EQ(error_of([&] { load_yaml_file(other, dir + "invalid_utf8_in_string_list.yaml"); }),
            dir +
                "invalid_utf8_in_string_list.yaml:1: invalid server_metrics.urls 'http://a/\xef\xbf\xbdmetrics': not "
                "valid UTF-8");
}

}  // namespace
}  // namespace inferbench::config
