// `--from`: other tools' configs translated into settings. Every inference-perf example and
// llm-d workload profile of tests/config/data translates into settings that `run` accepts; a
// few are checked key by key, with their unsupported keys listed exactly; --strict; and the
// one-line errors of bad files, word for word.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "config/foreign/foreign.hpp"
#include "config/run_settings.hpp"
#include "config/sources.hpp"
#include "core/error.hpp"
#include "test_support.hpp"
#include "workload/length_dist.hpp"
#include "workload/workload.hpp"

namespace inferbench::config::foreign {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

const fs::path kData = fs::path(INFERBENCH_SOURCE_DIR) / "tests" / "config" / "data";

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// llm-d renders its profiles from its environment; any value does for a translation.
std::optional<std::string> llmd_env(const std::string& name) {
  if (name.find("URL") != std::string::npos) return std::string("http://127.0.0.1:8000");
  return std::string("meta-llama/Llama-3.1-8B");
}

struct Translated {
  std::unique_ptr<Values> values = std::make_unique<Values>(run_settings());
  Translation t;
  std::string unsupported() const { return list_notes(t.unsupported); }
  std::string approximate() const { return list_notes(t.approximate); }
};

Translated inference_perf(const std::string& relative) {
  Translated x;
  x.t = from_inference_perf(*x.values, read(kData / "inference-perf" / relative), relative, llmd_env);
  return x;
}

Translated inference_perf_text(const std::string& text) {
  Translated x;
  x.t = from_inference_perf(*x.values, text, "p.yml", llmd_env);
  return x;
}

Translated oci(const std::string& relative) {
  Translated x;
  x.t = from_oci_blueprint(*x.values, read(kData / "oci-blueprint" / relative), relative, llmd_env);
  return x;
}

// `inferbench run`'s options with --from, bound as the run command binds them.
struct FromCli {
  CLI::App app{"test"};
  std::unique_ptr<Values> values = std::make_unique<Values>(run_settings());
  FromCli() {
    bind_profile(app, *values);
    config::bind(app, *values, bind_from(app, *values));
  }
  Values& parse(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return *values;
  }
};

TEST(FromInferencePerf, EveryExampleAndLlmdProfileTranslatesIntoValidSettings) {
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kData / "inference-perf")) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name == "README.md") continue;
    const std::string relative = fs::relative(entry.path(), kData / "inference-perf").string();
    SCOPED_TRACE(relative);
    Translated x;
    ASSERT_EQ(error_of([&] { x = inference_perf(relative); }), "");
    const Values& v = *x.values;
    // What `run` parses later parses now: lengths, the dataset, the stages.
    EXPECT_NO_THROW(workload::LengthDist::parse(v.str("workload.input_tokens"), "input"));
    EXPECT_NO_THROW(workload::LengthDist::parse(v.str("workload.output_tokens"), "output"));
    EXPECT_NO_THROW(workload::parse_dataset(v.str("workload.dataset"), true));
    if (!v.maps("load.stages").is_null()) {
      for (const auto& stage : v.maps("load.stages")) {
        EXPECT_TRUE(stage.contains("rate") != stage.contains("concurrency")) << stage.dump();
      }
    }
    ++files;
  }
  EXPECT_EQ(files, 49U + 27U);  // inference-perf's own corpus, and llm-d's profiles
}

TEST(FromInferencePerf, VllmRandomExampleKeyByKey) {
  const Translated x = inference_perf("examples/vllm/config-random.yml");
  const Values& v = *x.values;
  EXPECT_EQ(v.maps("load.stages"), nlohmann::json::parse(R"([{"rate": 1, "duration": 30}])"));
  EXPECT_EQ(v.str("load.arrival"), "poisson");
  EXPECT_EQ(v.str("target.api"), "completions");
  EXPECT_FALSE(v.boolean("target.stream"));  // inference-perf streams only when asked
  EXPECT_EQ(v.source("target.stream"), Source::File);
  EXPECT_EQ(v.str("target.endpoint"), "http://0.0.0.0:8000");
  EXPECT_EQ(v.str("target.model"), "HuggingFaceTB/SmolLM2-135M-Instruct");
  EXPECT_TRUE(v.boolean("target.ignore_eos"));
  EXPECT_EQ(v.str("workload.dataset"), "random");
  EXPECT_EQ(v.str("workload.input_tokens"), "normal:50:10:10:100");
  EXPECT_EQ(v.str("workload.output_tokens"), "normal:50:10:10:100");
  EXPECT_FALSE(v.given("workload.tokenizer"));
  EXPECT_EQ(x.unsupported(),
            "tokenizer.pretrained_model_name_or_path (a Hugging Face Hub id: inferbench reads a local tokenizer.json "
            "(--tokenizer PATH)), metrics (inferbench reads the server's /metrics itself, not a Prometheus server)");
  EXPECT_EQ(x.approximate(),
            "load.type (constant: inference-perf draws exponential gaps scaled to fill each stage, so arrivals are "
            "poisson here (inferbench's constant would space them evenly))");
}

