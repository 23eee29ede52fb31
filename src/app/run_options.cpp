#include "app/run_options.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.hpp"
#include "schedule/schedule.hpp"

namespace inferbench::app {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, sep)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

double parse_number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  require(end != text.c_str() && *end == '\0' && std::isfinite(value),
          "invalid " + what + " '" + text + "': expected a number");
  return value;
}

// A fixed length as a number (as before distributions existed), any other as its text.
nlohmann::json length_json(const workload::LengthDist& d) {
  if (d.kind() == workload::LengthDist::Kind::Fixed) return d.min();
  return d.str();
}

}  // namespace

void bind_run_flags(CLI::App& cmd, RunFlags& f) {
  cmd.add_option("--endpoint", f.endpoint,
                 "Base URL of an OpenAI-compatible server, e.g. http://localhost:8000 "
                 "(default: start the built-in simulator on a loopback port)");
  cmd.add_option("--model", f.model, "Model name to request (default: the first of /v1/models)");
  cmd.add_option("--api", f.api, "API to load: completions or chat")
      ->capture_default_str()
      ->check(CLI::IsMember({"completions", "chat"}));
  auto* conc = cmd.add_option("--concurrency", f.concurrency,
                              "Closed loop: comma-separated numbers of concurrent users, one load point each "
                              "(default 1,4,16 when no --rate)");
  cmd.add_option("--rate", f.rate, "Open loop: comma-separated request rates (req/s), one load point each")
      ->excludes(conc);
  cmd.add_option("--arrival", f.arrival, "Open-loop arrivals: constant, poisson or gamma")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "poisson", "gamma"}));
  cmd.add_option("--burstiness", f.burstiness, "Gamma arrivals' shape k (1 = Poisson, < 1 burstier)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-concurrency", f.max_concurrency, "Open loop: cap on requests in flight (0 = none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--num-requests", f.num_requests,
                 "Measured requests per load point (default: max(16, 4 x concurrency), or rate x 10 s; "
                 "with --duration: no count limit)");
  cmd.add_option("--duration", f.duration_s, "Seconds per load point (with --num-requests: whichever ends first)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--warmup", f.warmup, "Warm-up requests per load point, sent first and excluded")
      ->capture_default_str();
  cmd.add_option("--input-tokens", f.input_tokens,
                 "Prompt length in tokens: N, uniform:MIN:MAX, normal:MEAN:STD[:MIN:MAX] or "
                 "lognormal:MEAN:STD[:MIN:MAX] (exact with --tokenizer)")
      ->capture_default_str();
  cmd.add_option("--output-tokens", f.output_tokens,
                 "Output length in tokens (max_tokens, with ignore_eos), same forms as --input-tokens; "
                 "overrides a dataset's own output lengths")
      ->capture_default_str()
      ->each([&f](const std::string&) { f.output_tokens_given = true; });
  cmd.add_option("--tokenizer", f.tokenizer,
                 "The model's tokenizer.json (or its directory): exact prompt lengths, and output counted "
                 "client-side when the server sends no usage");
  cmd.add_option("--dataset", f.dataset,
                 "Prompt source: synthetic (default with --tokenizer), random, sharegpt:PATH[,min_tokens=4,"
                 "max_prompt=1024,max_total=2048], jsonl:PATH, shared-prefix:groups=G,prompts_per_group=K,"
                 "system_prompt_tokens=S,question_tokens=Q, prefix-ratio:R[,prefix_file=PATH], "
                 "multi-turn[:turns=T] (see docs/workloads.md)");
  cmd.add_option("--on-bad-line", f.on_bad_line, "A dataset entry that is not valid: stop (error) or skip it")
      ->capture_default_str()
      ->check(CLI::IsMember({"skip", "stop"}));
  cmd.add_option("--slo", f.slo,
                 "Service-level objectives in ms for goodput, e.g. ttft=500,tpot=50,e2e=10000 "
                 "(also itl = largest inter-token gap, ntpot)");
  cmd.add_option("--output", f.output_dir,
                 "Directory for requests.jsonl (written as requests finish), "
                 "summary.json and summary.csv");
  cmd.add_flag("--json", f.json, "Print summary.json to stdout instead of the tables");
  cmd.add_option("--api-key", f.api_key,
                 "API key sent as a Bearer token (default: $OPENAI_API_KEY); never written out");
  cmd.add_option("--header", f.headers, "Extra request header K=V (repeatable); values are never written out");
  cmd.add_flag("--insecure", f.insecure, "Skip TLS certificate verification");
  cmd.add_flag("--no-stream", f.no_stream, "Send non-streaming requests (TTFT then equals E2E)");
  cmd.add_flag("--no-ignore-eos", f.no_ignore_eos, "Do not send ignore_eos (outputs may end early)");
  cmd.add_option("--extra-body", f.extra_body, "JSON object merged into every request body (merge patch)");
  cmd.add_option("--connect-timeout", f.connect_timeout_s, "Seconds to connect (TCP and TLS)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--first-token-timeout", f.first_token_timeout_s, "Seconds from send to the first output token")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--timeout", f.timeout_s, "Seconds from send to the end of a response")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--workers", f.workers, "Client event-loop threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd.add_option("--seed", f.seed, "Seed of prompts and arrival times")->capture_default_str();
  const char* sim = "Built-in simulator (without --endpoint)";
  cmd.add_option("--sim-model-preset", f.sim_model_preset, "Engine model of this model (see inferbench sim --help)")
      ->capture_default_str()
      ->group(sim);
  cmd.add_option("--sim-hardware", f.sim_hardware, "... on this accelerator")->capture_default_str()->group(sim);
  const auto profile = [&f](const std::string&) { f.sim_latency_profile = true; };
  cmd.add_option("--sim-ttft-ms", f.sim_ttft_ms, "A fixed latency profile instead: time to first token, ms")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->each(profile)
      ->group(sim);
  cmd.add_option("--sim-itl-ms", f.sim_itl_ms, "A fixed latency profile instead: inter-token latency, ms")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->each(profile)
      ->group(sim);
  auto* sm = cmd.add_option("--server-metrics", f.server_metrics,
                            "Prometheus /metrics URL of the server, repeatable for replicas (summed); "
                            "default: the target's /metrics");
  cmd.add_option("--scrape-interval", f.scrape_interval_s,
                 "Seconds between /metrics scrapes (one more at the start and end of each load point)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--no-server-metrics", f.no_server_metrics, "Do not read the server's /metrics")->excludes(sm);
}

