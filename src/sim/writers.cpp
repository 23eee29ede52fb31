#include "sim/writers.hpp"

#include <array>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <sstream>
#include <vector>

#include "sim/responses.hpp"

namespace inferbench::sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using net::redirect_error;
using net::use_awaitable;

namespace {

// Formats one streamed response's SSE events, chunk by chunk, and counts the tokens sent.
class SseFormatter {
 public:
  // Both must outlive the formatter.
  SseFormatter(const Admitted& a, const WriteContext& ctx) : a_(a), ctx_(ctx) {}

  // Appends chunk k's events, carrying `tokens` tokens (`last`: the stream ends with it).
  void append_chunk(std::string& out, std::int64_t k, std::int64_t tokens, bool last) {
    const bool chat = a_.request.chat;
    if (k == 0 && chat) append_role_event(out, a_.id_text, ctx_.model);
    text_.clear();
    ctx_.words.append(text_, a_.id, emitted_, tokens);
    emitted_ += tokens;
    const Usage usage{.prompt_tokens = a_.request.prompt_tokens, .completion_tokens = emitted_};
    append_chunk_event(out, chat, a_.id_text, ctx_.model, text_, last ? a_.tokens.finish_reason() : "",
                       a_.request.continuous_usage ? &usage : nullptr);
  }
  // Appends the usage event (when the request asked for it) and [DONE].
  void append_end(std::string& out) const {
    if (a_.request.include_usage) {
      append_usage_event(out, a_.request.chat, a_.id_text, ctx_.model, a_.request.prompt_tokens, emitted_,
                         a_.tokens.cached_tokens());
    }
    out += "data: [DONE]\n\n";
  }
  // Tokens in the chunks appended so far.
  std::int64_t emitted() const { return emitted_; }

 private:
  const Admitted& a_;
  const WriteContext& ctx_;
  std::string text_;  // reused for every chunk
  std::int64_t emitted_ = 0;
};

// Appends what `fault` injects into chunk k of a stream of `chunks` (nothing, for most chunks).
void inject_into_chunk(std::string& out, Fault fault, std::int64_t k, std::int64_t chunks) {
  if (fault == Fault::MalformedChunk && k == chunks / 2) out += "data: {\"choices\":[{\"te\n\n";
  if (fault == Fault::ErrorEvent && k == 0) {
    out += "data: " + stream_error_body("injected error event", "InternalServerError", 500) + "\n\ndata: [DONE]\n\n";
  }
}

// The stall fault, after the first chunk: frees the engine's request, then writes nothing more
// until the client gives up (at most an hour) or the server stops. It reads while it waits, so
// a client that closes is noticed and the connection freed (a timer alone kept every stalled
// socket open for the hour). The connection is not reused.
net::awaitable<bool> stall(beast::tcp_stream& stream, TokenSource& tokens) {
  tokens.abandon();
  stream.expires_after(std::chrono::hours(1));
  std::array<char, 512> ignored{};
  error_code ec;
  while (!ec) co_await stream.async_read_some(net::buffer(ignored), redirect_error(use_awaitable, ec));
  co_return false;
}

// The SSE response header (chunked transfer encoding), serialized once by Beast.
const std::string& sse_header(bool keep_alive) {
  static const auto serialize = [](bool keep) {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::server, "inferbench-sim");
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(keep);
    res.chunked(true);
    std::ostringstream out;
    out << res.base();
    return out.str();
  };
  static const std::string kept = serialize(true), closing = serialize(false);
  return keep_alive ? kept : closing;
}

}  // namespace