TEST(FromInferencePerf, LlmdRandomConcurrentListsItsStdKeysAndTheClampedShare) {
  const Translated x = inference_perf("llm-d/random_concurrent.yaml.in");
  const Values& v = *x.values;
  EXPECT_EQ(v.maps("load.stages"), nlohmann::json::parse(R"([{"concurrency": 1, "num_requests": 32},
    {"concurrency": 2, "num_requests": 64}, {"concurrency": 4, "num_requests": 128},
    {"concurrency": 8, "num_requests": 256}])"));
  EXPECT_FALSE(v.given("load.arrival"));
  EXPECT_TRUE(v.boolean("target.stream"));
  EXPECT_EQ(v.str("target.endpoint"), "http://127.0.0.1:8000");
  // `std:` is not inference-perf's key: its default std_dev 200 applies, as in v0.6.1.
  EXPECT_EQ(v.str("workload.input_tokens"), "normal:10000:200:5000:10000");
  EXPECT_EQ(v.str("workload.output_tokens"), "normal:1000:200:500:1000");
  EXPECT_EQ(v.str("output.dir"), "/workspace");
  EXPECT_EQ(x.unsupported(),
            "tokenizer.pretrained_model_name_or_path (a Hugging Face Hub id: inferbench reads a local tokenizer.json "
            "(--tokenizer PATH)), data.input_distribution.std, data.output_distribution.std (not a Distribution "
            "key: std_dev 200 applies)");
  EXPECT_EQ(x.approximate(),
            "data.input_distribution (inference-perf clamps 50 % of the draws to min or max; inferbench redraws them "
            "inside), data.output_distribution (inference-perf clamps 51 % of the draws to min or max; inferbench "
            "redraws them inside)");
}

TEST(FromInferencePerf, SharedPrefixWithDistributions) {
  const Translated x = inference_perf("examples/vllm/config-shared-prefix-distributions.yml");
  const Values& v = *x.values;
  EXPECT_EQ(v.str("workload.dataset"),
            "shared-prefix:groups=10,prompts_per_group=10,system_prompt_tokens=100,question_tokens=200");
  EXPECT_EQ(v.str("workload.output_tokens"), "lognormal:150:60:1:4096");
  EXPECT_EQ(v.integer("seed"), 42);
  EXPECT_EQ(v.maps("load.stages"), nlohmann::json::parse(R"([{"rate": 1, "duration": 30},
    {"rate": 2, "duration": 30}])"));
  EXPECT_EQ(x.unsupported(),
            "load.interval (stages run back to back, each after the last request of the one before), "
            "tokenizer.pretrained_model_name_or_path (a Hugging Face Hub id: inferbench reads a local tokenizer.json "
            "(--tokenizer PATH)), metrics (inferbench reads the server's /metrics itself, not a Prometheus server)");
  EXPECT_EQ(x.approximate(),
            "load.type (constant: inference-perf draws exponential gaps scaled to fill each stage, so arrivals are "
            "poisson here (inferbench's constant would space them evenly)), data.shared_prefix.question_len.type "
            "(skew_normal drawn as normal with the same mean and std_dev (no skew)), data.shared_prefix.question_len "
            "(a distribution: inferbench's shared-prefix lengths are fixed, so its mean is used), "
            "data.shared_prefix.output_len.type (lognormal with this mean and std_dev, redrawn inside [min, max]; "
            "inference-perf clamps to them (and shifts the curve by min for random and synthetic data))");
}

