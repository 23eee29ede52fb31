#include "sim/server.hpp"

#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <fmt/format.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
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
#include "sim/tokenize.hpp"
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

// Request bodies above this answer 413: a completions body is a prompt, and 4 MiB is about a
// million tokens, far beyond any context length.
constexpr std::size_t kMaxBodyBytes = 4u << 20;
// How long accept() waits after failing (EMFILE, ENFILE, ENOBUFS), instead of retrying at once:
// the condition lasts until some connection closes, and retrying would spin a core.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);

// The routes and the method each takes, to tell 405 from 404.
std::optional<http::verb> route_method(std::string_view path) {
  for (const std::string_view get : {"/health", "/health/ready", "/metrics", "/v1/models"}) {
    if (path == get) return http::verb::get;
  }
  for (const std::string_view post : {"/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"}) {
    if (path == post) return http::verb::post;
  }
  return std::nullopt;
}

}  // namespace

// Member order is destruction order reversed, and it matters: the io_context destroys the
// sessions' suspended coroutines, whose TokenSources point into `sources`, `metrics` and the
// emitter's executor. So everything a coroutine points to is declared before `ioc` (and
// outlives it), and the engine thread is stopped first (~Impl) so it never wakes a session
// that is being destroyed.
struct SimServer::Impl {
  SimServer& owner;
  const SimOptions& opt;
  TimePoint started = Clock::now();
  SimMetrics metrics;
  SharedRng rng;                                  // fault draws and latency samples
  TokenSources sources;                           // the engine model or the latency profile
  std::optional<tokenizer::Tokenizer> tokenizer;  // counts prompts when given
  OutputWords words;                              // what the answers are made of
  Admitter admitter;                              // parses, injects faults, starts the tokens
  EmissionLog emission_log;                       // true emission times (record_emissions, trace_path)
  net::io_context ioc;
  tcp::acceptor acceptor;
  // After ioc: destroyed first, so that no send is in flight when the streams' frames go.
  StreamEmitter emitter;

  Impl(SimServer& o, const SimOptions& options)
      : owner(o),
        opt(options),
        metrics(options.model),
        rng(make_rng(options.seed, 0x51)),
        sources(options, metrics, rng),
        tokenizer(load_tokenizer(options)),
        words(tokenizer ? OutputWords(*tokenizer) : OutputWords()),
        admitter(options, tokenizer ? &*tokenizer : nullptr, metrics, rng, sources),
        emission_log(options.record_emissions, options.trace_path),
        ioc(options.threads),
        acceptor(ioc),
        emitter(options.threads > 1 ? net::any_io_executor(net::make_strand(ioc))
                                    : net::any_io_executor(ioc.get_executor()),
                options.io_uring) {}
  ~Impl() { sources.stop(); }

  net::awaitable<void> accept_loop() {
    net::steady_timer backoff(ioc);
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        backoff.expires_after(kAcceptBackoff);
        co_await backoff.async_wait(redirect_error(use_awaitable, ec));
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
  // Answers one request; true when the connection may serve another.
  net::awaitable<bool> route(beast::tcp_stream& stream, const Request& req, TimePoint arrived);
  // Answers one completions request: admission, then one of the writers (sim/writers.hpp).
  net::awaitable<bool> completion(beast::tcp_stream& stream, const Request& req, TimePoint arrived, bool chat);
};

namespace {

// Reads one request within the idle timeout; a body over kMaxBodyBytes sets http::error::body_limit.
net::awaitable<error_code> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                        http::request_parser<http::string_body>& parser, double timeout_s) {
  parser.body_limit(kMaxBodyBytes);
  error_code ec;
  stream.expires_after(from_s(timeout_s));
  co_await http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
  if (!ec && !parser.is_done()) {
    stream.expires_after(from_s(timeout_s));  // the body gets its own timeout
    co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
  }
  stream.expires_never();  // answers (streams) may take as long as they take
  co_return ec;
}

// Answers 413 and closes; the unread body is drained for a moment first, so that closing does
// not reset the connection before the client has read the answer.
net::awaitable<void> refuse_too_large(beast::tcp_stream& stream) {
  co_await send(
      stream, http::status::payload_too_large,
      error_body("Request body exceeds the simulator's limit of " + std::to_string(kMaxBodyBytes) + " bytes", 413),
      false);
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  while (!ec) co_await stream.async_read_some(net::buffer(sink), redirect_error(use_awaitable, ec));
}

}  // namespace

