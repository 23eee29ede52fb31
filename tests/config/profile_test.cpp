// Profiles: REPLACE_ENV_ templating, `-o` paths into lists and maps, llm-d's leaf-only
// overrides, the one-line errors of bad files, and the built-in profiles.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "config/json.hpp"
#include "core/error.hpp"
#include "test_support.hpp"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace inferbench::config {
namespace {

using testing::Cli;
using testing::error_of;

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Templating, ReplacesEveryTokenFromTheEnvironment) {
  const auto env = fake_env(
      {{"LLMDBENCH_DEPLOY_CURRENT_MODEL", "meta-llama/Llama-3.1-8B"}, {"URL", "http://h:8000"}, {"EMPTY", ""}});
  EXPECT_EQ(render_env_tokens("model: REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL\nurl: REPLACE_ENV_URL/v1 "
                              "REPLACE_ENV_URL\nx: 'REPLACE_ENV_EMPTY'\n",
                              "p.yaml", env),
            "model: meta-llama/Llama-3.1-8B\nurl: http://h:8000/v1 http://h:8000\nx: ''\n");
  EXPECT_EQ(render_env_tokens("no tokens here: REPLACE_ENV\n", "p.yaml", env), "no tokens here: REPLACE_ENV\n");
}

TEST(Templating, AnUnsetVariableIsAnErrorNamingItAndItsLine) {
  EXPECT_EQ(error_of([] { render_env_tokens("a: 1\n\nmodel: REPLACE_ENV_MODEL_NAME\n", "p.yaml", fake_env({})); }),
            "p.yaml:3: REPLACE_ENV_MODEL_NAME: the environment variable MODEL_NAME is not set");
  // The values are rendered before YAML is read, so a rendered value is checked like any other.
  Values v(run_settings());
  EXPECT_EQ(error_of([&] {
              load_profile(v, "load:\n  rate: REPLACE_ENV_R\n", "p.yaml", fake_env({{"R", "-2"}}));
            }),
            "p.yaml:2: invalid load.rate '-2': must be between 0.001 and 1000000");
  load_profile(v, "target:\n  model: REPLACE_ENV_M\n", "p.yaml", fake_env({{"M", "m1"}}));
  EXPECT_EQ(v.str("target.model"), "m1");
}

TEST(Labels, AMapOfFreeLabelsReachesTheConfigJson) {
  Values v(run_settings());
  load_profile(v, "labels:\n  gpu: H100x8\n  framework: vllm\n  tp: 4\n  spec_decode: false\n", "p.yaml");
  EXPECT_EQ(v.object("labels"),
            nlohmann::json({{"gpu", "H100x8"}, {"framework", "vllm"}, {"tp", 4}, {"spec_decode", false}}));
  EXPECT_EQ(to_json(v)["labels"]["tp"], 4);
  EXPECT_EQ(error_of([&] { load_profile(v, "labels: [a, b]\n", "p.yaml"); }),
            "p.yaml:1: invalid labels '[\"a\",\"b\"]': expected a JSON object");
}

TEST(Overrides, ListIndicesReplaceOneItemInRange) {
  Cli cli;
  Values& v = cli.parse({"--concurrency", "1,4,16", "-o", "load.concurrency.1=8"});
  EXPECT_EQ(v.numbers("load.concurrency"), (std::vector<double>{1, 8, 16}));
  EXPECT_EQ(error_of([] {
              Cli().parse({"--concurrency", "1,4", "-o", "load.concurrency.2=8"});
            }),
            "-o: 'load.concurrency.2': index 2 is out of range: load.concurrency has 2 items");
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "load.concurrency.0=8"});
            }),
            "-o: 'load.concurrency.0': index 0 is out of range: load.concurrency has 0 items");
  EXPECT_EQ(error_of([] {
              Cli().parse({"--concurrency", "1,4", "-o", "load.concurrency.x=8"});
            }),
            "-o: 'load.concurrency.x': load.concurrency is a list, so 'x' must be an index (0 to 1)");
  // The item is checked with the list's own type and bounds.
  EXPECT_EQ(error_of([] {
              Cli().parse({"--concurrency", "1,4", "-o", "load.concurrency.0=0.5"});
            }),
            "-o: invalid load.concurrency '0.5': must be an integer between 1 and 100000");
  EXPECT_EQ(error_of([] {
              Cli().parse({"-o", "seed.0=1"});
            }),
            "-o: unknown key 'seed.0': seed is a single value, not a list or map");
}

