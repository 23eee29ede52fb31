#include "app/run_config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "config/json.hpp"
#include "core/error.hpp"
#include "exports/write.hpp"
#include "loadgen/http_target.hpp"
#include "mlflow/limits.hpp"

namespace inferbench::app {

namespace {

// Parses "ttft=500,tpot=50,e2e=10000,itl=100,ntpot=60" (ms); `name` is how messages call it.
metrics::Slo parse_slo(const std::string& text, const std::string& name) {
  metrics::Slo slo;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    require(eq != std::string::npos, "invalid " + name + " item '" + item + "': expected NAME=MS");
    const std::string key = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    char* end = nullptr;
    const double ms = std::strtod(value.c_str(), &end);
    require(!value.empty() && end == value.c_str() + value.size() && std::isfinite(ms),
            "invalid " + name + " value for " + key + " '" + value + "': expected a number");
    require(ms > 0, "invalid " + name + " value for " + key + ": must be > 0 ms");
    if (key == "ttft") {
      slo.ttft_ms = ms;
    } else if (key == "tpot") {
      slo.tpot_ms = ms;
    } else if (key == "itl") {
      slo.itl_ms = ms;
    } else if (key == "e2e" || key == "e2el") {
      slo.e2e_ms = ms;
    } else if (key == "ntpot") {
      slo.ntpot_ms = ms;
    } else {
      throw Error("invalid " + name + " name '" + key + "': expected ttft, tpot, itl, e2e or ntpot");
    }
  }
  return slo;
}

// The endpoint: --endpoint, else OpenAI's own variables (as the SDKs and LLMPerf read them),
// else none (the built-in simulator).
std::string endpoint_of(const config::Values& v) {
  if (!v.str("target.endpoint").empty()) return v.str("target.endpoint");
  for (const char* name : {"OPENAI_BASE_URL", "OPENAI_API_BASE"}) {
    if (const char* env = std::getenv(name); env != nullptr && *env != '\0') return env;
  }
  return {};
}

void make_target(const config::Values& v, RunConfig& c) {
  std::string endpoint = endpoint_of(v);
  c.launch_command = v.str("launch.command");
  c.launch_timeout = *v.duration("launch.timeout");
  c.launch_stop_grace = *v.duration("launch.stop_grace");
  // A launched server listens where --endpoint says, by default where vLLM does.
  if (endpoint.empty() && !c.launch_command.empty()) endpoint = "http://127.0.0.1:8000";
  c.use_sim = endpoint.empty();
  c.target.api = v.str("target.api") == "chat" ? protocol::Api::Chat : protocol::Api::Completions;
  if (!c.use_sim) {
    const loadgen::ApiBase base = loadgen::api_base(http::Url::parse(endpoint));
    c.target.client.url = base.url;
    if (base.api) {
      require(!v.given("target.api") || *base.api == c.target.api,
              "--endpoint names the " + std::string(*base.api == protocol::Api::Chat ? "chat" : "completions") +
                  " endpoint but --api says " + v.str("target.api"));
      c.target.api = *base.api;
    }
  }
  c.target.client.insecure = v.boolean("target.insecure");
  c.target.client.connect_timeout = *v.duration("timeouts.connect");
  c.target.model = v.str("target.model");
  c.target.stream = v.boolean("target.stream");
  c.target.ignore_eos = v.boolean("target.ignore_eos");
  c.target.first_token_timeout = *v.duration("timeouts.first_token");
  c.target.request_timeout = *v.duration("timeouts.request");
  if (!v.object("target.extra_body").is_null()) c.target.extra_body = v.object("target.extra_body");
  std::string key = v.str("target.api_key");
  const char* key_name = "--api-key";
  if (key.empty()) {
    if (const char* env = std::getenv("OPENAI_API_KEY")) key = env;
    key_name = "OPENAI_API_KEY";
  }
  // A key read from a CRLF env file ends in '\r': sent as is, it would break the header line.
  require(key.find_first_of("\r\n") == std::string::npos && key.find('\0') == std::string::npos,
          std::string("invalid ") + key_name + ": it contains a line break (an env file with CRLF line ends?)");
  if (!key.empty()) {
    c.target.headers.emplace_back("Authorization", "Bearer " + key);
    c.target.secrets.push_back(key);
  }
  for (const auto& h : v.strings("target.headers")) {  // K=V, checked by the declaration
    const auto eq = h.find('=');
    c.target.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
    c.target.secrets.push_back(h.substr(eq + 1));
  }
}

// A stage's number under `key` (nullopt when absent), checked against [min, max] and, for
// counts, whole. `where` is "load.stages.N".
std::optional<double> stage_number(const nlohmann::json& stage, const std::string& key, const std::string& where,
                                   double min, double max, bool whole) {
  if (!stage.contains(key)) return std::nullopt;
  const nlohmann::json& x = stage.at(key);
  const std::string text = x.is_string() ? x.get<std::string>() : x.dump();
  require(x.is_number(), fmt::format("invalid {}.{} '{}': expected a number", where, key, text));
  const double value = x.get<double>();
  require(value >= min && value <= max && (!whole || value == std::floor(value)),
          fmt::format("invalid {}.{} '{}': must be {}between {} and {}", where, key, text, whole ? "an integer " : "",
                      min, max));
  return value;
}

// load.stages (inference-perf's stages): each stage is one load point with its own rate or
// concurrency and its own request count or duration, run in order like any load point.
void make_stages(const config::Values& v, RunConfig& c, const nlohmann::json& stages) {
  require(!v.given("load.concurrency"),
          "load.stages and " + v.name("load.concurrency") + " exclude each other: give one");
  const std::string arrival_name = v.str("load.arrival");
  const auto warmup = static_cast<std::size_t>(v.integer("load.warmup"));
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const nlohmann::json& stage = stages[i];
    const std::string where = fmt::format("load.stages.{}", i);
    for (const auto& item : stage.items()) {
      static const std::vector<std::string> kKeys = {"rate", "concurrency", "num_requests", "duration"};
      if (std::find(kKeys.begin(), kKeys.end(), item.key()) != kKeys.end()) continue;
      std::string near;
      for (const auto& k : kKeys) {
        if (item.key().size() + 2 >= k.size() && k.size() + 2 >= item.key().size() &&
            (k.find(item.key().substr(0, 3)) == 0 || item.key().find(k.substr(0, 3)) == 0)) {
          near = k;
        }
      }
      throw Error(fmt::format("{}: unknown key '{}'{} (a stage has rate or concurrency, and num_requests or duration)",
                              where, item.key(), near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    const auto rate = stage_number(stage, "rate", where, 0.001, 1e6, false);
    const auto users = stage_number(stage, "concurrency", where, 1, 100000, true);
    const auto count = stage_number(stage, "num_requests", where, 1, 1e9, true);
    const auto seconds = stage_number(stage, "duration", where, 0.001, 30.0 * 24 * 3600, false);
    require(rate.has_value() != users.has_value(),
            where + ": give rate (open loop) or concurrency (closed loop), one of them");
    // The stage's own bound replaces the global ones; without one, the globals apply.
    std::size_t num_requests = count ? static_cast<std::size_t>(*count) : 0;
    std::optional<Duration> duration = seconds ? std::optional<Duration>(from_s(*seconds)) : std::nullopt;
    if (!count && !seconds) {
      num_requests = static_cast<std::size_t>(v.integer("load.num_requests"));
      duration = v.duration("load.duration");
    }
    PlannedPoint p;
    p.duration = duration;
    if (rate) {
      p.load = {metrics::LoadSpec::Mode::Open, static_cast<int>(v.integer("load.max_concurrency")), *rate, arrival_name,
                v.number("load.burstiness")};
      p.arrival = schedule::parse_arrival(arrival_name);
      const schedule::RateSpec spec{*rate, p.arrival, v.number("load.burstiness")};
      if (num_requests > 0) {
        p.num_requests =
            duration ? std::min(num_requests, schedule::count_for_duration(spec.rate, *duration)) : num_requests;
      } else {
        p.num_requests = duration ? schedule::count_for_duration(spec.rate, *duration)
                                  : std::max<std::size_t>(16, static_cast<std::size_t>(std::ceil(*rate * 10)));
      }
      schedule::require_plausible_length(*rate, p.num_requests + warmup);
    } else {
      p.load = {metrics::LoadSpec::Mode::Closed, static_cast<int>(*users), 0.0, "", 1.0};
      p.num_requests = num_requests > 0 ? num_requests
                       : duration       ? 0
                                        : std::max<std::size_t>(16, 4 * static_cast<std::size_t>(*users));
    }
    c.points.push_back(p);
  }
  c.staged = true;
}

PointTemplate make_template(const config::Values& v) {
  PointTemplate t;
  t.arrival_name = v.str("load.arrival");
  t.arrival = schedule::parse_arrival(t.arrival_name);
  t.burstiness = v.number("load.burstiness");
  t.num_requests = static_cast<std::size_t>(v.integer("load.num_requests"));
  t.max_concurrency = static_cast<int>(v.integer("load.max_concurrency"));
  t.duration = v.duration("load.duration");
  t.warmup = static_cast<std::size_t>(v.integer("load.warmup"));
  return t;
}

// --sweep and --slo-search, checked against the fixed load points they replace.
void make_adaptive(const config::Values& v, RunConfig& c) {
  AdaptiveConfig& a = c.adaptive;
  const std::string search = v.str("load.slo_search");
  if (v.integer("load.sweep") == 0 && search.empty()) return;
  const std::string name = search.empty() ? v.name("load.sweep") : v.name("load.slo_search");
  for (const char* key : {"load.rate", "load.concurrency"}) {
    require(!v.given(key), name + " chooses its own load points: it cannot be given with " + v.name(key));
  }
  const nlohmann::json& stages = v.maps("load.stages");
  require(!stages.is_array() || stages.empty(),
          name + " chooses its own load points: it cannot be given with load.stages");
  a.saturation_ratio = v.number("load.saturation_ratio");
  if (search.empty()) {
    a.kind = AdaptiveConfig::Kind::Sweep;
    a.sweep_points = static_cast<std::size_t>(v.integer("load.sweep"));
    require(a.sweep_points >= 3, "invalid " + name + " '" + std::to_string(a.sweep_points) +
                                     "': a sweep has at least 3 points (synchronous, throughput, one rate)");
    a.geometric = v.str("load.sweep_spacing") == "geometric";
  } else {
    a.kind = search == "rate" ? AdaptiveConfig::Kind::RateSearch : AdaptiveConfig::Kind::ConcurrencySearch;
    require(c.slo.any(), name + " needs --slo: the objectives the load must meet");
    a.search_start = v.number("load.search_start");
    a.search_tolerance = v.number("load.search_tolerance");
    a.search_max_probes = static_cast<std::size_t>(v.integer("load.search_max_probes"));
    a.slo_percentile = std::stoi(v.str("slo_percentile").substr(1));
  }
  c.points.clear();
}

void make_points(const config::Values& v, RunConfig& c) {
  c.point_template = make_template(v);
  if (const nlohmann::json& stages = v.maps("load.stages"); stages.is_array() && !stages.empty()) {
    make_stages(v, c, stages);
    return;
  }
  const std::vector<double> rates = v.numbers("load.rate");
  if (!rates.empty()) {
    for (const double rate : rates) c.points.push_back(open_point(c.point_template, rate));
    return;
  }
  std::vector<double> users = v.numbers("load.concurrency");
  if (users.empty()) users = {1, 4, 16};
  for (const double n : users) {  // whole numbers >= 1, checked by the declaration
    c.points.push_back(closed_point(c.point_template, static_cast<int>(n)));
  }
}

void make_workload(const config::Values& v, RunConfig& c) {
  c.workload.input = workload::LengthDist::parse(v.str("workload.input_tokens"), v.name("workload.input_tokens"));
  c.workload.output = workload::LengthDist::parse(v.str("workload.output_tokens"), v.name("workload.output_tokens"));
  c.workload.output_given = v.given("workload.output_tokens");
  c.workload.chat = c.target.api == protocol::Api::Chat;
  c.workload.dataset = v.str("workload.dataset");
  c.workload.on_bad_line =
      v.str("workload.on_bad_line") == "skip" ? workload::OnBadLine::Skip : workload::OnBadLine::Stop;
  c.tokenizer_path = v.str("workload.tokenizer");
  if (!c.tokenizer_path.empty()) {
    c.workload.tokenizer = tokenizer::Tokenizer::load(c.tokenizer_path);
  }
  // Checks the dataset's syntax now, before anything starts (files are read by the Workload).
  (void)workload::parse_dataset(c.workload.dataset, c.workload.tokenizer.has_value());
}

}  // namespace

RunConfig make_run_config(const config::Values& v) {
  v.check_exclusions();
  RunConfig c;
  make_target(v, c);
  make_points(v, c);
  make_workload(v, c);
  c.sim.latency_profile = v.given("sim.ttft") || v.given("sim.itl");
  c.sim.model_preset = v.str("sim.model_preset");
  c.sim.hardware = v.str("sim.hardware");
  c.sim.ttft = *v.duration("sim.ttft");
  c.sim.itl = *v.duration("sim.itl");
  c.warmup = static_cast<std::size_t>(v.integer("load.warmup"));
  c.slo = parse_slo(v.str("slo"), v.name("slo"));
  make_adaptive(v, c);
  if (v.given("gates.min_success_rate")) c.min_success_rate = v.number("gates.min_success_rate");
  c.fail_if_client_limited = v.boolean("gates.client_limited");
  c.ramp_up = v.duration("load.ramp_up").value_or(Duration::zero());
  // The ramp's requests are not counted, so a request count would end at an unknown point.
  require(c.ramp_up == Duration::zero() || v.duration("load.duration").has_value(),
          v.name("load.ramp_up") + " needs --duration (load.duration): requests sent during the ramp are not measured");
  c.abort_after = v.duration("load.abort_after").value_or(Duration::zero());
  c.stop_on_abort = v.str("load.on_abort") == "stop";
  c.seed = static_cast<std::uint64_t>(v.integer("seed"));
  c.workers = static_cast<int>(v.integer("client.workers"));
  c.summary.exact_samples = static_cast<std::size_t>(v.integer("output.exact_samples"));
  // A request ends at most its timeout after its send; 10 s more covers the timer's slack and
  // the order in which workers hand records over, so the concurrency sweep keeps only that long
  // a window (a record later than that makes the peak unknown, never wrong).
  c.summary.in_flight_horizon = c.target.request_timeout + std::chrono::seconds(10);
  c.output_dir = v.str("output.dir");
  if (v.given("output.metrics_port")) c.metrics_port = static_cast<int>(v.integer("output.metrics_port"));
  c.metrics_host = v.str("output.metrics_host");
  c.record_history = v.boolean("history.enabled");
  c.history_path = v.str("history.path");
  c.json = v.boolean("output.json");
  for (const auto& format : v.strings("output.export")) {
    std::string formats;
    for (const auto& f : exports::format_names()) formats += (formats.empty() ? "" : ", ") + f;
    require(exports::parse_format(format).has_value(),
            "invalid " + v.name("output.export") + " '" + format + "': must be one of " + formats);
    c.exports.push_back(format);
  }
  require(c.exports.empty() || !c.output_dir.empty(),
          v.name("output.export") + " needs --output: the exports are written beside the results");
  c.mlflow_uri = v.str("mlflow.uri");
  if (c.mlflow_uri.empty()) {
    // As MLflow's own clients do, the tracking server may come from the environment.
    if (const char* env = std::getenv("MLFLOW_TRACKING_URI"); env != nullptr && *env != '\0') {
      c.mlflow_uri = env;
      c.mlflow_uri_from_env = true;
    }
  }
  c.mlflow_experiment = v.str("mlflow.experiment");
  c.mlflow_run_name = v.str("mlflow.run_name");
  c.mlflow_restore_experiment = v.boolean("mlflow.restore_experiment");
  c.mlflow_parent_run = v.str("mlflow.parent_run");
  require(c.mlflow_parent_run.empty() || mlflow::is_run_id(c.mlflow_parent_run),
          v.name("mlflow.parent_run") + ": '" + c.mlflow_parent_run +
              "' is not an MLflow run id (a letter or digit, then up to 255 letters, digits, '_' or '-')");
  if (!c.mlflow_uri.empty()) {
    const std::string source = c.mlflow_uri_from_env ? std::string("MLFLOW_TRACKING_URI") : v.name("mlflow.uri");
    try {
      (void)http::Url::parse(c.mlflow_uri);
    } catch (const Error& e) {
      throw Error(source + ": " + e.what());
    }
    require(c.mlflow_uri_from_env || !c.output_dir.empty(),
            source + " needs --output: the results are uploaded from there, and stay there if MLflow is unreachable");
    require(!c.mlflow_experiment.empty() && c.mlflow_experiment.size() <= 500,
            v.name("mlflow.experiment") + ": an MLflow experiment name has 1 to 500 characters");
  }
  c.scrape_server = v.boolean("server_metrics.enabled");
  for (const auto& u : v.strings("server_metrics.urls")) c.server_metrics.push_back(http::Url::parse(u));
  c.scrape_interval = *v.duration("server_metrics.interval");
  c.settings = config::to_json(v);
  return c;
}

PlannedPoint open_point(const PointTemplate& t, double rate) {
  PlannedPoint p;
  p.load = {metrics::LoadSpec::Mode::Open, t.max_concurrency, rate, t.arrival_name, t.burstiness};
  p.arrival = t.arrival;
  if (t.num_requests > 0) {
    p.num_requests = t.num_requests;
  } else if (t.duration) {
    p.num_requests = schedule::count_for_duration(rate, *t.duration);
  } else {
    p.num_requests = std::max<std::size_t>(16, static_cast<std::size_t>(std::ceil(rate * 10)));
  }
  if (t.duration && t.num_requests > 0) {
    p.num_requests = std::min(p.num_requests, schedule::count_for_duration(rate, *t.duration));
  }
  schedule::require_plausible_length(rate, p.num_requests + t.warmup);
  return p;
}

PlannedPoint closed_point(const PointTemplate& t, int users) {
  PlannedPoint p;
  p.load = {metrics::LoadSpec::Mode::Closed, users, 0.0, "", 1.0};
  p.duration = t.duration;
  p.num_requests = t.num_requests > 0 ? t.num_requests
                   : t.duration       ? 0
                                      : std::max<std::size_t>(16, 4 * static_cast<std::size_t>(users));
  return p;
}

server_metrics::ScrapeOptions scrape_options(const RunConfig& c, const loadgen::HttpTargetOptions& target) {
  server_metrics::ScrapeOptions options;
  options.interval = c.scrape_interval;
  std::vector<http::Url> urls = c.server_metrics;
  if (urls.empty()) {
    http::Url u = target.client.url;
    u.base_path = "/metrics";
    urls.push_back(u);
  }
  for (const auto& u : urls) {
    server_metrics::MetricsSource source;
    source.url = u;
    source.insecure = target.client.insecure;
    const http::Url& t = target.client.url;
    if (u.tls == t.tls && u.host == t.host && u.port == t.port) source.headers = target.headers;
    options.sources.push_back(std::move(source));
  }
  return options;
}

}  // namespace inferbench::app
