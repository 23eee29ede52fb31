// The declaration itself: flags and help kept, typed defaults, generic validation messages,
// secrets kept out of the config JSON, and docs/config.md generated from the table.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/json.hpp"
#include "config/run_settings.hpp"
#include "core/error.hpp"
#include "test_support.hpp"

// Each setting names only the fields it uses; the rest keep their declared defaults. GCC 12
// still warns about the omitted fields of a designated initializer.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace inferbench::config {
namespace {

using testing::Cli;
using testing::error_of;

TEST(RunSettings, DeclareEveryFlagOfRunOnce) {
  // The flags `inferbench run` had before the schema, each now generated from one setting.
  const std::vector<std::string> flags = {"--endpoint",
                                          "--model",
                                          "--api",
                                          "--concurrency",
                                          "--rate",
                                          "--arrival",
                                          "--burstiness",
                                          "--max-concurrency",
                                          "--num-requests",
                                          "--duration",
                                          "--warmup",
                                          "--input-tokens",
                                          "--output-tokens",
                                          "--tokenizer",
                                          "--dataset",
                                          "--on-bad-line",
                                          "--slo",
                                          "--output",
                                          "--json",
                                          "--exact-samples",
                                          "--metrics-port",
                                          "--history",
                                          "--no-history",
                                          "--metrics-host",
                                          "--api-key",
                                          "--header",
                                          "--insecure",
                                          "--no-stream",
                                          "--no-ignore-eos",
                                          "--extra-body",
                                          "--connect-timeout",
                                          "--first-token-timeout",
                                          "--timeout",
                                          "--workers",
                                          "--seed",
                                          "--sim-model-preset",
                                          "--sim-hardware",
                                          "--sim-ttft-ms",
                                          "--sim-itl-ms",
                                          "--server-metrics",
                                          "--scrape-interval",
                                          "--no-server-metrics",
                                          "--min-success-rate",
                                          "--fail-if-client-limited",
                                          "--abort-after",
                                          "--ramp-up",
                                          "--on-abort",
                                          "--sweep",
                                          "--sweep-spacing",
                                          "--saturation-ratio",
                                          "--slo-search",
                                          "--search-start",
                                          "--search-tolerance",
                                          "--search-max-probes",
                                          "--slo-percentile",
                                          "--shard",
                                          "--shards",
                                          "--start-at",
                                          "--run-id",
                                          "--processes",
                                          "--launch",
                                          "--launch-timeout",
                                          "--launch-stop-grace",
                                          "--mlflow-uri",
                                          "--experiment",
                                          "--run-name",
                                          "--mlflow-parent-run",
                                          "--mlflow-restore-experiment",
                                          "--export",
                                          "--description",
                                          "--labels"};
  Cli cli;
  for (const auto& flag : flags) {
    const auto& all = run_settings().settings();
    EXPECT_EQ(std::count_if(all.begin(), all.end(), [&](const Setting& s) { return s.flag == flag; }), 1) << flag;
    EXPECT_NO_THROW(cli.app.get_option(flag)) << flag;
  }
  // load.stages (a list of maps) has no flag: profiles and -o only; nor has profile, which
  // --profile and PROFILE.yaml record.
  EXPECT_EQ(run_settings().settings().size(), flags.size() + 2);
  EXPECT_TRUE(run_settings().at("load.stages").flag.empty());
  EXPECT_TRUE(run_settings().at("profile").flag.empty());
  EXPECT_NO_THROW(cli.app.get_option("-o"));
  EXPECT_NO_THROW(cli.app.get_option("--set"));
}

TEST(RunSettings, HelpTextsAndDefaultsReachCli) {
  Cli cli;
  EXPECT_EQ(cli.app.get_option("--api")->get_description(), "API to load: completions or chat");
  EXPECT_EQ(cli.app.get_option("--api")->get_default_str(), "chat");
  EXPECT_EQ(cli.app.get_option("--timeout")->get_default_str(), "600");
  EXPECT_EQ(cli.app.get_option("--sim-ttft-ms")->get_group(), "Built-in simulator (without --endpoint)");
  EXPECT_NE(cli.app.help().find("--no-ignore-eos"), std::string::npos);
}

TEST(Values, DefaultsAreTyped) {
  const Values v(run_settings());
  EXPECT_EQ(v.str("target.api"), "chat");
  EXPECT_EQ(v.str("target.endpoint"), "");
  EXPECT_TRUE(v.boolean("target.stream"));
  EXPECT_FALSE(v.boolean("output.json"));
  EXPECT_EQ(v.integer("client.workers"), 1);
  EXPECT_EQ(v.duration("timeouts.connect"), std::chrono::seconds(10));
  EXPECT_EQ(v.duration("sim.ttft"), std::chrono::milliseconds(15));
  EXPECT_FALSE(v.duration("load.duration").has_value());
  EXPECT_TRUE(v.numbers("load.rate").empty());
  EXPECT_FALSE(v.given("target.api"));
  EXPECT_THROW(v.str("load.rate"), std::logic_error);  // a typed view of the wrong type is a bug
}

TEST(Values, EveryDefaultPassesItsOwnValidation) {
  for (const Setting& s : run_settings().settings()) {
    if (!s.default_value.is_null()) {
      EXPECT_NO_THROW(coerce(s, s.default_value, s.key)) << s.key;
    }
  }
}

TEST(Validation, BoundsNameTheFlagWhenFromAFlag) {
  EXPECT_EQ(error_of([] { Cli().parse({"--rate", "-1"}); }), "invalid --rate '-1': must be between 0.001 and 1000000");
  EXPECT_EQ(error_of([] { Cli().parse({"--rate", "2,0"}); }), "invalid --rate '0': must be between 0.001 and 1000000");
  EXPECT_EQ(error_of([] { Cli().parse({"--concurrency", "abc"}); }), "invalid --concurrency 'abc': expected a number");
  EXPECT_EQ(error_of([] {
              Cli().parse({"--concurrency", "1.5"});
            }),
            "invalid --concurrency '1.5': must be an integer between 1 and 100000");
  EXPECT_EQ(error_of([] {
              Cli().parse({"--workers", "0"});
            }),
            "invalid --workers '0': must be an integer between 1 and 256");
  EXPECT_EQ(error_of([] { Cli().parse({"--warmup", "-2"}); }), "invalid --warmup '-2': must be an integer >= 0");
  EXPECT_EQ(error_of([] { Cli().parse({"--timeout", "0"}); }), "invalid --timeout '0': must be > 0 and <= 2592000");
  EXPECT_EQ(error_of([] {
              Cli().parse({"--extra-body", "[1,2]"});
            }),
            "invalid --extra-body '[1,2]': expected a JSON object");
  EXPECT_EQ(error_of([] {
              Cli().parse({"--header", "NoEquals"});
            }),
            "invalid --header 'NoEquals': expected NAME=VALUE (the value is not shown)");
}

// A header's value may be a credential: no message shows it, and a value that would end the
// header line (CR, LF: header injection on the wire) or a name that is not a token is refused.
TEST(Validation, HeadersNeverShowTheirValueAndCannotInjectLines) {
  EXPECT_EQ(error_of([] {
              Cli().parse({"--header", "Authorization: Bearer sk-SECRET"});
            }),
            "invalid --header 'Authorization': expected NAME=VALUE (the value is not shown)");
  EXPECT_EQ(error_of([] {
              Cli().parse({"--header", "X-A=ok\r\nX-Injected: 1"});
            }),
            "invalid --header 'X-A': the header value contains a line break or NUL");
  EXPECT_EQ(error_of([] {
              Cli().parse({"--header", "X Team=1"});
            }),
            "invalid --header 'X Team': the header name is not a valid HTTP token");
  EXPECT_EQ(error_of([] { Cli().parse({"--header", "X-Team=a=b"}); }), "");  // '=' in a value is fine
}

TEST(Validation, BoundsNameTheKeyPathOtherwise) {
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "load.rate=-1"});
            }),
            "invalid load.rate '-1': must be between 0.001 and 1000000");
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "client.workers=300"});
            }),
            "invalid client.workers '300': must be an integer between 1 and 256");
}

