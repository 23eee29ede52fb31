#include "sim/server.hpp"

#include <utility> // before Asio: awaitable.hpp uses std::exchange without including it

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "sim/engine_driver.hpp"
#include "sim/model/latency_profile.hpp"
#include "sim/output_words.hpp"
#include "sim/responses.hpp"
#include "sim/sim_metrics.hpp"
#include "sim/stream_emitter.hpp"

namespace inferbench::sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using net::redirect_error;
using net::use_awaitable;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

namespace {

// One output chunk to write: its tokens are ready at `due`.
struct Emission {
  TimePoint due{};
  std::int64_t tokens = 0;
};

net::awaitable<bool> send(beast::tcp_stream &stream, http::status status,
                          std::string body, bool keep_alive,
                          std::string_view content_type = "application/json") {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::server, "inferbench-sim");
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  error_code ec;
  co_await http::async_write(stream, res, redirect_error(use_awaitable, ec));
  co_return !ec && keep_alive;
}

std::string_view error_type(int status) {
  switch (status) {
  case 400:
    return "BadRequestError";
  case 401:
    return "AuthenticationError";
  case 404:
    return "NotFoundError";
  case 429:
    return "RateLimitError";
  case 503:
    return "ServiceUnavailableError";
  default:
    return "InternalServerError";
  }
}

std::string_view fault_message(Fault fault) {
  switch (fault) {
  case Fault::Http400:
    return "This model's maximum context length is exceeded (injected fault)";
  case Fault::Http401:
    return "Incorrect API key provided (injected fault)";
  case Fault::Http429:
    return "Rate limit reached (injected fault)";
  case Fault::Http503:
    return "The server is overloaded or not ready yet (injected fault)";
  default:
    return "Internal server error (injected fault)";
  }
}

std::int64_t ns_since_epoch(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             t.time_since_epoch())
      .count();
}

} // namespace

struct SimServer::Impl {
  SimServer &owner;
  const SimOptions &opt;
  net::io_context ioc;
  tcp::acceptor acceptor;
  SimMetrics metrics;
  std::unique_ptr<EngineDriver> engine;          // engine mode
  std::optional<LatencyProfile> profile;         // latency-profile mode
  std::optional<tokenizer::Tokenizer> tokenizer; // counts prompts when given
  OutputWords words;                             // what the answers are made of
  std::atomic<std::uint32_t> running{
      0}; // streams being answered (profile mode's load)
  std::atomic<std::uint64_t> next_id{1};
  std::mutex rng_mutex;
  Rng rng;
  TimePoint started = Clock::now();
  std::mutex emissions_mutex;
  std::map<std::string, Emissions> emissions;
  std::FILE *trace = nullptr;
  // After ioc: destroyed first, so that no send is in flight when the streams'
  // frames go.
  StreamEmitter emitter;

  Impl(SimServer &o, const SimOptions &options)
      : owner(o), opt(options), ioc(options.threads), acceptor(ioc),
        metrics(options.model), rng(make_rng(options.seed, 0x51)),
        emitter(options.threads > 1
                    ? net::any_io_executor(net::make_strand(ioc))
                    : net::any_io_executor(ioc.get_executor()),
                options.io_uring) {
    if (!opt.model_preset.empty()) {
      EngineConfig config = make_engine_config(opt.model_preset, opt.hardware,
                                               opt.tensor_parallel);
      config.max_num_seqs = opt.max_num_seqs;
      config.max_num_batched_tokens = opt.max_num_batched_tokens;
      config.max_waiting = opt.max_waiting;
      config.enable_prefix_caching = opt.prefix_caching;
      config.seed = opt.seed;
      engine = std::make_unique<EngineDriver>(config, opt.time_scale, metrics);
    } else {
      LatencyProfileConfig p;
      const bool per_token =
          opt.prefill_overhead_ms > 0 || opt.prefill_per_token_ms > 0;
      p.calculator = per_token ? LatencyCalculator::kPerToken
                               : LatencyCalculator::kConstant;
      p.time_to_first_token_s = opt.ttft_ms / 1e3;
      p.time_to_first_token_std_dev_s = opt.ttft_std_ms / 1e3;
      p.prefill_overhead_s = opt.prefill_overhead_ms / 1e3;
      p.prefill_time_per_token_s = opt.prefill_per_token_ms / 1e3;
      p.inter_token_latency_s = opt.itl_ms / 1e3;
      p.inter_token_latency_std_dev_s = opt.itl_std_ms / 1e3;
      p.time_factor_under_load = opt.time_factor_under_load;
      p.max_num_seqs = opt.max_num_seqs;
      profile.emplace(p);
    }
    if (!opt.tokenizer_path.empty()) {
      tokenizer = tokenizer::Tokenizer::load(opt.tokenizer_path);
      words = OutputWords(*tokenizer);
    }
    if (!opt.trace_path.empty()) {
      trace = std::fopen(opt.trace_path.c_str(), "w");
      require(trace != nullptr,
              "cannot write the simulator trace file " + opt.trace_path);
    }
  }
  ~Impl() {
    if (trace)
      std::fclose(trace);
  }