net::awaitable<void> SimServer::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    ec = co_await read_request(stream, buffer, parser, opt.idle_timeout_s);
    if (ec == http::error::body_limit) {
      co_await refuse_too_large(stream);
      break;
    }
    if (ec) break;  // closed, timed out or not HTTP
    owner.served_.fetch_add(1, std::memory_order_relaxed);
    if (!co_await route(stream, parser.get(), Clock::now())) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

net::awaitable<bool> SimServer::Impl::route(beast::tcp_stream& stream, const Request& req, TimePoint arrived) {
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const bool keep = req.keep_alive();
  const std::optional<http::verb> method = route_method(path);
  if (!method) co_return co_await send(stream, http::status::not_found, error_body("Not Found", 404), keep);
  if (req.method() != *method) {
    co_return co_await send(stream, http::status::method_not_allowed, error_body("Method Not Allowed", 405), keep);
  }
  const tokenizer::Tokenizer* tok = tokenizer ? &*tokenizer : nullptr;
  if (path == "/health") co_return co_await send(stream, http::status::ok, "", keep, "text/plain");
  if (path == "/health/ready") {
    if (to_s(Clock::now() - started) >= opt.startup_delay_s) {
      co_return co_await send(stream, http::status::ok, "", keep, "text/plain");
    }
    co_return co_await send(stream, http::status::service_unavailable,
                            error_body("The server is starting up and not ready yet", 503), keep);
  }
  if (path == "/metrics") {
    co_return co_await send(stream, http::status::ok, metrics.render(sources.gauges()), keep,
                            "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path == "/v1/models") {
    co_return co_await send(stream, http::status::ok,
                            R"({"object":"list","data":[{"id":")" + opt.model +
                                R"(","object":"model","created":0,"owned_by":"inferbench","max_model_len":)" +
                                std::to_string(sources.max_model_len()) + "}]}",
                            keep);
  }
  if (path == "/tokenize" || path == "/detokenize") {
    const JsonAnswer a =
        path == "/tokenize" ? tokenize(req.body(), tok, sources.max_model_len()) : detokenize(req.body(), tok);
    co_return co_await send(stream, static_cast<http::status>(a.status), a.body, keep);
  }
  const bool go_on = co_await completion(stream, req, arrived, path == "/v1/chat/completions");
  co_return go_on&& keep;
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
  const std::string_view request_id = req["x-request-id"];
  if (emitter_can_write(a)) co_return co_await write_emitted(stream, a, keep, request_id, ctx);
  co_return co_await write_chunked(stream, a, keep, request_id, ctx);
}

SimServer::SimServer(SimOptions options) : options_(std::move(options)) {
  for (const char c : options_.model) {
    require(c > 0x20 && c < 0x7f && c != '"' && c != '\\',
            "invalid simulator model name '" + options_.model + "': use printable ASCII without quotes");
  }
  require(options_.ttft_ms >= 0 && options_.itl_ms >= 0, "simulator latencies must be >= 0");
  require(options_.threads >= 1, "simulator threads must be >= 1");
  require(options_.time_scale > 0, "simulator time scale must be > 0");
  // An answer's plan holds one entry per token, so the context bounds the memory of one request.
  require(options_.max_model_len >= 2 && options_.max_model_len <= (1u << 24),
          "simulator max_model_len must be between 2 and 16777216 tokens");
  require(options_.idle_timeout_s > 0, "simulator idle timeout must be > 0");
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