TEST(Overrides, PathsIntoMapsCoerceLikeLlmD) {
  Cli cli;
  Values& v = cli.parse({"-o", "labels.gpu=H100,labels.tp=4,labels.eager=yes,labels.ratio=0.5", "-o",
                         "target.extra_body.temperature=0.7", "-o", "labels.nested.x=no"});
  EXPECT_EQ(v.object("labels"),
            nlohmann::json({{"gpu", "H100"}, {"tp", 4}, {"eager", true}, {"ratio", 0.5}, {"nested", {{"x", false}}}}));
  EXPECT_EQ(v.object("target.extra_body"), nlohmann::json({{"temperature", 0.7}}));
  // A file's map is kept and one member changed.
  Values w(run_settings());
  load_profile(w, "target: {extra_body: {stop: [a, b], top_k: 4}}\n", "p.yaml");
  EXPECT_NO_THROW(apply_override(w, "target.extra_body.stop.1=end"));
  EXPECT_EQ(w.object("target.extra_body"), nlohmann::json({{"stop", {"a", "end"}}, {"top_k", 4}}));
  EXPECT_EQ(error_of([&] { apply_override(w, "target.extra_body.stop.2=x"); }),
            "-o: 'target.extra_body.stop.2': index 2 is out of range: target.extra_body.stop has 2 items");
  EXPECT_EQ(error_of([&] { apply_override(w, "target.extra_body.top_k.a=1"); }),
            "-o: 'target.extra_body.top_k.a': target.extra_body.top_k is a single value, not a map or list");
}

TEST(Overrides, LeafOnlyNamesAreAcceptedWhenUnambiguous) {
  Cli cli;
  Values& v = cli.parse({"-o", "rate=5,warmup=3", "-o", "num_requests=200"});
  EXPECT_EQ(v.numbers("load.rate"), (std::vector<double>{5}));
  EXPECT_EQ(v.integer("load.warmup"), 3);
  EXPECT_EQ(v.integer("load.num_requests"), 200);
  // A list value keeps its commas, and NAME=VALUE lists (slo) keep theirs even when an item's
  // name is also a leaf (sim.itl).
  Cli lists;
  Values& l = lists.parse({"-o", "concurrency=1,4,16,warmup=2", "-o", "slo=ttft=500,itl=100"});
  EXPECT_EQ(l.numbers("load.concurrency"), (std::vector<double>{1, 4, 16}));
  EXPECT_EQ(l.integer("load.warmup"), 2);
  EXPECT_EQ(l.str("slo"), "ttft=500,itl=100");
}

TEST(Overrides, AnAmbiguousLeafNamesThePathsItWouldChange) {
  const Schema schema({{.key = "input.min", .type = Type::Integer, .help = "a"},
                       {.key = "output.min", .type = Type::Integer, .help = "b"},
                       {.key = "output.max", .type = Type::Integer, .help = "c"}});
  Values v(schema);
  EXPECT_EQ(error_of([&] { apply_override(v, "min=20"); }),
            "-o: 'min' would change 2 settings (input.min, output.min): give the dotted key path");
  apply_override(v, "max=30");
  EXPECT_EQ(v.integer("output.max"), 30);
  EXPECT_EQ(error_of([&] { apply_override(v, "maxx=30"); }), "-o: unknown key 'maxx' (did you mean 'output.max'?)");
}

TEST(ProfileFiles, BadFilesGiveOneLineWithFileLineKeyAndClosest) {
  Values v(run_settings());
  EXPECT_EQ(error_of([&] { load_profile(v, "laod:\n  rate: 5\n", "p.yaml"); }),
            "p.yaml:1: unknown key 'laod' (did you mean 'load'?)");
  EXPECT_EQ(error_of([&] { load_profile(v, "load:\n  concurency: [1]\n", "p.yaml"); }),
            "p.yaml:2: unknown key 'load.concurency' (did you mean 'load.concurrency'?)");
  EXPECT_EQ(error_of([&] { load_profile(v, "lables: {gpu: x}\n", "p.yaml"); }),
            "p.yaml:1: unknown key 'lables' (did you mean 'labels'?)");
  EXPECT_EQ(error_of([&] { load_profile(v, "load:\n  rate: 1\nload.rate: 2\n", "p.yaml"); }),
            "p.yaml:3: load.rate is given twice (first on line 2)");
  EXPECT_EQ(error_of([&] { load_profile(v, "seed: 1\nseed: 2\n", "p.yaml"); }),
            "p.yaml:2: seed is given twice (first on line 1)");
  EXPECT_EQ(error_of([&] { load_profile(v, "target:\n  model: {a: 1}\n", "p.yaml"); }),
            "p.yaml:2: invalid target.model '{\"a\":1}': expected a single value");
  EXPECT_EQ(error_of([&] { load_profile_file(v, "/nonexistent/p.yaml"); }), "cannot read /nonexistent/p.yaml");
  EXPECT_EQ(error_of([&] { load_profile_file(v, "/tmp"); }), "/tmp: is a directory, not a profile");
}