  // Draws the fault for one request from the configured rates (at most one).
  Fault draw_fault() {
    if (opt.fault_rates.empty())
      return Fault::None;
    std::lock_guard lock(rng_mutex);
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    for (const auto &[fault, rate] : opt.fault_rates) {
      if (u < rate)
        return fault;
      u -= rate;
    }
    return Fault::None;
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open())
          co_return;
        continue;
      }
      // With several I/O threads, a strand per connection keeps each session
      // serial (the engine thread wakes sessions through their executor); one
      // thread is serial already, and a strand would only add a shared_ptr copy
      // to every handler.
      if (opt.threads > 1) {
        net::co_spawn(net::make_strand(ioc), session(std::move(socket)),
                      net::detached);
      } else {
        net::co_spawn(ioc, session(std::move(socket)), net::detached);
      }
    }
  }

  void record(const Request &req, Emissions &&e) {
    if (!opt.record_emissions && !trace)
      return;
    std::lock_guard lock(emissions_mutex);
    const std::string key(req["x-request-id"]);
    if (trace) {
      nlohmann::json line = {{"request_id", key},
                             {"received_ns", ns_since_epoch(e.received)}};
      auto &times = line["chunk_ns"] = nlohmann::json::array();
      for (const auto t : e.chunk_times)
        times.push_back(ns_since_epoch(t));
      line["chunk_tokens"] = e.chunk_tokens;
      const std::string text = line.dump() + "\n";
      std::fwrite(text.data(), 1, text.size(), trace);
      std::fflush(trace);
    }
    if (opt.record_emissions)
      emissions[key] = std::move(e);
  }

  net::awaitable<void> session(tcp::socket socket);
  net::awaitable<bool> completion(beast::tcp_stream &stream, const Request &req,
                                  TimePoint arrived, bool chat);
};

net::awaitable<void> SimServer::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  for (;;) {
    Request req;
    co_await http::async_read(stream, buffer, req,
                              redirect_error(use_awaitable, ec));
    if (ec)
      break;
    const TimePoint arrived = Clock::now();
    owner.served_.fetch_add(1, std::memory_order_relaxed);
    const std::string_view target = req.target();
    const bool keep = req.keep_alive();
    const bool get = req.method() == http::verb::get;
    bool go_on = false;
    if (get && target == "/health") {
      go_on = co_await send(stream, http::status::ok, "", keep, "text/plain");
    } else if (get && target == "/health/ready") {
      const bool ready = to_s(Clock::now() - started) >= opt.startup_delay_s;
      go_on = co_await send(
          stream, ready ? http::status::ok : http::status::service_unavailable,
          ready ? "" : "starting", keep, "text/plain");
    } else if (get && target == "/metrics") {
      SimGauges gauges;
      if (engine) {
        gauges = engine->gauges();
      } else {
        gauges.running = running.load();
      }
      go_on = co_await send(stream, http::status::ok, metrics.render(gauges),
                            keep, "text/plain; version=0.0.4; charset=utf-8");
    } else if (get && target == "/v1/models") {
      go_on = co_await send(
          stream, http::status::ok,
          R"({"object":"list","data":[{"id":")" + opt.model +
              R"(","object":"model","created":0,"owned_by":"inferbench"}]})",
          keep);
    } else if (req.method() == http::verb::post &&
               (target == "/v1/completions" ||
                target == "/v1/chat/completions")) {
      go_on = co_await completion(stream, req, arrived,
                                  target == "/v1/chat/completions");
      go_on = go_on && keep;
    } else {
      go_on = co_await send(
          stream, http::status::not_found,
          error_body("no route " + std::string(target), "NotFoundError", 404),
          keep);
    }
    if (!go_on)
      break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

