// `inferbench replay LOG`: logged production traffic or a trace, re-sent through the load
// generator as an open-loop plan whose offsets come from the log (docs/replay.md).
#include <fmt/core.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "app/commands.hpp"
#include "app/launch_support.hpp"
#include "app/results_writer.hpp"
#include "app/run_config.hpp"
#include "app/run_target.hpp"
#include "app/sharding.hpp"
#include "app/signals.hpp"
#include "config/run_settings.hpp"
#include "config/sources.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "metrics/self_check.hpp"
#include "metrics/summary.hpp"
#include "replay/log.hpp"
#include "replay/plan.hpp"
#include "replay/rounds.hpp"
#include "replay/sampling.hpp"
#include "report/csv.hpp"
#include "report/json.hpp"
#include "report/table.hpp"
#include "results/anchor.hpp"
#include "workload/corpus.hpp"
#include "workload/exact_text.hpp"

namespace inferbench::app {

namespace {

// The replay's own flags (the target, tokenizer, output and client flags are `run`'s).
struct ReplayArgs {
  std::string log;
  std::string format;  // "" = from the content
  std::string mode = "timestamp";
  double speed = 1.0;
  std::optional<double> target_qps;
  std::optional<double> sample_rate;
  std::vector<double> sample_range;
  std::int64_t block_size = 512;
  std::int64_t max_tokens = 180;
  double round_duration_s = 60.0;
  std::optional<double> ttft_slo_ms, tpot_slo_ms, e2e_slo_s;
  std::string json_output;    // --json-output: one JSON record per round, appended
  std::string detailed_logs;  // --detailed-logs: the per-request CSV
};

// Tells the round tracker when each request is dispatched and sent, then forwards to the real
// target: the rounds count sends when they happen, not when the request ends.
class SendCountingSink final : public target::StreamSink {
 public:
  SendCountingSink(target::StreamSink& inner, replay::RoundTracker& rounds, std::uint64_t id)
      : inner_(inner), rounds_(rounds), id_(id) {}
  void on_sent(TimePoint t) override {
    rounds_.sent(id_, t);
    inner_.on_sent(t);
  }
  void on_headers(int status, TimePoint t) override { inner_.on_headers(status, t); }
  void on_event() override { inner_.on_event(); }
  void on_chunk(TimePoint t, std::uint32_t tokens, std::string_view text) override { inner_.on_chunk(t, tokens, text); }
  void on_whole_output(TimePoint t, std::string_view text) override { inner_.on_whole_output(t, text); }
  void on_usage(const metrics::Usage& usage) override { inner_.on_usage(usage); }
  void on_done(TimePoint t, metrics::Failure failure, std::string_view detail) override {
    inner_.on_done(t, failure, detail);
  }

 private:
  target::StreamSink& inner_;
  replay::RoundTracker& rounds_;
  std::uint64_t id_;
};

class SendCountingTarget final : public target::Target {
 public:
  SendCountingTarget(std::unique_ptr<target::Target> inner, replay::RoundTracker& rounds)
      : inner_(std::move(inner)), rounds_(rounds) {}
  boost::asio::awaitable<void> start(const workload::RequestSpec& spec, std::uint64_t request_id,
                                     target::StreamSink& sink) override {
    rounds_.dispatched(request_id, Clock::now());
    SendCountingSink counting(sink, rounds_, request_id);  // lives in this coroutine's frame
    co_await inner_->start(spec, request_id, counting);
  }
  void shutdown() override { inner_->shutdown(); }

 private:
  std::unique_ptr<target::Target> inner_;
  replay::RoundTracker& rounds_;
};

class SendCountingTargets final : public target::TargetFactory {
 public:
  SendCountingTargets(const target::TargetFactory& inner, replay::RoundTracker& rounds)
      : inner_(inner), rounds_(rounds) {}
  std::unique_ptr<target::Target> make(boost::asio::io_context& ioc) const override {
    return std::make_unique<SendCountingTarget>(inner_.make(ioc), rounds_);
  }