metrics::Slo parse_slo(const std::string& text) {
  metrics::Slo slo;
  for (const auto& item : split(text, ',')) {
    const auto eq = item.find('=');
    require(eq != std::string::npos, "invalid --slo item '" + item + "': expected NAME=MS");
    const std::string name = item.substr(0, eq);
    const double ms = parse_number(item.substr(eq + 1), "--slo value for " + name);
    require(ms > 0, "invalid --slo value for " + name + ": must be > 0 ms");
    if (name == "ttft") {
      slo.ttft_ms = ms;
    } else if (name == "tpot") {
      slo.tpot_ms = ms;
    } else if (name == "itl") {
      slo.itl_ms = ms;
    } else if (name == "e2e" || name == "e2el") {
      slo.e2e_ms = ms;
    } else if (name == "ntpot") {
      slo.ntpot_ms = ms;
    } else {
      throw Error("invalid --slo name '" + name + "': expected ttft, tpot, itl, e2e or ntpot");
    }
  }
  return slo;
}

RunConfig validate(const RunFlags& f) {
  RunConfig c;
  c.use_sim = f.endpoint.empty();
  if (!c.use_sim) c.target.client.url = http::Url::parse(f.endpoint);
  c.target.client.insecure = f.insecure;
  c.target.client.connect_timeout = from_s(f.connect_timeout_s);
  c.target.api = f.api == "chat" ? protocol::Api::Chat : protocol::Api::Completions;
  c.target.model = f.model;
  c.target.stream = !f.no_stream;
  c.target.ignore_eos = !f.no_ignore_eos;
  c.target.first_token_timeout = from_s(f.first_token_timeout_s);
  c.target.request_timeout = from_s(f.timeout_s);
  if (!f.extra_body.empty()) {
    auto body = nlohmann::json::parse(f.extra_body, nullptr, false);
    require(!body.is_discarded() && body.is_object(), "invalid --extra-body: expected a JSON object");
    c.target.extra_body = std::move(body);
  }
  std::string key = f.api_key;
  if (key.empty()) {
    if (const char* env = std::getenv("OPENAI_API_KEY")) key = env;
  }
  if (!key.empty()) c.target.headers.emplace_back("Authorization", "Bearer " + key);
  for (const auto& h : f.headers) {
    const auto eq = h.find('=');
    require(eq != std::string::npos && eq > 0, "invalid --header '" + h.substr(0, h.find('=')) + "': expected K=V");
    c.target.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
  }

  schedule::parse_arrival(f.arrival);
  c.arrival = f.arrival;
  c.burstiness = f.burstiness;
  const std::optional<Duration> duration =
      f.duration_s > 0 ? std::optional<Duration>(from_s(f.duration_s)) : std::nullopt;
  if (!f.rate.empty()) {
    for (const auto& item : split(f.rate, ',')) {
      const double rate = parse_number(item, "--rate");
      require(rate > 0, "invalid --rate '" + item + "': must be > 0");
      PlannedPoint p;
      p.load = {metrics::LoadSpec::Mode::Open, f.max_concurrency, rate, f.arrival, f.burstiness};
      if (f.num_requests > 0) {
        p.num_requests = f.num_requests;
      } else if (duration) {
        p.num_requests = schedule::count_for_duration(rate, *duration);
      } else {
        p.num_requests = std::max<std::size_t>(16, static_cast<std::size_t>(std::ceil(rate * 10)));
      }
      if (duration && f.num_requests > 0) {
        p.num_requests = std::min(p.num_requests, schedule::count_for_duration(rate, *duration));
      }
      c.points.push_back(p);
    }
  } else {
    const std::string list = f.concurrency.empty() ? "1,4,16" : f.concurrency;
    for (const auto& item : split(list, ',')) {
      const double n = parse_number(item, "--concurrency");
      require(n >= 1 && n == std::floor(n) && n <= 100000,
              "invalid --concurrency '" + item + "': must be an integer >= 1");
      PlannedPoint p;
      p.load = {metrics::LoadSpec::Mode::Closed, static_cast<int>(n), 0.0, "", 1.0};
      p.duration = duration;
      p.num_requests = f.num_requests > 0 ? f.num_requests
                       : duration         ? 0
                                          : std::max<std::size_t>(16, 4 * static_cast<std::size_t>(n));
      c.points.push_back(p);
    }
  }
  require(!c.points.empty(), "no load point: give --concurrency or --rate");
  c.warmup = f.warmup;
  c.workload.input = workload::LengthDist::parse(f.input_tokens, "--input-tokens");
  c.workload.output = workload::LengthDist::parse(f.output_tokens, "--output-tokens");
  c.workload.output_given = f.output_tokens_given;
  c.workload.chat = c.target.api == protocol::Api::Chat;
  c.workload.dataset = f.dataset;
  c.workload.on_bad_line = f.on_bad_line == "skip" ? workload::OnBadLine::Skip : workload::OnBadLine::Stop;
  if (!f.tokenizer.empty()) {
    c.workload.tokenizer = tokenizer::Tokenizer::load(f.tokenizer);
    c.target.output_tokenizer = c.workload.tokenizer;
  }
  // Checks the dataset's syntax now, before anything starts (files are read by the Workload).
  (void)workload::parse_dataset(f.dataset, c.workload.tokenizer.has_value());
  c.slo = parse_slo(f.slo);
  c.seed = f.seed;
  c.workers = f.workers;
  c.output_dir = f.output_dir;
  c.json = f.json;
  c.scrape_server = !f.no_server_metrics;
  for (const auto& u : f.server_metrics) c.server_metrics.push_back(http::Url::parse(u));
  c.scrape_interval = from_s(f.scrape_interval_s);
  return c;
}