TEST(Validation, AllowedValues) {
  EXPECT_EQ(error_of([] { Cli().parse({"--api", "grpc"}); }), "invalid --api 'grpc': must be one of completions, chat");
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "load.arrival=bursty"});
            }),
            "invalid load.arrival 'bursty': must be one of constant, poisson, gamma");
  EXPECT_EQ(Cli().parse({"--arrival", "gamma"}).str("load.arrival"), "gamma");
}

TEST(Validation, DurationsTakeUnits) {
  EXPECT_EQ(Cli().parse({"--connect-timeout", "500ms"}).duration("timeouts.connect"), std::chrono::milliseconds(500));
  EXPECT_EQ(Cli().parse({"--duration", "2m"}).duration("load.duration"), std::chrono::seconds(120));
  EXPECT_EQ(Cli().parse({"--sim-ttft-ms", "2s"}).duration("sim.ttft"), std::chrono::seconds(2));
  EXPECT_EQ(Cli().parse({"--sim-itl-ms", "2.5"}).duration("sim.itl"), std::chrono::microseconds(2500));
  EXPECT_EQ(error_of([] {
              Cli().parse({"--timeout", "-5ms"});
            }),
            "invalid --timeout '-5ms': must be > 0 and <= 2592000");
  EXPECT_EQ(error_of([] { Cli().parse({"--timeout", "fast"}); }), "invalid --timeout 'fast': expected a number");
}

TEST(Validation, ExclusionsAcrossSources) {
  Values v(run_settings());
  v.set("load.rate", "5", Source::File);
  v.set("load.concurrency", "4", Source::Override);
  EXPECT_EQ(error_of([&] { v.check_exclusions(); }), "load.rate and load.concurrency exclude each other: give one");
  Values w(run_settings());
  w.set("server_metrics.urls", nlohmann::json::array({"http://a:1/metrics"}), Source::File);
  w.set("server_metrics.enabled", "true", Source::Override);  // the default: no conflict
  EXPECT_NO_THROW(w.check_exclusions());
  w.set("server_metrics.enabled", "no", Source::Override);
  EXPECT_THROW(w.check_exclusions(), Error);
}

