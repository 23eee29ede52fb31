#pragma once
// Where a response's tokens come from, and when each chunk of them is due. In latency-profile
// mode the whole schedule is sampled when the request is admitted; in engine mode the engine
// thread (sim/engine_driver) hands the tokens over as its iterations end. The writers see one
// TokenSource either way; the profile's schedule is also exposed whole, so that the plain
// streamed case can hand it to the stream emitter at once.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/rng.hpp"
#include "sim/engine_driver.hpp"
#include "sim/model/latency_profile.hpp"
#include "sim/responses.hpp"
#include "sim/server.hpp"
#include "sim/sim_metrics.hpp"

namespace inferbench::sim {

// One output chunk to write: its tokens are ready at `due`.
struct Emission {
  TimePoint due{};
  std::int64_t tokens = 0;
};

// The server's one random stream, shared by the I/O threads under its lock. Fault draws and
// latency samples come from the same stream, so that a seed reproduces both.
struct SharedRng {
  explicit SharedRng(Rng r) : rng(std::move(r)) {}
  std::mutex mutex;  // guards rng
  Rng rng;
};

// The size of one response, in tokens.
struct OutputLength {
  std::int64_t max_tokens = 0;  // the request's max_tokens, or the server's default
  std::int64_t tokens = 0;      // what the answer carries (the engine may stop it earlier)
  std::int64_t per_chunk = 1;   // tokens per streamed chunk (>= 1)
  // Whether the answer ends before max_tokens: finish_reason "stop", else "length".
  bool stops() const { return tokens < max_tokens; }
  // Streamed chunks the answer takes (the last one may carry fewer tokens).
  std::int64_t chunks() const { return (tokens + per_chunk - 1) / per_chunk; }
};

// Latency-profile mode: every chunk of one response, planned at admission.
class ProfileTokens {
 public:
  // Samples TTFT and the inter-token gaps (under rng's lock) with `running` requests in flight,
  // and groups the tokens into chunks due from `arrived` on.
  ProfileTokens(const LatencyProfile& profile, SharedRng& rng, std::int64_t prompt_tokens, OutputLength length,
                TimePoint arrived, std::uint32_t running);
  // The next planned chunk; false after the last.
  bool next(Emission& em);
  // Every chunk, in order.
  const std::vector<Emission>& plan() const { return plan_; }
  // Observes the finished response in vLLM's histograms; `end`: when its last byte went out.
  void observe_finished(SimMetrics& metrics, TimePoint end) const;

 private:
  std::int64_t prompt_tokens_;
  OutputLength length_;
  TimePoint arrived_;
  double ttft_s_ = 0;
  std::vector<double> gaps_;  // seconds between consecutive tokens
  std::vector<Emission> plan_;
  std::size_t next_ = 0;  // index into plan_
};

// Engine mode: one response's tokens as the engine thread hands them over. Used on the
// session's executor only (see TokenChannel).
class EngineTokens {
 public:
  // The request must already be accepted by `engine` with `channel`; `engine` outlives this.
  EngineTokens(EngineDriver& engine, std::uint64_t id, std::shared_ptr<TokenChannel> channel, std::int64_t per_chunk);
  // Waits for the next chunk's worth of tokens (fewer at the end), due when its last token is;
  // false once the engine has finished the request and no tokens are left.
  boost::asio::awaitable<bool> next(Emission& em);
  // Whether the engine has finished the request (its last tokens are taken).
  bool done() const { return done_; }
  // How it finished (set once done).
  const std::optional<FinishedRequest>& finish() const { return finish_; }
  // Drops the request from the engine, unless it already finished.
  void abandon();

 private:
  EngineDriver* engine_;
  std::uint64_t id_;
  std::shared_ptr<TokenChannel> channel_;
  std::int64_t per_chunk_;
  std::vector<TokenEvent> events_;  // taken from the channel, not yet consumed
  std::size_t event_index_ = 0;     // the next one of events_
  bool done_ = false;
  std::optional<FinishedRequest> finish_;
};

// One response's tokens, from whichever source the server runs. Lives in the session's
// coroutine and is used on its executor only. Counts in the server's running gauge until
// destroyed.
class TokenSource {
 public:
  struct LeaveRunning {
    void operator()(std::atomic<std::uint32_t>* running) const { --*running; }
  };
  // Counted as one more request in `*running` until destroyed.
  using RunningGuard = std::unique_ptr<std::atomic<std::uint32_t>, LeaveRunning>;

  TokenSource(std::variant<ProfileTokens, EngineTokens> source, OutputLength length, RunningGuard running);

  // The next chunk and when it is due; false when none remain. `em` must outlive the wait.
  boost::asio::awaitable<bool> next(Emission& em);
  // Whether the chunk just taken is the last one; `emitted`: tokens up to and including it.
  bool is_last(std::int64_t emitted) const;
  // "stop" or "length".
  std::string_view finish_reason() const;
  // Prompt tokens served from the prefix cache (engine mode; nullopt in profile mode).
  std::optional<std::int64_t> cached_tokens() const;
  // The whole schedule in profile mode; nullptr in engine mode.
  const std::vector<Emission>* plan() const;
  // Observes the finished response in /metrics (profile mode; the engine observes its own).
  void observe_finished(SimMetrics& metrics, TimePoint end) const;
  // The client went away or a fault cut the stream: frees the engine's request (engine mode).
  void abandon();

 private:
  std::variant<ProfileTokens, EngineTokens> source_;
  OutputLength length_;
  RunningGuard running_;
};

// The server's source of tokens: the engine model (with a model preset) or the latency
// profile. Shared by all sessions; thread-safe.
class TokenSources {
 public:
  // Validates the profile or starts the engine thread; throws inferbench::Error. `metrics`
  // and `rng` must outlive this.
  TokenSources(const SimOptions& options, SimMetrics& metrics, SharedRng& rng);

  // Starts the tokens of response `id`, to be read on the `session` executor. nullopt when the
  // engine refuses the request, with the reason in `refused`.
  std::optional<TokenSource> open(std::uint64_t id, const ParsedRequest& request, OutputLength length,
                                  TimePoint arrived, const boost::asio::any_io_executor& session,
                                  SubmitStatus& refused);
  // Live gauges for /metrics. Any thread.
  SimGauges gauges() const;
  // The prompt + max_tokens limit: the engine's, else the configured one. Any thread.
  std::int64_t max_model_len() const;
  // Stops the engine thread, so that nothing calls into the sessions' channels any more.
  void stop();

 private:
  std::unique_ptr<EngineDriver> engine_;   // engine mode
  std::optional<LatencyProfile> profile_;  // latency-profile mode
  std::int64_t max_model_len_;             // prompt + max_tokens limit
  SharedRng& rng_;
  std::atomic<std::uint32_t> running_{0};  // responses being answered (profile mode's load)
};

}  // namespace inferbench::sim
