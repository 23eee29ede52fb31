#include "sim/token_source.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace inferbench::sim {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

// An awaitable that is ready at once, for the source whose chunks are known ahead.
net::awaitable<bool> ready(bool value) { co_return value; }

EngineConfig engine_config(const SimOptions& opt) {
  EngineConfig config = make_engine_config(opt.model_preset, opt.hardware, opt.tensor_parallel);
  config.max_num_seqs = opt.max_num_seqs;
  config.max_num_batched_tokens = opt.max_num_batched_tokens;
  config.max_waiting = opt.max_waiting;
  config.enable_prefix_caching = opt.prefix_caching;
  config.seed = opt.seed;
  config.max_model_len = opt.max_model_len;
  return config;
}

LatencyProfileConfig profile_config(const SimOptions& opt) {
  const bool per_token = opt.prefill_overhead_ms > 0 || opt.prefill_per_token_ms > 0;
  return {
      .calculator = per_token ? LatencyCalculator::kPerToken : LatencyCalculator::kConstant,
      .time_to_first_token_s = opt.ttft_ms / 1e3,
      .time_to_first_token_std_dev_s = opt.ttft_std_ms / 1e3,
      .prefill_overhead_s = opt.prefill_overhead_ms / 1e3,
      .prefill_time_per_token_s = opt.prefill_per_token_ms / 1e3,
      .inter_token_latency_s = opt.itl_ms / 1e3,
      .inter_token_latency_std_dev_s = opt.itl_std_ms / 1e3,
      .time_factor_under_load = opt.time_factor_under_load,
      .max_num_seqs = opt.max_num_seqs,
  };
}

}  // namespace

ProfileTokens::ProfileTokens(const LatencyProfile& profile, SharedRng& rng, std::int64_t prompt_tokens,
                             OutputLength length, TimePoint arrived, std::uint32_t running)
    : prompt_tokens_(prompt_tokens), length_(length), arrived_(arrived) {
  const std::int64_t n = length.tokens;
  {
    std::lock_guard lock(rng.mutex);
    ttft_s_ = profile.sample(static_cast<std::uint32_t>(prompt_tokens), 0, static_cast<std::uint32_t>(n), running,
                             rng.rng, gaps_);
  }
  TimePoint t = arrived + from_s(ttft_s_);
  std::int64_t in_chunk = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    if (k > 0) t += from_s(gaps_[static_cast<std::size_t>(k - 1)]);
    if (++in_chunk == length.per_chunk || k == n - 1) {
      plan_.push_back({t, in_chunk});
      in_chunk = 0;
    }
  }
}

bool ProfileTokens::next(Emission& em) {
  if (next_ == plan_.size()) return false;
  em = plan_[next_++];
  return true;
}

void ProfileTokens::observe_finished(SimMetrics& metrics, TimePoint end) const {
  const std::int64_t n = length_.tokens;
  const double e2e = to_s(end - arrived_);
  const double tpot = n >= 2 ? (e2e - ttft_s_) / static_cast<double>(n - 1) : 0.0;
  metrics.observe_finished({
      .ttft_s = ttft_s_,
      .e2e_s = e2e,
      .queue_s = 0.0,
      .prefill_s = ttft_s_,
      .decode_s = e2e - ttft_s_,
      .inference_s = e2e,
      .tpot_s = tpot,
      .prompt_tokens = static_cast<std::uint32_t>(prompt_tokens_),
      .output_tokens = static_cast<std::uint32_t>(n),
      .max_tokens = static_cast<std::uint32_t>(length_.max_tokens),
      .stopped = length_.stops(),
  });
  metrics.observe_itl(gaps_);
}

EngineTokens::EngineTokens(EngineDriver& engine, std::uint64_t id, std::shared_ptr<TokenChannel> channel,
                           std::int64_t per_chunk)
    : engine_(&engine), id_(id), channel_(std::move(channel)), per_chunk_(per_chunk) {}