TEST(ConfigJson, NestedByKeyPathWithEffectiveValues) {
  Cli cli_v;
  Values& v = cli_v.parse({"--rate", "2,5", "--no-stream", "--timeout", "30", "--extra-body", R"({"top_k": 5})"});
  const auto j = to_json(v);
  EXPECT_EQ(j["load"]["rate"], nlohmann::json::array({2.0, 5.0}));
  EXPECT_EQ(j["target"]["stream"], false);
  EXPECT_EQ(j["target"]["api"], "chat");
  EXPECT_EQ(j["timeouts"]["request"], 30.0);
  EXPECT_EQ(j["target"]["extra_body"]["top_k"], 5);
  EXPECT_TRUE(j["load"]["duration"].is_null());
  EXPECT_EQ(j["seed"], 0);
  // Every non-secret setting is there, under its key path.
  for (const Setting& s : run_settings().settings()) {
    std::string pointer = "/" + s.key;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    EXPECT_EQ(j.contains(nlohmann::json::json_pointer(pointer)), s.secret != Secret::Whole) << s.key;
  }
}

TEST(ConfigJson, SecretsNeverWritten) {
  Cli cli_v;
  Values& v = cli_v.parse({"--api-key", "sk-SECRET-1", "--header", "X-Team-Token=hunter2", "--header", "X-B=v2",
                           "--endpoint", "https://alice:pa55word@example.com:8443/v1", "--server-metrics",
                           "http://bob:s3cret@10.0.0.1:9000/metrics"});
  const std::string dump = to_json(v).dump();
  for (const char* secret : {"sk-SECRET-1", "hunter2", "v2", "alice", "pa55word", "bob", "s3cret"}) {
    EXPECT_EQ(dump.find(secret), std::string::npos) << secret << " in " << dump;
  }
  const auto j = to_json(v);
  EXPECT_FALSE(j["target"].contains("api_key"));
  EXPECT_EQ(j["target"]["headers"], nlohmann::json::array({"X-Team-Token", "X-B"}));
  EXPECT_EQ(j["target"]["endpoint"], "https://***@example.com:8443/v1");
}

TEST(ConfigJson, RedactsUserInfoOnly) {
  EXPECT_EQ(redact_userinfo("http://u:p@h:1/x?y=a@b"), "http://***@h:1/x?y=a@b");
  EXPECT_EQ(redact_userinfo("http://h:1/metrics"), "http://h:1/metrics");
  EXPECT_EQ(redact_userinfo("see http://u@a and https://v:w@b/"), "see http://***@a and https://***@b/");
}

TEST(Schema, ClosestKeySuggestion) {
  EXPECT_EQ(run_settings().closest("load.rat"), "load.rate");
  EXPECT_EQ(run_settings().closest("rate"), "load.rate");
  EXPECT_EQ(run_settings().closest("timeout.conect"), "timeouts.connect");
  EXPECT_EQ(run_settings().closest("completely.unrelated.thing"), "");
  EXPECT_EQ(suggestion(run_settings(), "load.rat"), " (did you mean 'load.rate'?)");
}

TEST(Schema, RejectsBadDeclarations) {
  EXPECT_THROW(Schema({{.key = "a", .help = "x"}, {.key = "a", .help = "y"}}), std::logic_error);
  EXPECT_THROW(Schema({{.key = "a", .help = "x", .flag = "--a"}, {.key = "b", .help = "y", .flag = "--a"}}),
               std::logic_error);
  EXPECT_THROW(Schema({{.key = "a", .help = "x", .excludes = "nope"}}), std::logic_error);
  EXPECT_THROW(Schema({{.key = "a", .help = "x", .flag_inverts = true}}), std::logic_error);
}

TEST(Reference, ListsEveryKeyWithItsFlagTypeAndDefault) {
  const std::string md = reference_markdown(run_settings());
  for (const Setting& s : run_settings().settings()) {
    const std::string flag = s.flag.empty() ? "  |" : " `" + s.flag + "`";
    EXPECT_NE(md.find("| `" + s.key + "` |" + flag), std::string::npos) << s.key;
  }
  EXPECT_NE(md.find("| `client.workers` | `--workers` | integer | threads | `1` | integer between 1 and 256 |"),
            std::string::npos);
  EXPECT_NE(md.find("| `target.api` | `--api` | string |  | `chat` | `completions`, `chat` |"), std::string::npos);
}

TEST(Reference, DocsConfigMdIsGeneratedFromTheDeclaration) {
  const std::string path = std::string(INFERBENCH_SOURCE_DIR) + "/docs/config.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(text.str() == reference_markdown(run_settings()))
      << path << " differs from the settings declared in src/config/run_settings.cpp; regenerate it with\n"
      << "  inferbench config-reference > docs/config.md";
}

}  // namespace
}  // namespace inferbench::config
