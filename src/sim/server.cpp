#include "sim/server.hpp"

#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <variant>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "sim/admission.hpp"
#include "sim/emission_log.hpp"
#include "sim/output_words.hpp"
#include "sim/responses.hpp"
#include "sim/sim_metrics.hpp"
#include "sim/stream_emitter.hpp"
#include "sim/token_source.hpp"
#include "sim/writers.hpp"

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

std::optional<tokenizer::Tokenizer> load_tokenizer(const SimOptions& opt) {
  if (opt.tokenizer_path.empty()) return std::nullopt;
  return tokenizer::Tokenizer::load(opt.tokenizer_path);
}

}  // namespace

struct SimServer::Impl {
  SimServer& owner;
  const SimOptions& opt;
  net::io_context ioc;
  tcp::acceptor acceptor;
  TimePoint started = Clock::now();
  SimMetrics metrics;
  SharedRng rng;                                  // fault draws and latency samples
  TokenSources sources;                           // the engine model or the latency profile
  std::optional<tokenizer::Tokenizer> tokenizer;  // counts prompts when given
  OutputWords words;                              // what the answers are made of
  Admitter admitter;                              // parses, injects faults, starts the tokens
  EmissionLog emission_log;                       // true emission times (record_emissions, trace_path)
  // After ioc: destroyed first, so that no send is in flight when the streams' frames go.
  StreamEmitter emitter;

  Impl(SimServer& o, const SimOptions& options)
      : owner(o),
        opt(options),
        ioc(options.threads),
        acceptor(ioc),
        metrics(options.model),
        rng(make_rng(options.seed, 0x51)),
        sources(options, metrics, rng),
        tokenizer(load_tokenizer(options)),
        words(tokenizer ? OutputWords(*tokenizer) : OutputWords()),
        admitter(options, tokenizer ? &*tokenizer : nullptr, metrics, rng, sources),
        emission_log(options.record_emissions, options.trace_path),
        emitter(options.threads > 1 ? net::any_io_executor(net::make_strand(ioc))
                                    : net::any_io_executor(ioc.get_executor()),
                options.io_uring) {}

  net::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      // With several I/O threads, a strand per connection keeps each session serial (the
      // engine thread wakes sessions through their executor); one thread is serial already,
      // and a strand would only add a shared_ptr copy to every handler.
      if (opt.threads > 1) {
        net::co_spawn(net::make_strand(ioc), session(std::move(socket)), net::detached);
      } else {
        net::co_spawn(ioc, session(std::move(socket)), net::detached);
      }
    }
  }

  net::awaitable<void> session(tcp::socket socket);
  // Answers one completions request: admission, then one of the writers (sim/writers.hpp).
  net::awaitable<bool> completion(beast::tcp_stream& stream, const Request& req, TimePoint arrived, bool chat);
};

net::awaitable<void> SimServer::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  for (;;) {
    Request req;
    co_await http::async_read(stream, buffer, req, redirect_error(use_awaitable, ec));
    if (ec) break;
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
      go_on = co_await send(stream, ready ? http::status::ok : http::status::service_unavailable,
                            ready ? "" : "starting", keep, "text/plain");
    } else if (get && target == "/metrics") {
      go_on = co_await send(stream, http::status::ok, metrics.render(sources.gauges()), keep,
                            "text/plain; version=0.0.4; charset=utf-8");
    } else if (get && target == "/v1/models") {
      go_on = co_await send(stream, http::status::ok,
                            R"({"object":"list","data":[{"id":")" + opt.model +
                                R"(","object":"model","created":0,"owned_by":"inferbench"}]})",
                            keep);
    } else if (req.method() == http::verb::post && (target == "/v1/completions" || target == "/v1/chat/completions")) {
      go_on = co_await completion(stream, req, arrived, target == "/v1/chat/completions");
      go_on = go_on && keep;
    } else {
      go_on = co_await send(stream, http::status::not_found,
                            error_body("no route " + std::string(target), "NotFoundError", 404), keep);
    }
    if (!go_on) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

net::awaitable<bool> SimServer::Impl::completion(beast::tcp_stream& stream, const Request& req, TimePoint arrived,
                                                 bool chat) {
  const bool keep = req.keep_alive();
  std::variant<Refusal, Admitted> admission =
      admitter.admit(req.body(), req["x-inferbench-fault"], chat, arrived, co_await net::this_coro::executor);
  if (auto* refusal = std::get_if<Refusal>(&admission)) {
    if (refusal->close) co_return false;
    co_return co_await send(stream, static_cast<http::status>(refusal->status), std::move(refusal->body), keep);
  }
  Admitted& a = std::get<Admitted>(admission);
  const WriteContext ctx{
      .model = opt.model, .words = words, .metrics = metrics, .emitter = emitter, .log = emission_log};
  if (!a.request.stream) co_return co_await write_full(stream, a, keep, ctx);
  if (!co_await write_sse_header(stream, keep)) {
    a.tokens.abandon();
    co_return false;
  }
  const std::string_view request_id = req["x-request-id"];
  if (emitter_can_write(a)) co_return co_await write_emitted(stream, a, request_id, ctx);
  co_return co_await write_chunked(stream, a, request_id, ctx);
}

SimServer::SimServer(SimOptions options) : options_(std::move(options)) {
  for (const char c : options_.model) {
    require(c > 0x20 && c < 0x7f && c != '"' && c != '\\',
            "invalid simulator model name '" + options_.model + "': use printable ASCII without quotes");
  }
  require(options_.ttft_ms >= 0 && options_.itl_ms >= 0, "simulator latencies must be >= 0");
  require(options_.threads >= 1, "simulator threads must be >= 1");
  require(options_.time_scale > 0, "simulator time scale must be > 0");
  double total_rate = 0;
  for (const auto& [fault, rate] : options_.fault_rates) total_rate += rate;
  require(total_rate <= 1.0 + 1e-9, "simulator fault rates add up to more than 1");
}

SimServer::~SimServer() { stop(); }

void SimServer::start() {
  impl_ = std::make_unique<Impl>(*this, options_);
  error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  require(!ec, "invalid simulator address '" + options_.host + "'");
  const tcp::endpoint endpoint(address, options_.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  require(!ec,
          "simulator cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message());
  port_ = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { impl_->ioc.run(); });
}

void SimServer::stop() {
  if (!impl_) return;
  net::post(impl_->ioc, [this] {
    error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  impl_.reset();
}

std::map<std::string, Emissions> SimServer::emissions() const {
  if (!impl_) return {};
  return impl_->emission_log.snapshot();
}

bool SimServer::uses_io_uring() const { return impl_ && impl_->emitter.uses_io_uring(); }

std::string SimServer::describe() const {
  const SimOptions& o = options_;
  if (!o.model_preset.empty()) {
    return fmt::format("engine model {} on {}x{} (time scale {})", o.model_preset, o.tensor_parallel, o.hardware,
                       o.time_scale);
  }
  if (o.prefill_overhead_ms > 0 || o.prefill_per_token_ms > 0) {
    return fmt::format("latency profile: ttft {} ms + {} ms/token, itl {} ms", o.prefill_overhead_ms,
                       o.prefill_per_token_ms, o.itl_ms);
  }
  return fmt::format("latency profile: ttft {} ms, itl {} ms", o.ttft_ms, o.itl_ms);
}

}  // namespace inferbench::sim