 private:
  const target::TargetFactory& inner_;
  replay::RoundTracker& rounds_;
};

// Appends to a file the user named (--json-output, --detailed-logs); a failed write is one
// warning, never a lost replay.
class AppendFile {
 public:
  AppendFile(const std::string& path, const char* mode) : path_(path) {
    if (path.empty()) return;
    file_ = std::fopen(path.c_str(), mode);
    require(file_ != nullptr, fmt::format("cannot open {} for writing", path));
  }
  ~AppendFile() {
    if (file_) std::fclose(file_);
  }
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  void write(std::string_view text) {
    if (!file_ || failed_) return;
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
      failed_ = true;
      fmt::print(stderr, "inferbench: warning: cannot write {}; it stops here\n", path_);
    }
  }
  explicit operator bool() const { return file_ != nullptr; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

// `run`'s settings that say how much load to apply or which prompts to send have no meaning in
// a replay, where the log says both: given, they are an error rather than silently ignored.
void reject_run_only(const config::Values& values) {
  for (const auto& s : values.schema().settings()) {
    const bool load = s.key.starts_with("load.") && s.key != "load.abort_after" && s.key != "load.on_abort" &&
                      s.key != "load.arrival";
    const bool workload = s.key.starts_with("workload.") && s.key != "workload.tokenizer";
    if ((load || workload || s.key == "slo") && values.given(s.key)) {
      throw Error(fmt::format("{} does not apply to replay: the log gives the load and the prompts{}",
                              values.name(s.key), s.key == "slo" ? " (use --ttft-slo, --tpot-slo, --e2e-slo)" : ""));
    }
  }
}

replay::SampleRange sample_range(const ReplayArgs& a) {
  require(!(a.sample_rate && !a.sample_range.empty()), "give --sample-rate or --sample-range, not both");
  if (a.sample_rate) return replay::make_sample_rate(*a.sample_rate);
  if (!a.sample_range.empty()) return replay::make_sample_range(a.sample_range[0], a.sample_range[1]);
  return {};
}

int execute_replay(const config::Values& values, const ReplayArgs& args) {
  reject_run_only(values);
  const RunConfig config = make_run_config(values);
  // --shard K/N: this replayer sends the log's requests i with i mod N == K (docs/scale-out.md).
  // The run id covers what the replay sends, so replays of different logs do not merge.
  nlohmann::json id_settings = config.settings;
  id_settings["replay"] = {{"log", std::filesystem::absolute(args.log).string()},
                           {"format", args.format},
                           {"mode", args.mode},
                           {"speed", args.speed},
                           {"target_qps", args.target_qps.value_or(0.0)},
                           {"sample_rate", args.sample_rate.value_or(0.0)},
                           {"sample_range", args.sample_range},
                           {"block_size", args.block_size},
                           {"max_tokens", args.max_tokens}};
  const Sharding sharding = make_sharding(values, id_settings, process_env);
  require(values.integer("shard.processes") == 1,
          "--processes is not available for replay: start the replayers with --shard K/N and merge them");
  const std::string output_dir = shard_output_dir(sharding, config.output_dir);
  const replay::Mode mode = replay::parse_mode(args.mode);
  require(mode == replay::Mode::Qps || !args.target_qps, "--target-qps needs --replay-mode qps");
  require(mode == replay::Mode::Timestamp || args.speed == 1.0, "--speed needs --replay-mode timestamp");
  const auto range = sample_range(args);
  // qps mode keeps FlowGPT's constant gaps unless --arrival poisson is given.
  const std::string arrival = values.given("load.arrival") ? values.str("load.arrival") : "constant";
  require(mode == replay::Mode::Qps || !values.given("load.arrival"), "--arrival needs --replay-mode qps");
  // Every flag is checked before the log is read: a bad value is one line, at once.
  require(std::isfinite(args.speed) && args.speed >= 0.001 && args.speed <= 1e6,
          fmt::format("invalid --speed {}: must be from 0.001 to 1000000", args.speed));
  require(!args.target_qps || (std::isfinite(*args.target_qps) && *args.target_qps > 0 && *args.target_qps <= 1e6),
          fmt::format("invalid --target-qps {}: must be above 0 and at most 1000000", args.target_qps.value_or(0)));
  require(arrival == "constant" || arrival == "poisson", "--arrival for a replay must be constant or poisson");
  require(args.block_size >= 1 && args.block_size <= (1 << 20),
          fmt::format("invalid --block-size {}: must be from 1 to 1048576", args.block_size));
  require(args.max_tokens >= 1 && args.max_tokens <= (1 << 24),
          fmt::format("invalid --max-tokens {}: must be from 1 to 16777216", args.max_tokens));
  replay::RoundOptions round_options;
  require(std::isfinite(args.round_duration_s) && args.round_duration_s >= 0.1 && args.round_duration_s <= 86400,
          fmt::format("invalid --round-duration {}: must be from 0.1 to 86400 s", args.round_duration_s));
  round_options.length = from_s(args.round_duration_s);
  const auto positive = [](std::optional<double> v, const char* flag) {
    require(!v || (std::isfinite(*v) && *v > 0), fmt::format("invalid {} {}: must be above 0", flag, v.value_or(0)));
    return v;
  };
  round_options.ttft_slo_ms = positive(args.ttft_slo_ms, "--ttft-slo");
  round_options.tpot_slo_ms = positive(args.tpot_slo_ms, "--tpot-slo");
  round_options.e2e_slo_s = positive(args.e2e_slo_s, "--e2e-slo");
  const std::optional<replay::Format> format =
      args.format.empty() ? std::nullopt : std::optional(replay::parse_format(args.format));

  replay::ReplayLog log = replay::read_log(args.log, format);
  const std::size_t read = log.entries.size();
  fmt::print(stderr, "inferbench: {}: {} log, {} requests in {} lines", args.log, replay::to_string(log.format), read,
             log.lines);
  if (log.skipped.count > 0) {
    fmt::print(stderr, ", {} lines skipped (first: {})", log.skipped.count, log.skipped.first.front());
  }
  fmt::print(stderr, "\n");
  const auto entries = replay::sample(std::move(log.entries), range);
  require(!entries.empty(),
          fmt::format("no request of {} falls in the sample range [{}, {})", args.log, range.start, range.end));
  if (!range.all()) {
    fmt::print(stderr, "inferbench: sample range [{}, {}): {} of {} requests\n", range.start, range.end, entries.size(),
               read);
  }

  std::optional<workload::ExactText> exact;
  if (config.workload.tokenizer) exact.emplace(*config.workload.tokenizer, workload::corpus_text());
  const replay::ReplayPlan plan = replay::make_plan(entries,
                                                    {.block_size = args.block_size,
                                                     .default_max_tokens = args.max_tokens,
                                                     .seed = config.seed,
                                                     .exact = exact ? &*exact : nullptr},
                                                    {.mode = mode,
                                                     .speed = args.speed,
                                                     .target_qps = args.target_qps.value_or(1.0),
                                                     .arrival = schedule::parse_arrival(arrival),
                                                     .seed = config.seed});

  install_stop_handlers();
  loadgen::HttpTargetOptions target = config.target;
  std::unique_ptr<sim::SimServer> simulator = start_simulator(config, target);
  // --launch: the server starts now and stops when this function returns (its destructor).
  std::unique_ptr<launch::LaunchedServer> launched;
  if (!config.launch_command.empty()) {
    const LaunchFlags flags{config.launch_command, to_s(config.launch_timeout), to_s(config.launch_stop_grace)};
    launched = start_launched_server(flags, target, output_dir);
    if (!launched) return 130;
  }
  if (!check_target(target)) {
    fmt::print(stderr, "inferbench: interrupted before the replay started (waiting for {})\n", target.client.url.str());
    if (simulator) simulator->stop();
    return 130;
  }
  std::unique_ptr<ResultsWriter> writer;
  if (!output_dir.empty()) writer = std::make_unique<ResultsWriter>(output_dir);

  const loadgen::HttpTargets http_targets(target, plan.specs);
  if (mode == replay::Mode::Qps) round_options.target_qps = args.target_qps.value_or(1.0);
  round_options.model = target.model;
  replay::RoundTracker rounds(round_options, plan.offsets);
  const SendCountingTargets targets(http_targets, rounds);
  AppendFile json_output(args.json_output, "a");
  AppendFile detailed(args.detailed_logs, "w");
  std::unique_ptr<AppendFile> csv;  // --output DIR: replay_requests.csv beside requests.jsonl
  if (writer) csv = std::make_unique<AppendFile>((writer->dir() / "replay_requests.csv").string(), "w");
  for (AppendFile* f : {&detailed, csv.get()}) {
    if (f && *f) f->write(replay::csv_header());
  }

  loadgen::LoadPlan load;
  load.load.mode = metrics::LoadSpec::Mode::Open;
  load.load.arrival = mode == replay::Mode::Qps ? arrival : "replay";
  const double span = to_s(plan.offsets.back());
  if (mode == replay::Mode::Qps) {
    load.load.rate = args.target_qps.value_or(1.0);
  } else if (span > 0) {
    load.load.rate = static_cast<double>(plan.offsets.size() - 1) / span;  // the log's mean rate
  }
  load.offsets = plan.offsets;
  load.workers = config.workers;
  load.abort_after = config.abort_after;
  load.shard = sharding.shard;
  if (config.workload.tokenizer) load.output_tokenizer = &*config.workload.tokenizer;

  nlohmann::json round_records = nlohmann::json::array();
  const auto report_rounds = [&](const std::vector<replay::Round>& done) {
    for (const auto& r : done) {
      nlohmann::json record = replay::to_json(r, round_options);
      json_output.write(record.dump() + "\n");
      round_records.push_back(std::move(record));
      if (!config.json) {
        fmt::print("{}", replay::format_round(r, round_options));
        std::fflush(stdout);
      }
    }
  };
  // The replay's objectives as inferbench's goodput (its E2E ends at the last token, not the request's end).
  metrics::Slo slo;
  slo.ttft_ms = round_options.ttft_slo_ms;
  slo.tpot_ms = round_options.tpot_slo_ms;
  if (round_options.e2e_slo_s) slo.e2e_ms = *round_options.e2e_slo_s * 1000.0;
  // Summarized as records arrive, none kept: a replay of a long log runs in flat memory.
  metrics::SummaryBuilder builder(load.load, slo, config.summary);
  loadgen::RunHooks hooks;
  hooks.keep_records = false;
  hooks.on_record = [&](const metrics::RequestRecord& r) {
    if (writer) writer->write_request(0, r);
    rounds.add(r);
    if (r.failure == metrics::Failure::Cancelled) return;
    builder.add(r);
    if (r.id >= plan.lines.size()) return;
    const TimePoint start = rounds.start().value_or(r.scheduled - plan.offsets[r.id]);
    const std::string row = replay::csv_row(r, plan.conversation_ids[r.id], plan.lines[r.id], start);
    detailed.write(row);
    if (csv) csv->write(row);
  };
  hooks.on_batch_end = [&writer] {
    if (writer) writer->flush();
  };
  hooks.stop_requested = [&writer, &launched] {
    return stop_requested() || (writer && writer->write_error()) || (launched && launched->exited().has_value());
  };
  hooks.on_progress = [&](const loadgen::LiveStats&, std::size_t) { report_rounds(rounds.due(Clock::now())); };
  hooks.progress_interval = std::chrono::milliseconds(100);
  if (!sharding.shard.whole()) {
    fmt::print(stderr, "inferbench: shard {}/{}: this replayer sends {} of the log's requests\n", sharding.shard.index,
               sharding.shard.count, schedule::owned_count(sharding.shard, plan.offsets.size()));
  }
  fmt::print(stderr, "inferbench: replaying {} requests over {:.3f} s ({} mode), rounds of {} s\n", plan.offsets.size(),
             span, args.mode, args.round_duration_s);
  if (sharding.start_at) load.start = start_instant(*sharding.start_at);
  loadgen::LoadResult result = loadgen::run_load(targets, plan.specs, load, hooks);
  const TimePoint end = builder.last_done();
  report_rounds(rounds.finish(end == TimePoint{} ? Clock::now() : end));
  metrics::LoadPointSummary s = builder.finish();
  s.interrupted = result.interrupted;
  s.requests.cancelled = result.cancelled;
  s.aborted = result.aborted;
  metrics::assess(s, result.busiest_worker_cpu, config.min_success_rate);
  nlohmann::json summary = {{"tool", "inferbench"},
                            {"version", kVersion},
                            {"run_id", sharding.run_id},
                            {"shard", {{"index", sharding.shard.index}, {"count", sharding.shard.count}}},
                            {"interrupted", result.interrupted},
                            {"config", config.settings},
                            {"runs", nlohmann::json::array({report::to_json(s)})}};
  summary["config"]["target"]["model"] = target.model;
  if (writer) summary["clock"] = results::to_json(writer->anchor());  // what requests.jsonl's times count from
  summary["replay"] = {{"log", args.log},
                       {"format", replay::to_string(log.format)},
                       {"lines", log.lines},
                       {"requests_in_log", read},
                       {"skipped_lines", log.skipped.count},
                       {"skipped_first", log.skipped.first},
                       {"sample_range", {range.start, range.end}},
                       {"requests", plan.offsets.size()},
                       {"mode", args.mode},
                       {"speed", args.speed},
                       {"block_size", args.block_size}};
  if (mode == replay::Mode::Qps) summary["replay"]["target_qps"] = load.load.rate;
  summary["replay"]["round_duration_s"] = args.round_duration_s;
  summary["replay"]["rounds"] = std::move(round_records);
  const int launch_rc = launched ? finish_launched_server(*launched, summary) : 0;
  if (writer) {
    writer->write_summary(summary, report::to_csv({s}));
    if (const auto error = writer->write_error()) {
      fmt::print(stderr, "inferbench: {}: the replay's records are lost (exit 1)\n", *error);
      if (simulator) simulator->stop();
      return 1;
    }
  }
  if (config.json) {
    fmt::print("{}\n", report::to_text(summary, 2));
  } else {
    fmt::print("{}\n", report::format_table(s));
  }
  if (writer) fmt::print(stderr, "inferbench: results in {}\n", writer->dir().string());
  if (simulator) simulator->stop();
  if (launch_rc != 0) return launch_rc;
  if (result.interrupted) {
    fmt::print(stderr, "inferbench: interrupted; the summary covers the requests that ended\n");
    return 130;
  }
  if (!result.aborted.empty()) {
    fmt::print(stderr, "inferbench: replay aborted: {}\n", result.aborted);
    return 1;
  }
  if (s.requests.completed == 0) {
    fmt::print(stderr, "inferbench: no request succeeded: the replay measured nothing (exit 1)\n");
    return 1;
  }
  if (config.min_success_rate && s.completeness.incomplete) {
    fmt::print(stderr, "inferbench: gate failed: {:.1f} % of requests succeeded, below --min-success-rate {}\n",
               s.completeness.success_rate * 100.0, *config.min_success_rate);
    return 3;
  }
  return 0;
}

}  // namespace

void add_replay_command(CLI::App& app) {
  auto values = std::make_shared<config::Values>(config::run_settings());
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand("replay",
                                 "Replay logged traffic or a trace (FlowGPT online-replay log, Mooncake JSONL, Azure "
                                 "CSV) against a server; without --endpoint, against the built-in simulator");
  config::bind(*cmd, *values);
  const char* group = "Replay";
  cmd->add_option("log", args->log, "The log or trace to replay")->required()->group(group);
  cmd->add_option("--format", args->format,
                  "flowgpt | mooncake | azure | inferbench (a requests.jsonl; default: recognised from the content)")
      ->group(group);
  cmd->add_option("--replay-mode", args->mode, "timestamp (the log's gaps) | qps (the log's order at --target-qps)")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--speed", args->speed, "timestamp mode: the log's gaps divided by this (2 = twice as fast)")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--target-qps", args->target_qps,
                  "qps mode: requests per second (default 1; --arrival constant or poisson)")
      ->group(group);
  cmd->add_option("--sample-rate", args->sample_rate,
                  "Replay the conversations whose MD5 hash falls in [0, P) (as --sample-range 0 P)")
      ->group(group);
  cmd->add_option("--sample-range", args->sample_range,
                  "Replay the conversations whose hash (FlowGPT's: MD5, first 4 bytes / 2^32) is in [START, END)")
      ->expected(2)
      ->group(group);
  cmd->add_option("--block-size", args->block_size, "Mooncake: tokens per hash id")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--max-tokens", args->max_tokens, "Output tokens asked of requests whose log gives no output length")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--round-duration", args->round_duration_s, "Seconds per round of statistics")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--ttft-slo", args->ttft_slo_ms, "TTFT objective (ms): each round's attainment")->group(group);
  cmd->add_option("--tpot-slo", args->tpot_slo_ms, "TPOT objective (ms): each round's attainment")->group(group);
  cmd->add_option("--e2e-slo", args->e2e_slo_s, "Latency objective (s): each round's attainment")->group(group);
  cmd->add_option("--json-output", args->json_output, "Append one JSON record per round to this file")->group(group);
  cmd->add_option("--detailed-logs", args->detailed_logs, "Write one CSV row per request to this file")->group(group);
  cmd->callback([values, args] {
    const int rc = execute_replay(*values, *args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace inferbench::app