net::awaitable<bool> EngineTokens::next(Emission& em) {
  em = {};
  while (em.tokens < per_chunk_ && !done_) {
    if (event_index_ == events_.size()) {
      event_index_ = 0;  // take() replaces `events_`, whether or not it finds any
      if (!channel_->take(events_)) {
        channel_->signal.expires_at(TimePoint::max());
        error_code ec;
        co_await channel_->signal.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
    }
    const TokenEvent& ev = events_[event_index_++];
    em.tokens += ev.tokens;
    if (ev.tokens > 0) em.due = ev.due;
    if (ev.finished) {
      done_ = true;
      finish_ = ev.finish;
    }
  }
  co_return em.tokens > 0;
}

void EngineTokens::abandon() {
  if (!done_) engine_->abort(id_);
}

TokenSource::TokenSource(std::variant<ProfileTokens, EngineTokens> source, OutputLength length, RunningGuard running)
    : source_(std::move(source)), length_(length), running_(std::move(running)) {}

net::awaitable<bool> TokenSource::next(Emission& em) {
  if (auto* engine = std::get_if<EngineTokens>(&source_)) return engine->next(em);
  return ready(std::get<ProfileTokens>(source_).next(em));
}

bool TokenSource::is_last(std::int64_t emitted) const {
  if (const auto* engine = std::get_if<EngineTokens>(&source_)) return engine->done();
  return emitted == length_.tokens;
}

std::string_view TokenSource::finish_reason() const {
  if (const auto* engine = std::get_if<EngineTokens>(&source_); engine && engine->finish()) {
    return engine->finish()->reason == FinishReason::kStop ? "stop" : "length";
  }
  return length_.stops() ? "stop" : "length";
}

std::optional<std::int64_t> TokenSource::cached_tokens() const {
  if (const auto* engine = std::get_if<EngineTokens>(&source_); engine && engine->finish()) {
    return static_cast<std::int64_t>(engine->finish()->cached_tokens);
  }
  return std::nullopt;
}

const std::vector<Emission>* TokenSource::plan() const {
  const auto* profile = std::get_if<ProfileTokens>(&source_);
  return profile ? &profile->plan() : nullptr;
}

void TokenSource::observe_finished(SimMetrics& metrics, TimePoint end) const {
  if (const auto* profile = std::get_if<ProfileTokens>(&source_)) profile->observe_finished(metrics, end);
}

void TokenSource::abandon() {
  if (auto* engine = std::get_if<EngineTokens>(&source_)) engine->abandon();
}

TokenSources::TokenSources(const SimOptions& options, SimMetrics& metrics, SharedRng& rng)
    : max_model_len_(options.max_model_len), rng_(rng) {
  if (!options.model_preset.empty()) {
    engine_ = std::make_unique<EngineDriver>(engine_config(options), options.time_scale, metrics);
    max_model_len_ = engine_->max_model_len();
  } else {
    profile_.emplace(profile_config(options));
  }
}

std::optional<TokenSource> TokenSources::open(std::uint64_t id, const ParsedRequest& request, OutputLength length,
                                              TimePoint arrived, const boost::asio::any_io_executor& session,
                                              SubmitStatus& refused) {
  const std::uint32_t running_now = ++running_;
  TokenSource::RunningGuard running(&running_);
  if (!engine_) {
    ProfileTokens tokens(*profile_, rng_, request.prompt_tokens, length, arrived, running_now);
    return TokenSource(std::move(tokens), length, std::move(running));
  }
  auto channel = std::make_shared<TokenChannel>(session);
  const auto stop_after = static_cast<std::uint32_t>(length.stops() ? length.tokens : 0);
  refused = engine_->submit(id, request.prompt_ids, static_cast<std::uint32_t>(length.max_tokens), stop_after, channel);
  if (refused != SubmitStatus::kAccepted) return std::nullopt;
  return TokenSource(EngineTokens(*engine_, id, std::move(channel), length.per_chunk), length, std::move(running));
}

std::int64_t TokenSources::max_model_len() const { return max_model_len_; }

void TokenSources::stop() { engine_.reset(); }

SimGauges TokenSources::gauges() const {
  if (engine_) return engine_->gauges();
  SimGauges gauges;
  gauges.running = running_.load();
  return gauges;
}

}  // namespace inferbench::sim
