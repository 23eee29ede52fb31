// inference-perf's config (kubernetes-sigs/inference-perf@7de5ef2, inference_perf/config/**)
// mapped onto inferbench's settings. What each key means there was read from that source; where
// inferbench does the same thing differently the key is listed as approximate, and where it
// cannot do it at all, unsupported (docs/profiles.md, "Other tools' configs").
#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "config/foreign/foreign.hpp"
#include "config/foreign/inference_perf_data.hpp"
#include "config/foreign/reader.hpp"
#include "core/error.hpp"

namespace inferbench::config::foreign {

namespace {

// load.sweep: inference-perf finds the saturation rate with a burst of `timeout` seconds, then
// runs num_stages rates up to it, stage_duration seconds each. inferbench's --sweep measures the
// synchronous and the throughput rate first, then N-2 rates between them (docs/sweeps.md), and
// stops at the first over-saturated one: num_stages rates are --sweep num_stages+2.
void map_sweep(Reader& r, Values& v, const std::string& type) {
  if (!r.find("load.sweep").IsMap() || type == "trace_replay" || type == "trace_session_replay") return;
  const std::int64_t stages = r.integer("load.sweep.num_stages").value_or(5);
  if (stages < 1) {
    r.fail("load.sweep.num_stages", fmt::format("invalid load.sweep.num_stages '{}': must be >= 1", stages));
  }
  r.set(v, "load.sweep", std::min<std::int64_t>(stages + 2, 100), "load.sweep.num_stages");
  r.set(v, "load.sweep_spacing", r.choice("load.sweep.type", {"linear", "geometric"}).value_or("linear"),
        "load.sweep.type");
  r.set(v, "load.duration", r.number("load.sweep.stage_duration").value_or(180), "load.sweep.stage_duration");
  if (type != "concurrent") r.set(v, "load.arrival", "poisson", "load.type");
  r.approximate("load.sweep",
                "inferbench's sweep: a synchronous and a throughput point, then num_stages rates up to the "
                "throughput rate, stopping at the first over-saturated one (inference-perf probes saturation "
                "with a burst and runs every rate)");
  r.explain("load.sweep.timeout", "the throughput point replaces inference-perf's saturation burst");
  r.explain("load.sweep.num_requests", "the throughput point replaces inference-perf's saturation burst");
  r.explain("load.sweep.saturation_percentile", "the throughput point replaces inference-perf's saturation burst");
}

void map_load(Reader& r, Values& v) {
  const std::string type =
      r.choice("load.type", {"constant", "poisson", "concurrent", "trace_replay", "trace_session_replay"})
          .value_or("constant");
  if (type == "trace_replay" || type == "trace_session_replay") {
    r.unsupported("load.type", type == "trace_replay" ? "trace_replay: inferbench replay FILE replays Azure trace CSVs"
                                                      : "trace_session_replay: no session replay in inferbench");
    r.unsupported("load.stages", "stages of an unsupported load.type");
  } else if (r.find("load.sweep").IsMap()) {
    r.unsupported("load.stages", "replaced by load.sweep, as inference-perf replaces them");
  } else if (r.find("load.stages").IsSequence()) {
    nlohmann::json stages = nlohmann::json::array();
    const YAML::Node list = r.find("load.stages");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = fmt::format("load.stages.{}", i);
      nlohmann::json stage = nlohmann::json::object();
      if (type == "concurrent") {
        const auto n = r.integer(at + ".num_requests");
        const auto users = r.integer(at + ".concurrency_level");
        if (!n || !users) r.fail(at, at + ": a concurrent stage needs num_requests and concurrency_level");
        if (*n < 1) r.fail(at + ".num_requests", fmt::format("invalid {}.num_requests '{}': must be >= 1", at, *n));
        if (*users < 1) {
          r.fail(at + ".concurrency_level", fmt::format("invalid {}.concurrency_level '{}': must be >= 1", at, *users));
        }
        stage = {{"concurrency", *users}, {"num_requests", *n}};
      } else {
        const auto rate = r.number(at + ".rate");
        const auto seconds = r.number(at + ".duration");
        if (!rate || !seconds) r.fail(at, fmt::format("{}: a {} stage needs rate and duration", at, type));
        if (*rate <= 0) r.fail(at + ".rate", fmt::format("invalid {}.rate '{}': must be > 0", at, *rate));
        if (*seconds <= 0) r.fail(at + ".duration", fmt::format("invalid {}.duration '{}': must be > 0", at, *seconds));
        stage = {{"rate", *rate}, {"duration", *seconds}};
      }
      stages.push_back(stage);
    }
    r.set(v, "load.stages", stages, "load.stages");
    if (type != "concurrent") {
      r.set(v, "load.arrival", "poisson", "load.type");
      if (type == "constant") {
        r.approximate("load.type",
                      "constant: inference-perf draws exponential gaps scaled to fill each stage, so arrivals are "
                      "poisson here (inferbench's constant would space them evenly)");
      }
    }
  } else if (r.has("load.stages")) {
    r.fail("load.stages", "invalid load.stages: expected a list of stages");
  }
  map_sweep(r, v, type);
  r.explain("load.interval", "stages run back to back, each after the last request of the one before");
  r.unsupported("load.trace");
  for (const char* key : {"load.num_workers", "load.worker_max_concurrency", "load.worker_max_tcp_connections"}) {
    r.explain(key, "inference-perf's worker processes");
  }
  if (const auto t = r.number("load.request_timeout")) r.set(v, "timeouts.request", *t, "load.request_timeout");
  if (const auto seed = r.integer("load.base_seed")) r.set(v, "seed", *seed, "load.base_seed");
}

void map_api_server(Reader& r, Values& v) {
  const std::string api = r.choice("api.type", {"completion", "chat", "anthropic_messages"}).value_or("completion");
  if (api == "anthropic_messages") {
    r.unsupported("api.type", "anthropic_messages: inferbench speaks the OpenAI API");
  } else {
    r.set(v, "target.api", api == "chat" ? "chat" : "completions", "api.type");
  }
  // inference-perf does not stream unless asked; inferbench does by default.
  r.set(v, "target.stream", r.boolean("api.streaming").value_or(false), "api.streaming");
  if (r.find("api.headers").IsMap()) r.set(v, "target.headers", r.json("api.headers"), "api.headers");
  if (r.find("api.response_format").IsMap()) {
    const std::string kind =
        r.choice("api.response_format.type", {"json_schema", "json_object"}).value_or("json_schema");
    nlohmann::json format = {{"type", kind}};
    if (kind == "json_schema") {
      format["json_schema"] = {{"name", r.text("api.response_format.name").value_or("structured_output")},
                               {"schema", r.json("api.response_format.json_schema")}};
    }
    r.take("api.response_format");
    r.set(v, "target.extra_body", nlohmann::json{{"response_format", format}}, "api.response_format");
  }
  r.explain("api.slo_unit", "no SLO headers are sent");
  r.explain("api.slo_ttft_header", "no SLO headers are sent");
  r.explain("api.slo_tpot_header", "no SLO headers are sent");

  const std::string server = r.choice("server.type", {"vllm", "sglang", "tgi", "mock"}).value_or("vllm");
  if (server == "mock") {
    r.approximate("server.type", "mock: the built-in simulator answers (no endpoint)");
    r.take("server.base_url");
  } else if (const auto url = r.text("server.base_url")) {
    r.set(v, "target.endpoint", *url, "server.base_url");
  }
  if (const auto model = r.text("server.model_name")) r.set(v, "target.model", *model, "server.model_name");
  if (const auto eos = r.boolean("server.ignore_eos")) r.set(v, "target.ignore_eos", *eos, "server.ignore_eos");
  if (const auto key = r.text("server.api_key")) r.set(v, "target.api_key", *key, "server.api_key");
  r.explain("server.cert_path", "no client certificates");
  r.explain("server.key_path", "no client certificates");
}

// tokenizer.pretrained_model_name_or_path: a local tokenizer.json or its directory. A Hugging
// Face Hub id is not downloaded.
void map_tokenizer(Reader& r, Values& v) {
  const auto path = r.text("tokenizer.pretrained_model_name_or_path");
  if (path) {
    std::error_code ec;
    const std::filesystem::path p(*path);
    const bool local = std::filesystem::exists(p, ec) ||
                       (!path->empty() && (path->front() == '/' || path->front() == '.')) || p.extension() == ".json";
    if (local) {
      r.set(v, "workload.tokenizer", *path, "tokenizer.pretrained_model_name_or_path");
    } else {
      r.unsupported("tokenizer.pretrained_model_name_or_path",
                    "a Hugging Face Hub id: inferbench reads a local tokenizer.json (--tokenizer PATH)",
                    "workload.tokenizer");
    }
  }
  if (r.boolean("tokenizer.trust_remote_code").value_or(false)) {
    r.unsupported("tokenizer.trust_remote_code", "inferbench reads tokenizer.json only");
  }
  r.explain("tokenizer.token", "nothing is downloaded");
}

void map_report(Reader& r, Values& v) {
  // inferbench always writes the summary, every stage, and (with --output) every request.
  for (const char* key : {"summary", "per_stage", "per_request"}) {
    (void)r.boolean(fmt::format("report.request_lifecycle.{}", key));
  }
  if (r.has("report.request_lifecycle.percentiles")) {
    const nlohmann::json list = r.json("report.request_lifecycle.percentiles");
    std::vector<std::string> missing;
    for (const auto& p : list.is_array() ? list : nlohmann::json::array({list})) {
      if (!p.is_number()) {
        r.fail("report.request_lifecycle.percentiles",
               "invalid report.request_lifecycle.percentiles: expected a list of numbers");
      }
      // p0 and p100 are the min and max inferbench reports with every distribution.
      static const std::vector<double> kReported = {0, 50, 90, 95, 99, 99.9, 100};
      const double x = p.get<double>();
      if (std::find(kReported.begin(), kReported.end(), x) == kReported.end()) missing.push_back(fmt::format("{}", x));
    }
    if (!missing.empty()) {
      r.unsupported(
          "report.request_lifecycle.percentiles",
          fmt::format("inferbench reports min, p50, p90, p95, p99, p99.9 and max, not {}", fmt::join(missing, ", ")));
    }
  }
  if (r.has("report.request_lifecycle.use_server_output_tokens") &&
      !*r.boolean("report.request_lifecycle.use_server_output_tokens")) {
    r.unsupported("report.request_lifecycle.use_server_output_tokens",
                  "inferbench counts the server's usage.completion_tokens when sent");
  }
  // Goodput: inference-perf's constraints are in seconds, inferbench's SLOs in milliseconds.
  std::vector<std::string> slo;
  for (const auto& name : r.keys("report.goodput.constraints")) {
    static const std::map<std::string, std::string> kNames = {
        {"ttft", "ttft"}, {"tpot", "tpot"}, {"itl", "itl"}, {"ntpot", "ntpot"}, {"request_latency", "e2e"}};
    const std::string at = "report.goodput.constraints." + name;
    const auto it = kNames.find(name);
    if (it == kNames.end()) continue;  // left over: listed
    const double seconds = *r.number(at);
    if (seconds <= 0) r.fail(at, fmt::format("invalid {} '{}': must be > 0 seconds", at, seconds));
    slo.push_back(fmt::format("{}={}", it->second, std::round(seconds * 1e6) / 1e3));  // ms, to the µs
    if (name == "itl") {
      r.approximate(at, "inference-perf checks a request's mean inter-token latency, inferbench its largest gap");
    }
  }
  if (!slo.empty()) r.set(v, "slo", fmt::format("{}", fmt::join(slo, ",")), "report.goodput.constraints");
}

void map_storage(Reader& r, Values& v) {
  if (const auto path = r.text("storage.local_storage.path")) {
    std::string dir = *path;
    // inference-perf fills "{timestamp}" with the start time, %Y%m%d-%H%M%S.
    if (const auto at = dir.find("{timestamp}"); at != std::string::npos) {
      const std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      char stamp[32];
      std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
      dir.replace(at, 11, stamp);
    }
    r.set(v, "output.dir", dir, "storage.local_storage.path");
  }
}

}  // namespace

Translation from_inference_perf(Values& values, std::string_view text, std::string_view filename,
                                const EnvLookup& env) {
  Reader r(render_env_tokens(text, filename, env), std::string(filename));
  map_load(r, values);
  map_api_server(r, values);
  map_tokenizer(r, values);
  map_inference_perf_data(r, values);
  map_report(r, values);
  map_storage(r, values);
  r.explain("metrics", "inferbench reads the server's /metrics itself, not a Prometheus server");
  r.explain("report.prometheus", "inferbench reads the server's /metrics itself, not a Prometheus server");
  r.explain("report.session_lifecycle", "no sessions in inferbench");
  return r.finish();
}

}  // namespace inferbench::config::foreign