TEST(FromInferencePerf, SweepTraceReplayAndUnknownDatasetsAreListed) {
  // load.sweep is inferbench's sweep: num_stages rates after the synchronous and throughput points.
  const Translated sweep = inference_perf("examples/vllm/config-sweep.yml");
  EXPECT_EQ(sweep.values->integer("load.sweep"), 12);
  EXPECT_EQ(sweep.values->str("load.sweep_spacing"), "linear");
  EXPECT_EQ(sweep.values->duration("load.duration"), std::chrono::seconds(60));
  EXPECT_EQ(sweep.unsupported(),
            "load.interval (stages run back to back, each after the last request of the one before), "
            "load.sweep.timeout, load.sweep.saturation_percentile (the throughput point replaces inference-perf's "
            "saturation burst), data.type (shareGPT without data.path: inference-perf downloads it, inferbench "
            "needs the file), metrics (inferbench reads the server's /metrics itself, not a Prometheus server)");
  EXPECT_NE(sweep.approximate().find("load.sweep (inferbench's sweep: a synchronous and a throughput point"),
            std::string::npos);
  const Translated trace = inference_perf("examples/vllm/config-trace-replay.yml");
  EXPECT_FALSE(trace.values->given("load.stages"));
  EXPECT_EQ(trace.t.unsupported.at(0),
            (Note{"load.type", "trace_replay: inferbench replay FILE replays Azure trace CSVs"}));
  const Translated chat = inference_perf("llm-d/interactive-chat.yaml.in");
  EXPECT_EQ(chat.t.unsupported.at(0), (Note{"load.num_workers", "inference-perf's worker processes"}));
  EXPECT_EQ(chat.t.unsupported.at(1), (Note{"data.type", "conversation_replay: no such dataset in inferbench"}));
}

TEST(FromInferencePerf, ServerTypeMockIsTheBuiltInSimulatorAndGoodputIsInMilliseconds) {
  const Translated x = inference_perf_text(
      "server: {type: mock, base_url: 'http://0.0.0.0:8000'}\n"
      "api: {type: chat, streaming: true, headers: {X-Team: perf}}\n"
      "load: {type: poisson, base_seed: 7, request_timeout: 30, stages: [{rate: 5, duration: 2}]}\n"
      "report: {goodput: {constraints: {ttft: 0.5, tpot: 0.05, request_latency: 10, itl: 0.1}},\n"
      "         request_lifecycle: {percentiles: [0, 50, 99.9, 100]}}\n"
      "storage: {local_storage: {path: out/run}}\n");
  const Values& v = *x.values;
  EXPECT_FALSE(v.given("target.endpoint"));
  EXPECT_EQ(v.str("target.api"), "chat");
  EXPECT_TRUE(v.boolean("target.stream"));
  EXPECT_EQ(v.strings("target.headers"), (std::vector<std::string>{"X-Team=perf"}));
  EXPECT_EQ(v.integer("seed"), 7);
  EXPECT_EQ(*v.duration("timeouts.request"), std::chrono::seconds(30));
  EXPECT_EQ(v.str("slo"), "ttft=500,tpot=50,e2e=10000,itl=100");
  EXPECT_EQ(v.str("output.dir"), "out/run");
  EXPECT_EQ(x.unsupported(), "");
  EXPECT_EQ(x.approximate(),
            "server.type (mock: the built-in simulator answers (no endpoint)), report.goodput.constraints.itl "
            "(inference-perf checks a request's mean inter-token latency, inferbench its largest gap)");
}

TEST(FromInferencePerf, ALocalTokenizerIsUsedAHubIdIsListed) {
  const fs::path dir = fs::temp_directory_path() / "inferbench_foreign_test_tokenizer";
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << "{}";
  for (const fs::path& path : {dir, dir / "tokenizer.json"}) {
    const Translated x = inference_perf_text("tokenizer:\n  pretrained_model_name_or_path: " + path.string() + "\n");
    EXPECT_EQ(x.values->str("workload.tokenizer"), path.string());
    EXPECT_EQ(x.unsupported(), "");
  }
  fs::remove_all(dir);
  const Translated hub = inference_perf_text("tokenizer: {pretrained_model_name_or_path: Qwen/Qwen3-0.6B, token: x}\n");
  EXPECT_FALSE(hub.values->given("workload.tokenizer"));
  EXPECT_EQ(hub.unsupported(),
            "tokenizer.pretrained_model_name_or_path (a Hugging Face Hub id: inferbench reads a local tokenizer.json "
            "(--tokenizer PATH)), tokenizer.token (nothing is downloaded)");
  EXPECT_EQ(hub.t.supplied_by.at("tokenizer.pretrained_model_name_or_path"), "workload.tokenizer");
}