net::awaitable<bool> SimServer::Impl::completion(beast::tcp_stream &stream,
                                                 const Request &req,
                                                 TimePoint arrived, bool chat) {
  const bool keep = req.keep_alive();
  const ParsedRequest pr =
      parse_request(req.body(), chat, tokenizer ? &*tokenizer : nullptr);
  if (!pr.error.empty()) {
    co_return co_await send(stream, http::status::bad_request,
                            error_body(pr.error, "BadRequestError", 400), keep);
  }
  Fault fault = Fault::None;
  if (const auto header = req["x-inferbench-fault"]; !header.empty()) {
    const auto named = parse_fault(header);
    if (!named) {
      co_return co_await send(
          stream, http::status::bad_request,
          error_body("unknown x-inferbench-fault; expected one of " +
                         fault_names(),
                     "BadRequestError", 400),
          keep);
    }
    fault = *named;
  } else {
    fault = draw_fault();
  }
  if (fault != Fault::None)
    metrics.count_fault(fault);
  if (const int status = fault_status(fault); status != 0) {
    co_return co_await send(
        stream, static_cast<http::status>(status),
        error_body(fault_message(fault), error_type(status), status), keep);
  }
  if (fault == Fault::CloseBeforeResponse)
    co_return false;
  if (!pr.stream && fault != Fault::None)
    fault = Fault::None; // stream faults need a stream

  const std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed);
  const std::string id_text = std::to_string(id);
  const std::int64_t max_tokens =
      pr.max_tokens > 0 ? pr.max_tokens : opt.default_max_tokens;
  std::int64_t n = max_tokens;
  if (!pr.ignore_eos && opt.output_tokens > 0)
    n = std::min(n, opt.output_tokens);
  const auto per_chunk =
      static_cast<std::int64_t>(std::max(1, opt.tokens_per_chunk));

  // Where the tokens come from: a latency plan made now, or the engine as it
  // runs.
  std::vector<Emission> plan; // profile mode: every chunk, known ahead
  std::shared_ptr<TokenChannel> channel; // engine mode
  std::vector<double> gaps;
  double ttft_s = 0;
  struct RunningGuard {
    std::atomic<std::uint32_t> &n;
    ~RunningGuard() { --n; }
  };
  const std::uint32_t running_now = ++running;
  RunningGuard guard{running};
  if (engine) {
    channel = std::make_shared<TokenChannel>(co_await net::this_coro::executor);
    const auto stop_after = static_cast<std::uint32_t>(n < max_tokens ? n : 0);
    const SubmitStatus status = engine->submit(
        id, pr.prompt_ids, static_cast<std::uint32_t>(max_tokens), stop_after,
        channel);
    if (status == SubmitStatus::kQueueFull) {
      co_return co_await send(
          stream, http::status::too_many_requests,
          error_body(
              "Failed to enqueue request, waiting requests queue is full",
              "RateLimitError", 429),
          keep);
    }
    if (status != SubmitStatus::kAccepted) {
      co_return co_await send(
          stream, http::status::bad_request,
          error_body(
              fmt::format(
                  "This model's maximum context length is exceeded: {} prompt "
                  "tokens + {} max_tokens",
                  pr.prompt_tokens, max_tokens),
              "BadRequestError", 400),
          keep);
    }
  } else {
    std::lock_guard lock(rng_mutex);
    ttft_s =
        profile->sample(static_cast<std::uint32_t>(pr.prompt_tokens), 0,
                        static_cast<std::uint32_t>(n), running_now, rng, gaps);
    TimePoint t = arrived + from_s(ttft_s);
    std::int64_t in_chunk = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      if (k > 0)
        t += from_s(gaps[static_cast<std::size_t>(k - 1)]);
      if (++in_chunk == per_chunk || k == n - 1) {
        plan.push_back({t, in_chunk});
        in_chunk = 0;
      }
    }
  }

  // Engine mode: the next chunk's worth of tokens, waiting for the engine as
  // needed.
  std::vector<TokenEvent> events;
  std::size_t event_index = 0;
  bool engine_done = false;
  std::optional<FinishedRequest> finish;
  std::size_t plan_index = 0;
  std::int64_t emitted = 0;
  auto next_emission = [&](Emission &em) -> net::awaitable<bool> {
    if (!engine) {
      if (plan_index == plan.size())
        co_return false;
      em = plan[plan_index++];
      co_return true;
    }
    em = {};
    while (em.tokens < per_chunk && !engine_done) {
      if (event_index == events.size()) {
        event_index =
            0; // take() replaces `events`, whether or not it finds any
        if (!channel->take(events)) {
          channel->signal.expires_at(TimePoint::max());
          error_code ec;
          co_await channel->signal.async_wait(
              redirect_error(use_awaitable, ec));
          continue;
        }
      }
      const TokenEvent &ev = events[event_index++];
      em.tokens += ev.tokens;
      if (ev.tokens > 0)
        em.due = ev.due;
      if (ev.finished) {
        engine_done = true;
        finish = ev.finish;
      }
    }
    co_return em.tokens > 0;
  };
  auto finish_reason = [&]() -> std::string_view {
    if (finish)
      return finish->reason == FinishReason::kStop ? "stop" : "length";
    return n < max_tokens ? "stop" : "length";
  };
  auto cached = [&]() -> std::optional<std::int64_t> {
    if (finish)
      return static_cast<std::int64_t>(finish->cached_tokens);
    return std::nullopt;
  };
  auto observe_profile = [&](TimePoint end) {
    if (engine)
      return;
    const double e2e = to_s(end - arrived);
    const double tpot =
        n >= 2 ? (e2e - ttft_s) / static_cast<double>(n - 1) : 0.0;
    metrics.observe_finished({ttft_s, e2e, 0.0, ttft_s, e2e - ttft_s, e2e, tpot,
                              static_cast<std::uint32_t>(pr.prompt_tokens),
                              static_cast<std::uint32_t>(n),
                              static_cast<std::uint32_t>(max_tokens),
                              n < max_tokens});
    metrics.observe_itl(gaps);
  };
  auto abandon = [&] {
    if (engine && !engine_done)
      engine->abort(id);
  };

  net::steady_timer timer(co_await net::this_coro::executor);
  error_code ec;
  if (!pr.stream) {
    Emission em;
    while (co_await next_emission(em)) {
      emitted += em.tokens;
      timer.expires_at(em.due);
    }
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    std::string text;
    words.append(text, id, 0, emitted);
    observe_profile(Clock::now());
    co_return co_await send(stream, http::status::ok,
                            full_response(chat, id_text, opt.model, text,
                                          finish_reason(), pr.prompt_tokens,
                                          emitted, cached()),
                            keep);
  }

  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::server, "inferbench-sim");
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(keep);
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  co_await http::async_write_header(stream, serializer,
                                    redirect_error(use_awaitable, ec));
  if (ec) {
    abandon();
    co_return false;
  }

  Emissions trace_entry;
  trace_entry.received = arrived;
  const std::int64_t chunks_expected = (n + per_chunk - 1) / per_chunk;
  const bool tracing = opt.record_emissions || trace != nullptr;
  std::string out, text; // reused for every chunk
  // Appends chunk k's events, carrying `tokens` tokens (`last`: the stream ends
  // with it).
  auto append_chunk = [&](std::string &sse, std::int64_t k, std::int64_t tokens,
                          bool last) {
    if (k == 0 && chat)
      append_role_event(sse, id_text, opt.model);
    text.clear();
    words.append(text, id, emitted, tokens);
    emitted += tokens;
    append_chunk_event(sse, chat, id_text, opt.model, text,
                       last ? finish_reason() : "");
  };
  auto append_end = [&](std::string &sse) {
    if (pr.include_usage)
      append_usage_event(sse, chat, id_text, opt.model, pr.prompt_tokens,
                         emitted, cached());
    sse += "data: [DONE]\n\n";
  };

  if (!engine && fault == Fault::None && !plan.empty()) {
    // The plain case, and the one that must scale: the emitter writes every
    // chunk on time.
    StreamEmitter::Stream s(stream.socket(), co_await net::this_coro::executor);
    s.due.reserve(plan.size());
    for (const Emission &e : plan)
      s.due.push_back(e.due);
    s.record_times = tracing;
    s.format = [&](std::string &sse, std::size_t k) {
      const bool last = k + 1 == plan.size();
      append_chunk(sse, static_cast<std::int64_t>(k), plan[k].tokens, last);
      if (last)
        append_end(sse);
    };
    co_await emitter.run(s);
    if (s.error)
      co_return false;
    observe_profile(Clock::now());
    if (tracing) {
      trace_entry.chunk_times = std::move(s.sent);
      for (const Emission &e : plan)
        trace_entry.chunk_tokens.push_back(
            static_cast<std::uint32_t>(e.tokens));
      record(req, std::move(trace_entry));
    }
    co_return true;
  }

  out.reserve(1024);
  std::int64_t chunk = 0;
  Emission em;
  while (co_await next_emission(em)) {
    // Absolute due times: a late chunk does not delay the ones after it.
    timer.expires_at(em.due);
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    if (fault == Fault::ResetMidStream && chunk == chunks_expected / 2) {
      abandon();
      co_return false;
    }
    out.clear();
    const bool last = engine ? engine_done : emitted + em.tokens == n;
    append_chunk(out, chunk, em.tokens, last);
    if (fault == Fault::MalformedChunk && chunk == chunks_expected / 2)
      out += "data: {\"choices\":[{\"te\n\n";
    if (fault == Fault::ErrorEvent && chunk == 0) {
      out += "data: " +
             error_body("injected error event", "InternalServerError", 500) +
             "\n\ndata: [DONE]\n\n";
    }
    if (last)
      append_end(out);
    if (tracing) {
      trace_entry.chunk_times.push_back(Clock::now());
      trace_entry.chunk_tokens.push_back(static_cast<std::uint32_t>(em.tokens));
    }
    co_await net::async_write(stream, http::make_chunk(net::buffer(out)),
                              redirect_error(use_awaitable, ec));
    ++chunk;
    if (ec || fault == Fault::ErrorEvent) {
      abandon();
      if (ec)
        co_return false;
      break;
    }
    if (fault == Fault::Stall && chunk == 1) {
      abandon();
      timer.expires_after(std::chrono::hours(
          1)); // until the client gives up or the server stops
      co_await timer.async_wait(redirect_error(use_awaitable, ec));
      co_return false;
    }
  }
  co_await net::async_write(stream, http::make_chunk_last(),
                            redirect_error(use_awaitable, ec));
  observe_profile(Clock::now());
  if (tracing)
    record(req, std::move(trace_entry));
  co_return !ec;
}

