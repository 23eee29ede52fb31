#include "sim/server.hpp"

#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <random>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/words.hpp"
#include "sim/responses.hpp"

namespace inferbench::sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using net::redirect_error;
using net::use_awaitable;
using tcp = net::ip::tcp;

// A fault a request asks for with the `x-inferbench-fault` header, or that a rate drew.
enum class Fault { None, HttpStatus, CloseBeforeResponse, ResetMidStream, ErrorEvent, MalformedChunk, Stall };

struct SimServer::Impl {
  SimServer& owner;
  net::io_context ioc;
  tcp::acceptor acceptor;
  std::atomic<std::uint64_t> next_id{1};
  std::mutex rng_mutex;
  Rng rng;

  Impl(SimServer& o, int threads)
      : owner(o), ioc(threads), acceptor(ioc), rng(make_rng(o.options_.seed, 0x51)) {}

  double draw() {
    std::lock_guard lock(rng_mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> session(tcp::socket socket);
  net::awaitable<bool> completion(beast::tcp_stream& stream, const http::request<http::string_body>& req,
                                  TimePoint arrived, bool chat);
};

namespace {

using Response = http::response<http::string_body>;

net::awaitable<bool> send(beast::tcp_stream& stream, http::status status, std::string body,
                          bool keep_alive, std::string_view content_type = "application/json") {
  Response res{status, 11};
  res.set(http::field::server, "inferbench-sim");
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  error_code ec;
  co_await http::async_write(stream, res, redirect_error(use_awaitable, ec));
  co_return !ec && keep_alive;
}

Fault parse_fault(std::string_view name, int& status) {
  if (name.empty()) return Fault::None;
  if (name.rfind("http_", 0) == 0) {
    status = std::atoi(std::string(name.substr(5)).c_str());
    if (status >= 400 && status < 600) return Fault::HttpStatus;
  }
  if (name == "close_before_response") return Fault::CloseBeforeResponse;
  if (name == "reset_mid_stream") return Fault::ResetMidStream;
  if (name == "error_event") return Fault::ErrorEvent;
  if (name == "malformed_chunk") return Fault::MalformedChunk;
  if (name == "stall") return Fault::Stall;
  status = 400;
  return Fault::HttpStatus;
}

std::string_view error_type(int status) {
  switch (status) {
    case 400: return "BadRequestError";
    case 401: return "AuthenticationError";
    case 404: return "NotFoundError";
    case 429: return "RateLimitError";
    case 503: return "ServiceUnavailableError";
    default: return "InternalServerError";
  }
}

// The text of output tokens [first, first + count) of response `id`: one common word each.
void append_tokens(std::string& out, std::uint64_t id, std::int64_t first, std::int64_t count) {
  const auto words = common_words();
  for (std::int64_t i = first; i < first + count; ++i) {
    out += ' ';
    out += words[(id * 7 + static_cast<std::uint64_t>(i)) % words.size()];
  }
}

}  // namespace

net::awaitable<void> SimServer::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    co_await http::async_read(stream, buffer, req, redirect_error(use_awaitable, ec));
    if (ec) break;
    const TimePoint arrived = Clock::now();
    owner.served_.fetch_add(1, std::memory_order_relaxed);
    const std::string_view target = req.target();
    const bool keep = req.keep_alive();
    bool go_on = false;
    if (req.method() == http::verb::get && (target == "/health" || target == "/health/ready")) {
      go_on = co_await send(stream, http::status::ok, "", keep, "text/plain");
    } else if (req.method() == http::verb::get && target == "/v1/models") {
      go_on = co_await send(stream, http::status::ok,
                            R"({"object":"list","data":[{"id":")" + owner.options_.model +
                                R"(","object":"model","created":0,"owned_by":"inferbench"}]})",
                            keep);
    } else if (req.method() == http::verb::post &&
               (target == "/v1/completions" || target == "/v1/chat/completions")) {
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

net::awaitable<bool> SimServer::Impl::completion(beast::tcp_stream& stream,
                                                 const http::request<http::string_body>& req,
                                                 TimePoint arrived, bool chat) {
  const SimOptions& opt = owner.options_;
  const bool keep = req.keep_alive();
  const ParsedRequest pr = parse_request(req.body(), chat);
  if (!pr.error.empty()) {
    co_return co_await send(stream, http::status::bad_request, error_body(pr.error, "BadRequestError", 400), keep);
  }
  int status = 0;
  Fault fault = parse_fault(req["x-inferbench-fault"], status);
  if (fault == Fault::None && opt.fail_rate > 0 && draw() < opt.fail_rate) {
    fault = Fault::HttpStatus;
    status = 500;
  }
  if (fault == Fault::None && pr.stream && opt.reset_rate > 0 && draw() < opt.reset_rate) {
    fault = Fault::ResetMidStream;
  }
  if (fault == Fault::HttpStatus) {
    co_return co_await send(stream, static_cast<http::status>(status),
                            error_body("injected fault", error_type(status), status), keep);
  }
  if (fault == Fault::CloseBeforeResponse) co_return false;

  const std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed);
  const std::string id_text = std::to_string(id);
  const std::int64_t max_tokens = pr.max_tokens > 0 ? pr.max_tokens : opt.default_max_tokens;
  std::int64_t n = max_tokens;
  if (!pr.ignore_eos && opt.output_tokens > 0) n = std::min(n, opt.output_tokens);
  const std::string_view finish = n < max_tokens ? "stop" : "length";
  const Duration ttft = from_ms(opt.ttft_ms);
  const Duration itl = from_ms(opt.itl_ms);
  net::steady_timer timer(co_await net::this_coro::executor);
  error_code ec;

  if (!pr.stream) {
    timer.expires_at(arrived + ttft + itl * (n - 1));
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    std::string text;
    append_tokens(text, id, 0, n);
    co_return co_await send(stream, http::status::ok,
                            full_response(chat, id_text, opt.model, text, finish, pr.prompt_tokens, n), keep);
  }

  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::server, "inferbench-sim");
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(keep);
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  co_await http::async_write_header(stream, serializer, redirect_error(use_awaitable, ec));
  if (ec) co_return false;

  const bool record = opt.record_emissions;
  Emissions emissions;
  const auto per_chunk = static_cast<std::int64_t>(std::max(1, opt.tokens_per_chunk));
  const std::int64_t total_chunks = (n + per_chunk - 1) / per_chunk;
  std::string out;
  out.reserve(1024);
  std::int64_t emitted = 0;
  for (std::int64_t chunk = 0; chunk < total_chunks; ++chunk) {
    const std::int64_t tokens = std::min(per_chunk, n - emitted);
    // Absolute due times: a late chunk does not delay the ones after it.
    timer.expires_at(arrived + ttft + itl * (emitted + tokens - 1));
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    if (fault == Fault::ResetMidStream && chunk == total_chunks / 2) co_return false;
    out.clear();
    if (chunk == 0 && chat) append_role_event(out, id_text, opt.model);
    std::string text;
    append_tokens(text, id, emitted, tokens);
    emitted += tokens;
    const bool last = emitted == n;
    append_chunk_event(out, chat, id_text, opt.model, text, last ? finish : "");
    if (fault == Fault::MalformedChunk && chunk == total_chunks / 2) out += "data: {\"choices\":[{\"te\n\n";
    if (fault == Fault::ErrorEvent && chunk == 0) {
      out += "data: " + error_body("injected error event", "InternalServerError", 500) + "\n\ndata: [DONE]\n\n";
    }
    if (last && pr.include_usage) append_usage_event(out, chat, id_text, opt.model, pr.prompt_tokens, n);
    if (last) out += "data: [DONE]\n\n";
    if (record) emissions.chunk_times.push_back(Clock::now());
    co_await net::async_write(stream, http::make_chunk(net::buffer(out)), redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    if (fault == Fault::ErrorEvent) break;
    if (fault == Fault::Stall && chunk == 0) {
      timer.expires_after(std::chrono::hours(1));  // until the client gives up or the server stops
      co_await timer.async_wait(redirect_error(use_awaitable, ec));
      co_return false;
    }
  }
  co_await net::async_write(stream, http::make_chunk_last(), redirect_error(use_awaitable, ec));
  if (record) {
    std::lock_guard lock(owner.emissions_mutex_);
    owner.emissions_[std::string(req["x-request-id"])] = std::move(emissions);
  }
  co_return !ec;
}

SimServer::SimServer(SimOptions options) : options_(std::move(options)) {
  for (const char c : options_.model) {
    require(c > 0x20 && c < 0x7f && c != '"' && c != '\\',
            "invalid simulator model name '" + options_.model + "': use printable ASCII without quotes");
  }
  require(options_.ttft_ms >= 0 && options_.itl_ms >= 0, "simulator latencies must be >= 0");
  require(options_.threads >= 1, "simulator threads must be >= 1");
}

SimServer::~SimServer() { stop(); }

void SimServer::start() {
  impl_ = std::make_unique<Impl>(*this, options_.threads);
  error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  require(!ec, "invalid simulator address '" + options_.host + "'");
  const tcp::endpoint endpoint(address, options_.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  require(!ec, "simulator cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
                   ec.message());
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
  std::lock_guard lock(emissions_mutex_);
  return emissions_;
}

}  // namespace inferbench::sim