TEST(FromInferencePerf, StructuredOutputShareGptAndTimestampedStorage) {
  const Translated structured = inference_perf("examples/structured-output/config.yml");
  EXPECT_EQ(structured.values->object("target.extra_body"), nlohmann::json::parse(R"({"response_format": {
    "type": "json_schema", "json_schema": {"name": "my_schema", "schema": {"type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}}}})"));
  EXPECT_EQ(structured.values->str("target.api"), "chat");
  EXPECT_FALSE(structured.values->given("workload.dataset"));  // synthetic: the default prompts
  EXPECT_EQ(structured.values->str("workload.input_tokens"), "normal:50:10:10:100");

  const Translated sharegpt = inference_perf_text(
      "data:\n  type: shareGPT\n  path: /d/sg.json\n  input_distribution: {min: 10, max: 1024}\n"
      "  output_distribution: {min: 10, max: 1024}\nstorage: {local_storage: {path: 'reports-{timestamp}'}}\n");
  EXPECT_EQ(sharegpt.values->str("workload.dataset"),
            "sharegpt:/d/sg.json,min_tokens=10,max_prompt=1024,max_total=2048");
  EXPECT_EQ(sharegpt.unsupported(), "");
  EXPECT_EQ(sharegpt.approximate(),
            "data.output_distribution.max (a reply's maximum is applied to prompt + reply here)");
  const std::string dir = sharegpt.values->str("output.dir");
  EXPECT_TRUE(std::regex_match(dir, std::regex(R"(reports-\d{8}-\d{6})"))) << dir;
}

TEST(FromOciBlueprint, ExampleOnlineKeyByKey) {
  const Translated x = oci("example_online.yaml");
  const Values& v = *x.values;
  EXPECT_EQ(v.str("target.model"), "meta/llama3-8b-instruct");
  EXPECT_EQ(v.str("workload.input_tokens"), "64");
  EXPECT_EQ(v.str("workload.output_tokens"), "32");
  EXPECT_EQ(v.integer("load.num_requests"), 5);
  EXPECT_EQ(*v.duration("load.duration"), std::chrono::seconds(300));
  EXPECT_EQ(v.numbers("load.concurrency"), (std::vector<double>{1}));
  EXPECT_EQ(v.str("output.dir"), "/workspace/results_on");
  EXPECT_EQ(v.str("target.api"), "chat");
  EXPECT_TRUE(v.boolean("target.stream"));
  EXPECT_FALSE(v.boolean("target.ignore_eos"));  // LLMPerf does not send it
  EXPECT_EQ(v.str("target.api_key"), "dummy-key");
  EXPECT_EQ(v.str("target.endpoint"), "http://localhost:8001/v1");
  EXPECT_EQ(v.str("mlflow.uri"), "http://mlflow-benchmarking.corrino-oci.com:5000");
  EXPECT_EQ(v.str("mlflow.experiment"), "local-bench");
  EXPECT_EQ(v.str("mlflow.run_name"), "llama3-test");
  EXPECT_EQ(v.object("labels"), nlohmann::json({{"test", "localhost"}}));
  EXPECT_EQ(x.unsupported(), "llmperf_path (LLMPerf's install path: not used)");
  EXPECT_EQ(x.approximate(), "");
  EXPECT_EQ(oci("llama3_public_online.yaml").unsupported(),
            "llmperf_path (LLMPerf's install path: not used), save_metrics_path (results go to results_dir "
            "(--output))");
}

// llm-d's -o on its workload profiles: an -o whose path is in the file changes the file's own
// keys (a missing leaf is added); the rest are inferbench's settings.
TEST(FromCommandLine, OverridesOfTheFilesOwnKeysChangeTheFile) {
  const std::string path = (kData / "inference-perf" / "llm-d" / "sanity_random.yaml.in").string();
  setenv("LLMDBENCH_DEPLOY_CURRENT_MODEL", "meta-llama/Llama-3.1-8B", 1);
  setenv("LLMDBENCH_HARNESS_STACK_ENDPOINT_URL", "http://127.0.0.1:8000", 1);
  FromCli cli;
  Values& v = cli.parse({"--from", "inference-perf", path, "--tokenizer", "tok.json", "-o",
                         "data.input_distribution.mean=300,data.input_distribution.min=200,load.stages.0.duration=5",
                         "-o", "seed=9", "-o", "load.stages.0.rate=2.5", "-o", "server.ignore_eos=no"});
  EXPECT_EQ(v.str("workload.input_tokens").rfind("normal:300:", 0), 0u) << v.str("workload.input_tokens");
  EXPECT_EQ(v.maps("load.stages")[0], (nlohmann::json{{"rate", 2.5}, {"duration", 5}}));
  EXPECT_EQ(v.integer("seed"), 9);
  EXPECT_FALSE(v.boolean("target.ignore_eos"));
  EXPECT_EQ(error_of([&] {
              FromCli().parse({"--from", "inference-perf", path, "-o", "load.stages.3.rate=1"});
            }),
            "-o: 'load.stages.3.rate': index 3 is out of range: load.stages has 1 item");
  EXPECT_EQ(error_of([&] {
              FromCli().parse({"--from", "inference-perf", path, "-o", "data.nope.x=1"});
            }),
            "-o: unknown key 'data.nope.x'");
}

TEST(FromCommandLine, FlagsAndOverridesWinStrictFails) {
  const std::string path = (kData / "inference-perf" / "examples" / "vllm" / "config-random.yml").string();
  FromCli cli;
  Values& v = cli.parse({"--from", "inference-perf", path, "--model", "m2", "-o", "load.stages.0.rate=5"});
  EXPECT_EQ(v.str("target.model"), "m2");
  EXPECT_EQ(v.maps("load.stages")[0]["rate"], 5);
  EXPECT_EQ(v.str("workload.dataset"), "random");
  EXPECT_EQ(error_of([&] {
              FromCli().parse({"--from", "inference-perf", path, "--strict"});
            }),
            path +
                ": not supported by inferbench (--strict): tokenizer.pretrained_model_name_or_path (a Hugging Face "
                "Hub id: inferbench reads a local tokenizer.json (--tokenizer PATH)), metrics (inferbench reads the "
                "server's /metrics itself, not a Prometheus server)");
  // A Hub id is not missing when the command line gives the tokenizer, by flag or by -o.
  for (const auto& given : {std::vector<std::string>{"--tokenizer", "tok.json"},
                            std::vector<std::string>{"-o", "seed=1,workload.tokenizer=tok.json"}}) {
    std::vector<std::string> args = {"--from", "inference-perf", path, "--strict"};
    args.insert(args.end(), given.begin(), given.end());
    EXPECT_EQ(error_of([&] { FromCli().parse(args); }),
              path +
                  ": not supported by inferbench (--strict): metrics (inferbench reads the server's /metrics itself, "
                  "not a Prometheus server)");
  }
  EXPECT_EQ(error_of([&] {
              FromCli().parse({"--from", "guidellm", path});
            }),
            "invalid --from format 'guidellm': must be one of inference-perf, oci-blueprint");
  EXPECT_EQ(error_of([&] { FromCli().parse({"--strict"}); }), "--strict requires --from");
  EXPECT_EQ(error_of([&] {
              FromCli().parse({"--profile", "sanity", "--from", "inference-perf", path});
            }),
            "--from excludes --profile");
  const fs::path profile = fs::temp_directory_path() / "inferbench_foreign_test_profile.yaml";
  std::ofstream(profile) << "seed: 3\n";
  EXPECT_EQ(error_of([&] {
              FromCli().parse({profile.string(), "--from", "inference-perf", path});
            }),
            "--from excludes PROFILE.yaml");
  fs::remove(profile);
}

TEST(FromErrors, OneLineWithFileLineAndKey) {
  const auto error = [](const std::string& text) { return error_of([&] { inference_perf_text(text); }); };
  EXPECT_EQ(error("load:\n  type: constant\n  stages:\n  - rate: abc\n    duration: 30\n"),
            "p.yml:4: invalid load.stages.0.rate 'abc': expected a number");
  EXPECT_EQ(error("load:\n  stages:\n  - rate: 2\n"),
            "p.yml:3: load.stages.0: a constant stage needs rate and duration");
  EXPECT_EQ(error("load:\n  type: concurrent\n  stages:\n  - {num_requests: 0, concurrency_level: 2}\n"),
            "p.yml:4: invalid load.stages.0.num_requests '0': must be >= 1");
  EXPECT_EQ(error("api:\n  streaming: maybe\n"), "p.yml:2: invalid api.streaming 'maybe': expected true or false");
  EXPECT_EQ(error("load:\n  type: bursty\n"),
            "p.yml:2: invalid load.type 'bursty': must be one of constant, poisson, concurrent, trace_replay, "
            "trace_session_replay");
  EXPECT_EQ(error("data:\n  type: random\n"),
            "p.yml:2: data.type random needs data.input_distribution and data.output_distribution");
  EXPECT_EQ(error("data:\n  type: random\n  input_distribution: {min: 9, max: 5}\n  output_distribution: {}\n"),
            "p.yml:3: invalid data.input_distribution: min (9) is above max (5)");
  EXPECT_EQ(error("data:\n  type: synthetic\n  output_distribution:\n    max: 20000000\n"),
            "p.yml:4: invalid data.output_distribution.max '20000000': must be <= 10000000 tokens");
  EXPECT_EQ(error("api:\n  headers: {'Bad Name': x}\n"),
            "p.yml:2: invalid api.headers 'Bad Name': the header name is not a valid HTTP token");
  EXPECT_EQ(error("load: [1,\n"), "p.yml:2: end of sequence flow not found");
  EXPECT_EQ(error("report:\n  request_lifecycle:\n    percentiles: [50, p99]\n"),
            "p.yml:3: invalid report.request_lifecycle.percentiles: expected a list of numbers");
  EXPECT_EQ(inference_perf_text("report:\n  request_lifecycle:\n    percentiles: [0.1, 1, 50, 75, 99]\n").unsupported(),
            "report.request_lifecycle.percentiles (inferbench reports min, p50, p90, p95, p99, p99.9 and max, not "
            "0.1, 1, 75)");
  EXPECT_EQ(error("- a\n"), "p.yml: expected a map of settings");
  EXPECT_EQ(error_of([] {
              Values v(run_settings());
              from_inference_perf(v, "server:\n  model_name: REPLACE_ENV_MODEL\n", "p.yml",
                                  [](const std::string&) { return std::optional<std::string>(); });
            }),
            "p.yml:2: REPLACE_ENV_MODEL: the environment variable MODEL is not set");
  const auto oci_error = [](const std::string& text) {
    return error_of([&] {
      Values v(run_settings());
      from_oci_blueprint(v, text, "o.yaml", llmd_env);
    });
  };
  EXPECT_EQ(oci_error("metadata: test\n"), "o.yaml:1: invalid metadata item 'test': expected KEY=VALUE");
  EXPECT_EQ(oci_error("benchmark_type: offline\n"),
            "o.yaml:1: invalid benchmark_type 'offline': --from oci-blueprint reads the online benchmark (inferbench "
            "offline runs offline ones)");
  EXPECT_EQ(oci_error("num_concurrent: 0\n"), "o.yaml:1: invalid num_concurrent '0': must be >= 1");
}

// A poor man's fuzzing over the corpus (the libFuzzer targets need a clang build): every prefix
// and byte-flipped copy of every file translates or fails with inferbench::Error, nothing else.
TEST(FromErrors, DamagedFilesFailOnlyWithInferbenchErrors) {
  std::size_t errors = 0;
  std::size_t runs = 0;
  std::uint32_t state = 12345;
  const auto next = [&state] { return state = state * 1664525U + 1013904223U; };
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(kData)) {
    if (entry.is_regular_file() && entry.path().filename() != "README.md") files.push_back(entry.path());
  }
  for (const auto& file : files) {
    const std::string text = read(file);
    for (std::size_t i = 0; i < 40; ++i) {
      std::string damaged = text.substr(0, text.size() * i / 40);
      if (i % 2 == 1) {
        damaged = text;
        for (int flips = 0; flips < 3; ++flips) {
          damaged[next() % damaged.size()] = static_cast<char>(" :-{}[],\n'\"#&*!|>%@`0a\xff"[next() % 25]);
        }
      }
      for (const bool oci : {false, true}) {
        Values v(run_settings());
        try {
          ++runs;
          if (oci) {
            (void)from_oci_blueprint(v, damaged, "f.yaml", llmd_env);
          } else {
            (void)from_inference_perf(v, damaged, "f.yaml", llmd_env);
          }
        } catch (const Error& e) {
          ++errors;
          EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
        } catch (const std::exception& e) {
          ADD_FAILURE() << file << " damaged (" << i << "): " << typeid(e).name() << ": " << e.what();
        }
      }
    }
  }
  EXPECT_GT(runs, 6000U);
  EXPECT_GT(errors, 0U);
}

TEST(FromWarning, OneLineListingBoth) {
  Translation t;
  t.unsupported = {{"a.b", ""}, {"c", "why"}, {"d", "why"}};
  t.approximate = {{"e", "how"}};
  EXPECT_EQ(warning_line("inference-perf", "f.yml", t),
            "inferbench: warning: f.yml (inference-perf): not supported, ignored: a.b, c, d (why); mapped "
            "approximately: e (how)");
  EXPECT_EQ(warning_line("inference-perf", "f.yml", Translation{}), "");
}

}  // namespace
}  // namespace inferbench::config::foreign
