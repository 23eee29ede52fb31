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
#include "config/foreign/reader.hpp"
#include "core/error.hpp"

namespace inferbench::config::foreign {

namespace {

// inference-perf's Distribution defaults (config/common.py).
struct Dist {
  double min = 10;
  double max = 1024;
  double mean = 512;
  double std_dev = 200;
  std::string type = "normal";
};

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// A Distribution map at `path` as an inferbench length distribution ("normal:50:10:10:100").
// inference-perf clamps draws to [min, max]; inferbench redraws them, so the shapes differ when
// much of the curve lies outside: said when over 1 % of the draws would be clamped.
std::string length_dist(Reader& r, const std::string& path) {
  Dist d;
  d.min = static_cast<double>(r.integer(path + ".min").value_or(10));
  d.max = static_cast<double>(r.integer(path + ".max").value_or(1024));
  d.mean = r.number(path + ".mean").value_or(512);
  d.std_dev = r.number(path + ".std_dev").value_or(200);
  d.type = r.choice(path + ".type", {"normal", "skew_normal", "lognormal", "uniform", "poisson", "fixed"})
               .value_or("normal");
  if (const auto variance = r.number(path + ".variance")) {
    if (*variance < 0) r.fail(path + ".variance", fmt::format("invalid {}.variance: must be >= 0", path));
    d.std_dev = std::sqrt(*variance);
  }
  if (d.min > d.max) r.fail(path, fmt::format("invalid {}: min ({}) is above max ({})", path, d.min, d.max));
  if (d.std_dev < 0) r.fail(path + ".std_dev", fmt::format("invalid {}.std_dev: must be >= 0", path));
  if (r.has(path + ".total_count")) {
    r.take(path + ".total_count");
    r.approximate(path + ".total_count",
                  "inference-perf draws total_count lengths once and cycles them; inferbench draws each request's");
  }
  for (const auto& key : r.keys(path)) {
    static const std::vector<std::string> kKnown = {"min",         "max",  "mean",     "std_dev",
                                                    "total_count", "type", "variance", "skew"};
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      r.explain(path + "." + key,
                key == "std" ? "not a Distribution key: std_dev 200 applies" : "not a Distribution key");
    }
  }
  (void)r.number(path + ".skew");  // only skew_normal uses it
  if (d.min < 1) {
    r.approximate(path + ".min", "a length is at least 1 token here");
    d.min = 1;
    d.max = std::max(d.max, 1.0);
  }
  if (d.type == "fixed") return fmt::format("{}", std::max<std::int64_t>(1, static_cast<std::int64_t>(d.mean)));
  if (d.type == "uniform") return fmt::format("uniform:{}:{}", d.min, d.max);
  if (d.type == "skew_normal") {
    r.approximate(path + ".type", "skew_normal drawn as normal with the same mean and std_dev (no skew)");
  } else if (d.type == "poisson") {
    r.approximate(path + ".type", "poisson drawn as normal with std_dev sqrt(mean)");
    d.std_dev = std::sqrt(std::max(d.mean, 1.0));
  } else if (d.type == "lognormal") {
    r.approximate(path + ".type",
                  "lognormal with this mean and std_dev, redrawn inside [min, max]; inference-perf clamps to them "
                  "(and shifts the curve by min for random and synthetic data)");
  }
  if (d.mean < d.min || d.mean > d.max) {
    r.approximate(path + ".mean", "the mean is outside [min, max]: taken as the nearest bound");
    d.mean = std::clamp(d.mean, d.min, d.max);
  }
  if (d.type != "lognormal" && d.std_dev > 0) {
    const double clamped = normal_cdf((d.min - d.mean) / d.std_dev) + 1.0 - normal_cdf((d.max - d.mean) / d.std_dev);
    if (clamped > 0.01) {
      r.approximate(path, fmt::format("inference-perf clamps {:.0f} % of the draws to min or max; inferbench redraws "
                                      "them inside",
                                      clamped * 100));
    }
  }
  return fmt::format("{}:{}:{}:{}:{}", d.type == "lognormal" ? "lognormal" : "normal", d.mean, d.std_dev, d.min, d.max);
}

// A length given as a number or a Distribution (shared_prefix's *_len keys).
std::string length_or_dist(Reader& r, const std::string& path, std::int64_t default_value) {
  if (r.find(path).IsMap()) return length_dist(r, path);
  const auto n = r.integer(path).value_or(default_value);
  if (n < 1) r.fail(path, fmt::format("invalid {} '{}': must be >= 1", path, n));
  return std::to_string(n);
}

// The mean of a length (shared-prefix lengths are fixed here).
std::int64_t fixed_length(Reader& r, const std::string& path, std::int64_t default_value) {
  if (!r.find(path).IsMap()) return std::stoll(length_or_dist(r, path, default_value));
  const auto mean = r.number(path + ".mean").value_or(512);
  (void)length_dist(r, path);
  r.approximate(path, "a distribution: inferbench's shared-prefix lengths are fixed, so its mean is used");
  return std::max<std::int64_t>(1, std::llround(mean));
}

void map_load(Reader& r, Values& v) {
  const std::string type =
      r.choice("load.type", {"constant", "poisson", "concurrent", "trace_replay", "trace_session_replay"})
          .value_or("constant");
  if (type == "trace_replay" || type == "trace_session_replay") {
    r.unsupported("load.type", type == "trace_replay" ? "trace_replay: inferbench replay FILE replays Azure trace CSVs"
                                                      : "trace_session_replay: no session replay in inferbench");
    r.unsupported("load.stages", "stages of an unsupported load.type");
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
  r.unsupported("load.sweep", "no saturation probe in inferbench: give the rates as --rate or load.stages",
                "load.rate");
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

void map_sharegpt(Reader& r, Values& v) {
  const auto path = r.text("data.path");
  if (!path) {
    r.unsupported("data.type", "shareGPT without data.path: inference-perf downloads it, inferbench needs the file",
                  "workload.dataset");
    return;
  }
  // inference-perf keeps a conversation unless input/output_distribution's min and max (when
  // given) exclude its prompt or reply; vLLM's default filters, which inferbench's sharegpt
  // applies, are lifted accordingly.
  std::int64_t min_tokens = 1;
  std::int64_t max_prompt = 10'000'000;
  std::int64_t max_total = 20'000'000;
  const bool in = r.find("data.input_distribution").IsMap();
  const bool out = r.find("data.output_distribution").IsMap();
  if (in) {
    min_tokens = r.integer("data.input_distribution.min").value_or(10);
    max_prompt = r.integer("data.input_distribution.max").value_or(1024);
    max_total = max_prompt + 10'000'000;
  }
  if (out) {
    const auto out_min = r.integer("data.output_distribution.min").value_or(10);
    const auto out_max = r.integer("data.output_distribution.max").value_or(1024);
    if (in && out_min != min_tokens) {
      r.approximate("data.output_distribution.min", "one minimum for prompt and reply here: the smaller");
    }
    min_tokens = in ? std::min(min_tokens, out_min) : out_min;
    max_total = max_prompt + out_max;
    r.approximate("data.output_distribution.max", "a reply's maximum is applied to prompt + reply here");
  }
  if (in) r.take("data.input_distribution");
  if (out) r.take("data.output_distribution");
  min_tokens = std::max<std::int64_t>(1, min_tokens);
  r.set(v, "workload.dataset",
        fmt::format("sharegpt:{},min_tokens={},max_prompt={},max_total={}", *path, min_tokens, max_prompt, max_total),
        "data.path");
}

void map_shared_prefix(Reader& r, Values& v) {
  const std::string at = "data.shared_prefix";
  const auto pick = [&](const char* a, const char* b, std::int64_t def) {
    if (r.has(at + "." + a)) return r.integer(at + "." + a).value_or(def);
    return r.integer(at + "." + b).value_or(def);
  };
  const std::int64_t groups = pick("num_unique_system_prompts", "num_groups", 10);
  const std::int64_t per_group = pick("num_users_per_system_prompt", "num_prompts_per_group", 10);
  const std::int64_t system = fixed_length(r, at + ".system_prompt_len", 100);
  std::int64_t question = 50;
  if (r.find(at + ".question_distribution").IsMap()) {
    question = fixed_length(r, at + ".question_distribution", 50);
    r.take(at + ".question_len");
  } else {
    question = fixed_length(r, at + ".question_len", 50);
  }
  std::string output;
  if (r.find(at + ".output_distribution").IsMap()) {
    output = length_dist(r, at + ".output_distribution");
    r.take(at + ".output_len");
  } else {
    output = length_or_dist(r, at + ".output_len", 50);
  }
  if (groups < 1 || per_group < 1) r.fail(at, fmt::format("invalid {}: the counts must be >= 1", at));
  r.set(v, "workload.dataset",
        fmt::format("shared-prefix:groups={},prompts_per_group={},system_prompt_tokens={},question_tokens={}", groups,
                    per_group, system, question),
        at);
  r.set(v, "workload.output_tokens", output, at + ".output_len");
  if (const auto seed = r.integer(at + ".seed")) {
    if (!r.has("load.base_seed")) {
      r.set(v, "seed", *seed, at + ".seed");
    } else {
      r.unsupported(at + ".seed", "one seed for everything here: load.base_seed");
    }
  }
  if (r.boolean(at + ".enable_multi_turn_chat").value_or(false)) {
    r.unsupported(at + ".enable_multi_turn_chat", "no multi-turn shared prefix in inferbench");
  }
}

void map_data(Reader& r, Values& v) {
  const std::string type =
      r.choice("data.type", {"mock", "shareGPT", "synthetic", "random", "shared_prefix", "cnn_dailymail",
                             "infinity_instruct", "billsum_conversations", "otel_trace_replay", "weka_trace_replay",
                             "conversation_replay", "visionarena"})
          .value_or("mock");
  const auto lengths = [&] {
    for (const char* side : {"input", "output"}) {
      const std::string at = fmt::format("data.{}_distribution", side);
      if (!r.find(at).IsMap()) continue;
      r.set(v, fmt::format("workload.{}_tokens", side), length_dist(r, at), at);
    }
  };
  if (r.has("data.trace")) {
    // random data with a trace takes each request's lengths from it, in order.
    r.unsupported("data.trace", "lengths from an Azure trace: inferbench replay FILE replays it");
  }
  if (type == "random") {
    r.set(v, "workload.dataset", "random", "data.type");
    const bool both = r.find("data.input_distribution").IsMap() && r.find("data.output_distribution").IsMap();
    if (!both && !r.has("data.trace")) {
      r.fail("data.type", "data.type random needs data.input_distribution and data.output_distribution");
    }
    lengths();
  } else if (type == "synthetic") {
    // inferbench's default prompts are synthetic text when a tokenizer is given.
    lengths();
  } else if (type == "mock") {
    if (r.has("data.type")) r.approximate("data.type", "mock: inferbench's default prompts");
  } else if (type == "shareGPT") {
    map_sharegpt(r, v);
  } else if (type == "shared_prefix") {
    if (r.find("data.shared_prefix").IsDefined() && !r.find("data.shared_prefix").IsMap()) {
      r.fail("data.shared_prefix", "invalid data.shared_prefix: expected a map");
    }
    map_shared_prefix(r, v);
  } else {
    r.unsupported("data.type", type + ": no such dataset in inferbench");
  }
  if (r.boolean("data.use_chat_template").value_or(false)) {
    r.unsupported("data.use_chat_template", "prompts are sent as they are built");
  }
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
      if (!p.is_number()) r.fail("report.request_lifecycle.percentiles", "invalid percentiles: expected numbers");
      const double x = p.get<double>();
      if (x != 50 && x != 90 && x != 95 && x != 99 && x != 99.9) missing.push_back(fmt::format("{}", x));
    }
    if (!missing.empty()) {
      r.unsupported("report.request_lifecycle.percentiles",
                    fmt::format("inferbench reports p50, p90, p95, p99 and p99.9, not {}", fmt::join(missing, ", ")));
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
  map_data(r, values);
  map_report(r, values);
  map_storage(r, values);
  r.explain("metrics", "inferbench reads the server's /metrics itself, not a Prometheus server");
  r.explain("report.prometheus", "inferbench reads the server's /metrics itself, not a Prometheus server");
  r.explain("report.session_lifecycle", "no sessions in inferbench");
  return r.finish();
}

}  // namespace inferbench::config::foreign