TEST(ProfileFiles, FlagsAndOverridesBeatTheFileWhateverTheirOrder) {
  const std::string path = ::testing::TempDir() + "profile_precedence.yaml";
  std::ofstream(path) << "load:\n  concurrency: [1, 2]\n  warmup: 7\nseed: 3\nlabels: {gpu: A100}\n";
  Cli cli;
  Values& v = cli.parse({"--warmup", "1", path, "-o", "load.concurrency.1=6", "-o", "labels.gpu=H100"});
  EXPECT_EQ(v.integer("load.warmup"), 1);                                 // the flag
  EXPECT_EQ(v.integer("seed"), 3);                                        // the file
  EXPECT_EQ(v.numbers("load.concurrency"), (std::vector<double>{1, 6}));  // -o indexes the file's list
  EXPECT_EQ(v.object("labels"), nlohmann::json({{"gpu", "H100"}}));
  EXPECT_THROW(Cli().parse({path, "--profile", "sanity"}), CLI::ExcludesError);
}

TEST(BuiltinProfiles, EveryOneLoadsWithADescription) {
  ASSERT_FALSE(builtin_profiles().empty());
  for (const auto& p : builtin_profiles()) {
    Values v(run_settings());
    EXPECT_NO_THROW(load_profile(v, p.yaml, p.name)) << p.name;
    EXPECT_NO_THROW(v.check_exclusions()) << p.name;
    EXPECT_FALSE(p.description.empty()) << p.name;
    EXPECT_EQ(v.str("description"), p.description) << p.name;
    // One line each in `inferbench profiles`.
    EXPECT_EQ(p.description.find('\n'), std::string::npos) << p.name;
  }
  EXPECT_EQ(error_of([] { builtin_profile("santy"); }),
            "unknown profile 'santy' (did you mean 'sanity'?); inferbench profiles lists them");
  Cli cli;
  Values& v = cli.parse({"--profile", "sanity", "--concurrency", "2"});
  EXPECT_EQ(v.numbers("load.concurrency"), (std::vector<double>{2}));
  EXPECT_EQ(v.source("workload.input_tokens"), Source::File);
}

TEST(Stages, AListOfMapsFromYamlAndOverridesIntoIt) {
  Values v(run_settings());
  load_profile(v, "load:\n  stages:\n    - {rate: 1, duration: 30}\n    - {concurrency: 4, num_requests: 64}\n",
               "p.yaml");
  EXPECT_EQ(v.maps("load.stages"),
            nlohmann::json::parse(R"([{"rate":1,"duration":30},{"concurrency":4,"num_requests":64}])"));
  apply_override(v, "load.stages.0.rate=5,load.stages.1.num_requests=32");
  EXPECT_EQ(v.maps("load.stages")[0]["rate"], 5);
  EXPECT_EQ(v.maps("load.stages")[1]["num_requests"], 32);
  EXPECT_EQ(error_of([&] { apply_override(v, "load.stages.2.rate=5"); }),
            "-o: 'load.stages.2.rate': index 2 is out of range: load.stages has 2 items");
  EXPECT_EQ(error_of([&] { load_profile(v, "load:\n  stages: {rate: 1}\n", "q.yaml"); }),
            "q.yaml:2: invalid load.stages '{\"rate\":1}': expected a list of maps");
  EXPECT_EQ(error_of([&] { load_profile(v, "load:\n  stages: [1, 2]\n", "q.yaml"); }),
            "q.yaml:2: invalid load.stages '[1,2]': expected a list of maps");
}

TEST(ProfilesDoc, TheGeneratedBlockOfDocsProfilesMdIsCurrent) {
  const std::string path = std::string(INFERBENCH_SOURCE_DIR) + "/docs/profiles.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string begin = "<!-- BEGIN GENERATED -->\n";
  const std::string end = "<!-- END GENERATED -->";
  const auto b = doc.find(begin);
  const auto e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), profiles_reference_markdown(run_settings()))
      << "docs/profiles.md is out of date: run scripts/update-profiles-doc.sh";
}

}  // namespace
}  // namespace inferbench::config
