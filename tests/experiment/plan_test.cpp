// Experiment files: both forms expanded into cells with the right settings and precedence
// (profile < constants < treatment or level), every error one line with file, line and key,
// and a cell's profile.yaml reading back to the same settings without its secrets.
#include <gtest/gtest.h>

#include <map>

#include "config/run_settings.hpp"
#include "config/sources.hpp"
#include "core/error.hpp"
#include "experiment/builtin.hpp"
#include "experiment/plan.hpp"

namespace inferbench::experiment {
namespace {

config::EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Plan plan(const std::string& text, const config::EnvLookup& env = fake_env({})) {
  return plan_experiment(text, "exp.yaml", "", env);
}

std::string error_of(const std::string& text) {
  try {
    plan(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Factors, ExpandToEveryCombinationLastFactorFastest) {
  const Plan p = plan(
      "name: grid\nprofile: sanity\nconstants: {labels: {gpu: H100}, load.num_requests: 8}\n"
      "factors:\n  load.concurrency: [1, 4]\n  labels.tp: [1, 2, 8]\n");
  EXPECT_EQ(p.name, "grid");
  EXPECT_EQ(p.factors, (std::vector<std::string>{"load.concurrency", "labels.tp"}));
  ASSERT_EQ(p.cells.size(), 6u);
  EXPECT_EQ(p.cells[0].name, "concurrency-1_tp-1");
  EXPECT_EQ(p.cells[2].name, "concurrency-1_tp-8");
  EXPECT_EQ(p.cells[5].name, "concurrency-4_tp-8");
  const config::Values& v = p.cells[4].settings;  // concurrency 4, tp 2
  EXPECT_EQ(v.numbers("load.concurrency"), std::vector<double>{4});
  EXPECT_EQ(v.integer("load.num_requests"), 8);      // constants over the profile's 16
  EXPECT_EQ(v.str("workload.output_tokens"), "16");  // the profile's own
  EXPECT_EQ(v.str("profile"), "sanity");             // recorded, as --profile records it
  // A setting is replaced whole (the constants' labels, not the profile's purpose); an element
  // path (labels.tp) sets one member.
  EXPECT_EQ(v.object("labels"),
            (nlohmann::json{{"gpu", "H100"}, {"tp", 2}, {"experiment", "grid"}, {"cell", "concurrency-4_tp-2"}}));
  EXPECT_EQ(p.cells[4].levels,
            (std::vector<std::pair<std::string, std::string>>{{"load.concurrency", "4"}, {"labels.tp", "2"}}));
}

TEST(Factors, ProfileIsAFactorAndNamesTheCell) {
  const Plan p = plan("factors:\n  profile: [sanity, sanity-open]\n  workload.output_tokens: [16, 32]\n");
  ASSERT_EQ(p.cells.size(), 4u);
  EXPECT_EQ(p.name, "exp");  // the file's stem
  EXPECT_EQ(p.cells[1].name, "sanity_output_tokens-32");
  EXPECT_EQ(p.cells[2].name, "sanity-open_output_tokens-16");
  EXPECT_DOUBLE_EQ(p.cells[2].settings.numbers("load.rate").at(0), 20);  // from sanity-open
  EXPECT_EQ(p.cells[3].settings.str("workload.output_tokens"), "32");
}

TEST(Treatments, ConstantsThenTreatmentOverTheProfile) {
  const Plan p = plan(
      "experiment: {name: llmd, profile: sanity, harness: inference-perf}\n"
      "constants:\n  load.num_requests: 6\n  seed: 7\n"
      "treatments:\n"
      "  - name: c2\n    load.concurrency: 2\n"
      "  - name: open\n    profile: sanity-open\n    load.num_requests: 9\n"
      "  - name: staged\n    load: {concurrency: [1, 3]}\n    load.concurrency.1: 5\n");
  ASSERT_EQ(p.cells.size(), 3u);
  EXPECT_EQ(p.name, "llmd");
  EXPECT_EQ(p.cells[0].settings.numbers("load.concurrency"), std::vector<double>{2});
  EXPECT_EQ(p.cells[0].settings.integer("load.num_requests"), 6);
  EXPECT_EQ(p.cells[0].settings.integer("seed"), 7);
  EXPECT_EQ(p.cells[1].settings.integer("load.num_requests"), 9);  // the treatment over the constants
  EXPECT_DOUBLE_EQ(p.cells[1].settings.numbers("load.rate").at(0), 20);
  EXPECT_EQ(p.cells[2].settings.numbers("load.concurrency"), (std::vector<double>{1, 5}));  // an element path
  EXPECT_EQ(p.cells[1].levels, (std::vector<std::pair<std::string, std::string>>{{"treatment", "open"}}));
}

TEST(Treatments, LlmdRunKeyAndUnnamedTreatments) {
  const Plan p = plan("profile: sanity\nrun:\n  - {load.concurrency: 2}\n  - {load.concurrency: 3}\n");
  ASSERT_EQ(p.cells.size(), 2u);
  EXPECT_EQ(p.cells[1].name, "treatment-2");
}

TEST(Templating, ReplaceEnvTokensAreRenderedAndAnUnsetOneIsNamed) {
  const Plan p = plan("profile: sanity\nconstants: {target.model: REPLACE_ENV_M}\ntreatments: [{name: a}]\n",
                      fake_env({{"M", "llama"}}));
  EXPECT_EQ(p.cells[0].settings.str("target.model"), "llama");
  EXPECT_EQ(error_of("constants: {target.model: REPLACE_ENV_M}\ntreatments: [{name: a}]\n"),
            "exp.yaml:1: REPLACE_ENV_M: the environment variable M is not set");
}

TEST(Errors, OneLineWithFileLineAndKey) {
  EXPECT_EQ(error_of("profile: sanity\ntreatment:\n  - name: a\n"),
            "exp.yaml:2: unknown key 'treatment' (did you mean 'treatments'?)");
  EXPECT_EQ(error_of("setup: {}\ntreatments: [{name: a}]\n"),
            "exp.yaml:1: unknown key 'setup': a server per treatment is a treatment's launch.command here "
            "(docs/experiments.md)");
  EXPECT_EQ(error_of("profile: sanity\ntreatments:\n  - name: a\n    load.concurency: 2\n"),
            "exp.yaml:4: unknown key 'load.concurency' (did you mean 'load.concurrency'?)");
  EXPECT_EQ(error_of("profile: sanity\nconstants:\n  load.num_requests: -3\ntreatments: [{name: a}]\n"),
            "exp.yaml:3: invalid load.num_requests '-3': must be an integer >= 0");
  EXPECT_EQ(error_of("profile: sanity\nfactors:\n  load.concurrency.3: [1, 2]\n"),
            "exp.yaml:3: 'load.concurrency.3': index 3 is out of range: load.concurrency has 2 items");
  EXPECT_EQ(error_of("treatments: [{name: a}]\nfactors: {seed: [1]}\n"),
            "exp.yaml:2: give treatments or factors, not both");
  EXPECT_EQ(error_of("profile: sanity\n"), "exp.yaml: no cells: give treatments (a list) or factors (a map of levels)");
  EXPECT_EQ(error_of("treatments:\n  - name: a/b\n"),
            "exp.yaml:2: treatment name 'a/b': it names a folder, so use letters, digits, '.', '_' and '-'");
  EXPECT_EQ(error_of("treatments: [{name: a}, {name: a}]\n"), "exp.yaml: two treatments are named 'a'");
  EXPECT_EQ(error_of("factors: {seed: []}\n"), "exp.yaml:1: factor 'seed' has no levels");
  EXPECT_EQ(error_of("factors: {profile: [sanity, sanity-opn]}\n"),
            "unknown profile 'sanity-opn' (did you mean 'sanity-open'?); inferbench profiles lists them");
  EXPECT_EQ(error_of("factors: {seed: [1, 2], a.seed: [3]}\n"),
            "exp.yaml:1: unknown key 'a.seed' (did you mean 'seed'?)");
  EXPECT_EQ(error_of("[1, 2]\n"), "exp.yaml: expected an experiment (constants and treatments, or factors)");
  EXPECT_EQ(error_of("treatments: [{name: a}\n").rfind("exp.yaml:2: ", 0), 0u);  // yaml-cpp's message follows
}

TEST(Errors, TooManyCellsIsRefusedBeforeAnythingIsBuilt) {
  std::string levels = "[";
  for (int i = 0; i < 101; ++i) levels += std::to_string(i) + (i < 100 ? "," : "]");
  EXPECT_EQ(error_of("factors:\n  seed: " + levels + "\n  load.num_requests: " + levels + "\n"),
            "exp.yaml:3: the factors make more than 10000 cells");
}

TEST(CellProfile, ReadsBackToTheSameSettingsWithoutItsSecrets) {
  const Plan p = plan(
      "profile: sanity\nconstants:\n  target.api_key: sk-secret-123\n  target.headers: ['X-Token=tok:en #1']\n"
      "  target.extra_body: {stop: ['a, b'], top_k: 5}\n  labels: {note: 'quote \" and: colon'}\n"
      "treatments: [{name: a, load.concurrency: [2, 3]}]\n");
  std::vector<std::pair<std::string, std::string>> secrets;
  const std::string text = cell_profile(p.cells[0].settings, secrets);
  EXPECT_EQ(text.find("sk-secret-123"), std::string::npos) << text;
  EXPECT_EQ(text.find("tok:en"), std::string::npos) << text;
  ASSERT_EQ(secrets.size(), 2u);
  std::map<std::string, std::string> env(secrets.begin(), secrets.end());
  config::Values back(config::run_settings());
  config::load_profile(back, text, "profile.yaml", fake_env(env));
  for (const config::Setting& s : config::run_settings().settings()) {
    EXPECT_EQ(back.get(s.key), p.cells[0].settings.get(s.key)) << s.key;
  }
}

TEST(Builtin, EveryBuiltInExperimentPlans) {
  ASSERT_FALSE(builtin_experiments().empty());
  for (const BuiltinExperiment& e : builtin_experiments()) {
    EXPECT_FALSE(e.description.empty()) << e.name;
    const Plan p = plan_experiment(e.yaml, e.name, "", fake_env({}));
    EXPECT_FALSE(p.cells.empty()) << e.name;
  }
  const Plan oci = plan_experiment(find_builtin_experiment("oci-all-four")->yaml, "oci-all-four", "", fake_env({}));
  ASSERT_EQ(oci.cells.size(), 4u);
  EXPECT_EQ(oci.cells[3].name, "oci-long");
  EXPECT_EQ(oci.cells[3].settings.numbers("load.concurrency"), (std::vector<double>{1, 5, 10, 25, 50}));
  EXPECT_EQ(find_builtin_experiment("nope"), nullptr);
}

}  // namespace
}  // namespace inferbench::experiment