net::awaitable<bool> send(beast::tcp_stream& stream, http::status status, std::string body, bool keep_alive,
                          std::string_view content_type) {
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

net::awaitable<bool> write_full(beast::tcp_stream& stream, Admitted& a, bool keep_alive, const WriteContext& ctx) {
  net::steady_timer timer(co_await net::this_coro::executor);
  std::int64_t emitted = 0;
  Emission em;
  while (co_await a.tokens.next(em)) {
    emitted += em.tokens;
    timer.expires_at(em.due);
  }
  error_code ec;
  co_await timer.async_wait(redirect_error(use_awaitable, ec));
  std::string text;
  ctx.words.append(text, a.id, 0, emitted);
  a.tokens.observe_finished(ctx.metrics, Clock::now());
  co_return co_await send(stream, http::status::ok,
                          full_response(a.request.chat, a.id_text, ctx.model, text, a.tokens.finish_reason(),
                                        a.request.prompt_tokens, emitted, a.tokens.cached_tokens()),
                          keep_alive);
}

bool emitter_can_write(const Admitted& a) {
  const std::vector<Emission>* plan = a.tokens.plan();
  return plan != nullptr && a.fault == Fault::None && !plan->empty();
}

net::awaitable<bool> write_emitted(beast::tcp_stream& stream, Admitted& a, bool keep_alive, std::string_view request_id,
                                   const WriteContext& ctx) {
  const std::vector<Emission>& plan = *a.tokens.plan();
  SseFormatter sse(a, ctx);
  StreamEmitter::Stream s(stream.socket(), co_await net::this_coro::executor);
  s.head = sse_header(keep_alive);
  s.due.reserve(plan.size());
  for (const Emission& e : plan) s.due.push_back(e.due);
  s.record_times = ctx.log.enabled();
  s.format = [&](std::string& out, std::size_t k) {
    const bool last = k + 1 == plan.size();
    sse.append_chunk(out, static_cast<std::int64_t>(k), plan[k].tokens, last);
    if (last) sse.append_end(out);
  };
  co_await ctx.emitter.run(s);
  if (s.error) co_return false;
  a.tokens.observe_finished(ctx.metrics, Clock::now());
  if (s.record_times) {
    Emissions trace;
    trace.received = a.arrived;
    trace.chunk_times = std::move(s.sent);
    for (const Emission& e : plan) trace.chunk_tokens.push_back(static_cast<std::uint32_t>(e.tokens));
    ctx.log.record(request_id, std::move(trace));
  }
  co_return true;
}

net::awaitable<bool> write_chunked(beast::tcp_stream& stream, Admitted& a, bool keep_alive, std::string_view request_id,
                                   const WriteContext& ctx) {
  error_code ec;
  co_await net::async_write(stream, net::buffer(sse_header(keep_alive)), redirect_error(use_awaitable, ec));
  if (ec) {
    a.tokens.abandon();
    co_return false;
  }
  net::steady_timer timer(co_await net::this_coro::executor);
  const std::int64_t chunks = a.length.chunks();
  const bool tracing = ctx.log.enabled();
  Emissions trace;  // when each chunk went out (if tracing)
  trace.received = a.arrived;
  SseFormatter sse(a, ctx);
  std::string out;  // reused for every chunk
  out.reserve(1024);
  std::int64_t chunk = 0;
  Emission em;
  while (co_await a.tokens.next(em)) {
    // Absolute due times: a late chunk does not delay the ones after it.
    timer.expires_at(em.due);
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    if (a.fault == Fault::ResetMidStream && chunk == chunks / 2) {
      a.tokens.abandon();
      co_return false;
    }
    out.clear();
    const bool last = a.tokens.is_last(sse.emitted() + em.tokens);
    sse.append_chunk(out, chunk, em.tokens, last);
    inject_into_chunk(out, a.fault, chunk, chunks);
    if (last) sse.append_end(out);
    if (tracing) {
      trace.chunk_times.push_back(Clock::now());
      trace.chunk_tokens.push_back(static_cast<std::uint32_t>(em.tokens));
    }
    co_await net::async_write(stream, http::make_chunk(net::buffer(out)), redirect_error(use_awaitable, ec));
    ++chunk;
    if (ec || a.fault == Fault::ErrorEvent) {
      a.tokens.abandon();
      if (ec) co_return false;
      break;
    }
    if (a.fault == Fault::Stall && chunk == 1) co_return co_await stall(stream, a.tokens);
  }
  co_await net::async_write(stream, http::make_chunk_last(), redirect_error(use_awaitable, ec));
  a.tokens.observe_finished(ctx.metrics, Clock::now());
  if (tracing) ctx.log.record(request_id, std::move(trace));
  co_return !ec;
}

}  // namespace inferbench::sim