engine::ScrapeOptions scrape_options(const RunConfig& c) {
  engine::ScrapeOptions options;
  options.interval = c.scrape_interval;
  std::vector<http::Url> urls = c.server_metrics;
  if (urls.empty()) {
    http::Url u = c.target.client.url;
    u.base_path = "/metrics";
    urls.push_back(u);
  }
  const http::Url& target = c.target.client.url;
  for (const auto& u : urls) {
    engine::MetricsSource source;
    source.url = u;
    source.insecure = c.target.client.insecure;
    if (u.tls == target.tls && u.host == target.host && u.port == target.port) source.headers = c.target.headers;
    options.sources.push_back(std::move(source));
  }
  return options;
}

nlohmann::json config_json(const RunConfig& c, const RunFlags& f) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : c.target.headers) headers.push_back(name);
  return {
      {"endpoint", c.use_sim ? "built-in simulator" : c.target.client.url.str()},
      {"model", c.target.model},
      {"api", f.api},
      {"stream", c.target.stream},
      {"ignore_eos", c.target.ignore_eos},
      {"input_tokens", length_json(c.workload.input)},
      {"output_tokens", length_json(c.workload.output)},
      {"tokenizer", f.tokenizer.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.tokenizer)},
      {"warmup", c.warmup},
      {"seed", c.seed},
      {"workers", c.workers},
      {"headers", headers},
      {"insecure", c.target.client.insecure},
      {"timeouts_s",
       {{"connect", f.connect_timeout_s}, {"first_token", f.first_token_timeout_s}, {"request", f.timeout_s}}},
  };
}

}  // namespace inferbench::app