SimServer::SimServer(SimOptions options) : options_(std::move(options)) {
  for (const char c : options_.model) {
    require(c > 0x20 && c < 0x7f && c != '"' && c != '\\',
            "invalid simulator model name '" + options_.model +
                "': use printable ASCII without quotes");
  }
  require(options_.ttft_ms >= 0 && options_.itl_ms >= 0,
          "simulator latencies must be >= 0");
  require(options_.threads >= 1, "simulator threads must be >= 1");
  require(options_.time_scale > 0, "simulator time scale must be > 0");
  double total_rate = 0;
  for (const auto &[fault, rate] : options_.fault_rates)
    total_rate += rate;
  require(total_rate <= 1.0 + 1e-9,
          "simulator fault rates add up to more than 1");
}

SimServer::~SimServer() { stop(); }

void SimServer::start() {
  impl_ = std::make_unique<Impl>(*this, options_);
  error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  require(!ec, "invalid simulator address '" + options_.host + "'");
  const tcp::endpoint endpoint(address, options_.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    impl_->acceptor.bind(endpoint, ec);
  if (!ec)
    impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  require(!ec, "simulator cannot listen on " + options_.host + ":" +
                   std::to_string(options_.port) + ": " + ec.message());
  port_ = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  for (int i = 0; i < options_.threads; ++i)
    threads_.emplace_back([this] { impl_->ioc.run(); });
}

void SimServer::stop() {
  if (!impl_)
    return;
  net::post(impl_->ioc, [this] {
    error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto &t : threads_)
    t.join();
  threads_.clear();
  impl_.reset();
}

std::map<std::string, Emissions> SimServer::emissions() const {
  if (!impl_)
    return {};
  std::lock_guard lock(impl_->emissions_mutex);
  return impl_->emissions;
}

bool SimServer::uses_io_uring() const {
  return impl_ && impl_->emitter.uses_io_uring();
}

std::string SimServer::describe() const {
  const SimOptions &o = options_;
  if (!o.model_preset.empty()) {
    return fmt::format("engine model {} on {}x{} (time scale {})",
                       o.model_preset, o.tensor_parallel, o.hardware,
                       o.time_scale);
  }
  if (o.prefill_overhead_ms > 0 || o.prefill_per_token_ms > 0) {
    return fmt::format("latency profile: ttft {} ms + {} ms/token, itl {} ms",
                       o.prefill_overhead_ms, o.prefill_per_token_ms, o.itl_ms);
  }
  return fmt::format("latency profile: ttft {} ms, itl {} ms", o.ttft_ms,
                     o.itl_ms);
}

} // namespace inferbench::sim
