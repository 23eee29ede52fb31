#include "sim/in_process_target.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unordered_map>

#include "core/error.hpp"
#include "sim/responses.hpp"

namespace inferbench::sim {

namespace {

namespace net = boost::asio;
using metrics::Failure;

class InProcessTarget final : public target::Target {
 public:
  InProcessTarget(net::io_context& ioc, const InProcessOptions& options)
      : ioc_(ioc), options_(options), model_(options.engine), origin_(Clock::now()) {}

  net::awaitable<void> start(const workload::RequestSpec& spec, std::uint64_t request_id,
                             target::StreamSink& sink) override {
    if (stopped_) {
      sink.on_done(Clock::now(), Failure::Cancelled, "the run was interrupted");
      co_return;
    }
    const double arrival = options_.real_time ? virtual_now() : model_.now();
    SeqRequest request = SeqRequest::from_tokens(
        request_id, prompt_ids(spec), static_cast<std::uint32_t>(std::max<std::int64_t>(spec.max_tokens, 0)), arrival);
    const TimePoint sent = at(arrival);
    sink.on_sent(sent);
    const SubmitStatus status = model_.submit(std::move(request));
    if (status != SubmitStatus::kAccepted) {
      // As the HTTP server answers: 429 for a full queue, 400 for a request that cannot fit.
      sink.on_headers(status == SubmitStatus::kQueueFull ? 429 : 400, sent);
      sink.on_done(sent, Failure::HttpStatus, fmt_status(status));
      co_return;
    }
    sink.on_headers(200, sent);
    net::steady_timer done(ioc_, TimePoint::max());
    live_.emplace(request_id, Live{&sink, &done});
    if (!driving_) {  // the engine loop runs while there is work, so an idle worker can end
      driving_ = true;
      net::co_spawn(ioc_, drive(), net::detached);
    }
    boost::system::error_code ec;
    co_await done.async_wait(net::redirect_error(net::use_awaitable, ec));
    live_.erase(request_id);
  }

  void shutdown() override {
    stopped_ = true;
    for (auto& [id, live] : live_) {
      model_.abort(id);
      live.sink->on_done(Clock::now(), Failure::Cancelled, "the run was interrupted");
      live.done->cancel();
    }
  }

 private:
  struct Live {
    target::StreamSink* sink;
    net::steady_timer* done;  // cancelled when the request ends
  };

  static std::string fmt_status(SubmitStatus status) {
    return std::string("the engine refused the request: ") + std::string(to_string(status));
  }

  double virtual_now() const { return to_s(Clock::now() - origin_) * options_.time_scale; }
  TimePoint at(double virtual_s) const {
    return origin_ + from_s(options_.real_time ? virtual_s / options_.time_scale : virtual_s);
  }

  std::vector<std::uint32_t> prompt_ids(const workload::RequestSpec& spec) const {
    std::vector<std::uint32_t> ids;
    auto append = [&](std::string_view text) {
      if (!options_.tokenizer) return append_word_ids(text, ids);
      for (const std::int32_t id : options_.tokenizer->encode(text)) ids.push_back(static_cast<std::uint32_t>(id));
    };
    if (spec.messages.empty()) {
      append(spec.prompt);
    } else {
      for (const auto& m : spec.messages) append(m.content);
    }
    return ids;
  }

  // Waits until real time reaches `virtual_s` (real time only).
  net::awaitable<void> wait_until(double virtual_s) {
    net::steady_timer timer(ioc_, at(virtual_s));
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  // The engine loop: one iteration at a time, on the worker's event loop, while there is work.
  net::awaitable<void> drive() {
    while (!stopped_ && model_.has_work()) {
      if (options_.real_time) {
        co_await wait_until(model_.next_step_time());
      } else {
        // Let users woken by the last iteration submit their next requests first: they arrive
        // at the virtual time it ended.
        co_await net::post(ioc_, net::use_awaitable);
      }
      if (stopped_) break;
      const IterationResult& r = model_.step();
      if (r.idle) continue;
      if (options_.real_time) {
        const double end = r.end_s;
        co_await wait_until(end);
        if (stopped_) break;
      }
      deliver(r);
    }
    driving_ = false;
  }

  void deliver(const IterationResult& r) {
    const TimePoint due = at(r.end_s);
    for (const SeqEvent& e : r.events) {
      if (e.tokens == 0) continue;
      if (const auto it = live_.find(e.id); it != live_.end()) it->second.sink->on_chunk(due, e.tokens, {});
    }
    for (const FinishedRequest& f : r.finished) {
      const auto it = live_.find(f.id);
      if (it == live_.end()) continue;
      metrics::Usage usage;
      usage.prompt_tokens = f.prompt_tokens;
      usage.completion_tokens = f.output_tokens;
      usage.cached_tokens = f.cached_tokens;
      it->second.sink->on_usage(usage);
      it->second.sink->on_done(due, Failure::None, {});
      it->second.done->cancel();
    }
  }

  net::io_context& ioc_;
  const InProcessOptions& options_;
  EngineModel model_;
  TimePoint origin_;
  std::unordered_map<std::uint64_t, Live> live_;
  bool driving_ = false;  // the engine loop is running
  bool stopped_ = false;
};

}  // namespace

InProcessTargets::InProcessTargets(InProcessOptions options) : options_(std::move(options)) {}

std::unique_ptr<target::Target> InProcessTargets::make(boost::asio::io_context& ioc) const {
  require(!made_, "the in-process engine serves one worker: run it with --workers 1");
  made_ = true;
  return std::make_unique<InProcessTarget>(ioc, options_);
}

}  // namespace inferbench::sim
