// Plain-HTTP tests of the ConnectionPool: against the simulator (inferbench::sim) and against
// small servers written here that misbehave on purpose.
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <sstream>

#include "sim/server.hpp"

namespace inferbench::http {
namespace {

using namespace std::chrono_literals;
using namespace test;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Kind = Outcome::Kind;

constexpr const char* kChatBody =
    R"({"model":"inferbench-sim","messages":[{"role":"user","content":"hello world again"}],)"
    R"("max_tokens":5,"stream":true})";

Request chat_request(const Url& url, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return make_request(url, bhttp::verb::post, "/v1/chat/completions", kChatBody, headers);
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

class SimClient : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimOptions o;
    o.port = 0;
    o.ttft_ms = 2;
    o.itl_ms = 1;
    server_ = std::make_unique<sim::SimServer>(o);
    server_->start();
    url_ = Url::parse("http://127.0.0.1:" + std::to_string(server_->port()));
  }
  void TearDown() override { server_->stop(); }

  std::unique_ptr<sim::SimServer> server_;
  Url url_;
  net::io_context ioc_;
};

TEST(MakeRequest, SetsHostPathPrefixAndLength) {
  const Url url = Url::parse("http://[::1]:8080/prefix");
  const Request req = make_request(url, bhttp::verb::post, "/v1/completions", "{}", {{"authorization", "Bearer k"}});
  EXPECT_EQ(req.target(), "/prefix/v1/completions");
  EXPECT_EQ(req[bhttp::field::host], "[::1]:8080");
  EXPECT_EQ(req[bhttp::field::content_type], "application/json");
  EXPECT_EQ(req[bhttp::field::content_length], "2");
  EXPECT_EQ(req["authorization"], "Bearer k");
  EXPECT_EQ(req[bhttp::field::accept_encoding], "identity");  // no compression is decoded
  EXPECT_TRUE(req.keep_alive());
}

std::string serialized(const Request& request) {
  std::ostringstream out;
  out << request;
  return std::move(out).str();
}

std::string joined(const std::array<net::const_buffer, 3>& buffers) {
  std::string out;
  for (const auto& b : buffers) out.append(static_cast<const char*>(b.data()), b.size());
  return out;
}

TEST(WireRequest, IsBeastsSerializationWithTheFieldsAtTheHeadersEnd) {
  const Url url = Url::parse("http://127.0.0.1:8000");
  const Request chat = chat_request(url, {{"authorization", "Bearer k"}});
  // A body that holds what ends a header: the split is where Beast ended it, not a search.
  const Request tricky = make_request(url, bhttp::verb::post, "/x", "a\r\n\r\nb: c\r\n", {});
  for (const Request& request : {chat, tricky}) {
    const WireRequest wire(request);
    EXPECT_EQ(joined(wire.buffers("")), serialized(request));
    Request with_id = request;
    with_id.set("x-request-id", "42");  // Beast appends a new field after the others
    EXPECT_EQ(joined(wire.buffers("x-request-id: 42\r\n")), serialized(with_id));
  }
}

TEST(WireRequest, TheServerReadsTheAddedFieldsAsHeadersOfThatRequest) {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> seen;  // x-request-id, body
  LoopbackServer server([&](tcp::socket socket) -> net::awaitable<void> {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      error_code ec;
      co_await bhttp::async_read(socket, buffer, req, net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      {
        const std::lock_guard lock(mutex);
        seen.emplace_back(std::string(req["x-request-id"]), req.body());
      }
      const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      co_await net::async_write(socket, net::buffer(answer), net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
    }
  });
  net::io_context ioc;
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  const WireRequest wire(chat_request(url));
  std::vector<Outcome> outs;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        // One connection, kept alive: each request's field reaches the server with it.
        for (const std::string_view field : {"x-request-id: 1\r\n", "x-request-id: 2\r\n"}) {
          Recorder rec;
          outs.push_back(co_await pool.exchange(wire, rec, field));
          EXPECT_EQ(rec.body, "ok");
        }
      },
      rethrow);
  ioc.run();
  ASSERT_EQ(outs.size(), 2u);
  for (const auto& out : outs) EXPECT_EQ(out.kind, Kind::Complete) << describe(out);
  EXPECT_EQ(pool.connections_opened(), 1u);
  const std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("1"), std::string(kChatBody)));
  EXPECT_EQ(seen[1], std::make_pair(std::string("2"), std::string(kChatBody)));
}

TEST_F(SimClient, StreamsAWholeChunkedResponse) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  Recorder rec;
  const Outcome out = run_exchange(ioc_, pool, chat_request(url_), rec);
  ASSERT_EQ(out.kind, Kind::Complete) << describe(out);
  EXPECT_TRUE(out.detail.empty());
  EXPECT_EQ(rec.sent, 1);
  EXPECT_EQ(rec.headers, 1);
  EXPECT_EQ(rec.status, 200);
  // Chunk framing is removed: the body is exactly the SSE events (role, 5 tokens, [DONE]).
  EXPECT_EQ(rec.body.rfind("data: ", 0), 0u) << rec.body;
  EXPECT_EQ(count(rec.body, "data: "), 7u) << rec.body;
  EXPECT_EQ(count(rec.body, "\r\n"), 0u) << "chunk framing leaked into the body: " << rec.body;
  EXPECT_TRUE(rec.body.ends_with("data: [DONE]\n\n")) << rec.body;
}

TEST_F(SimClient, KeepAliveReusesOneConnection) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  const Request req = chat_request(url_);
  for (int i = 0; i < 2; ++i) {
    Recorder rec;
    const Outcome out = run_exchange(ioc_, pool, req, rec);
    ASSERT_EQ(out.kind, Kind::Complete) << "exchange " << i << ": " << describe(out);
    EXPECT_EQ(rec.status, 200);
    EXPECT_TRUE(rec.body.ends_with("data: [DONE]\n\n")) << rec.body;
  }
  EXPECT_EQ(pool.connections_opened(), 1u);
  EXPECT_EQ(server_->requests_served(), 2u);
}

TEST_F(SimClient, ConnectionCloseIsNotReused) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  Request req = chat_request(url_);
  req.keep_alive(false);  // the server answers "Connection: close" and closes
  for (int i = 0; i < 2; ++i) {
    Recorder rec;
    const Outcome out = run_exchange(ioc_, pool, req, rec);
    ASSERT_EQ(out.kind, Kind::Complete) << "exchange " << i << ": " << describe(out);
  }
  EXPECT_EQ(pool.connections_opened(), 2u);
}

TEST_F(SimClient, ErrorStatusIsACompleteExchange) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  Recorder rec;
  const Outcome out = run_exchange(ioc_, pool, chat_request(url_, {{"x-inferbench-fault", "http_429"}}), rec);
  ASSERT_EQ(out.kind, Kind::Complete) << describe(out);
  EXPECT_EQ(rec.status, 429);
  EXPECT_NE(rec.body.find("RateLimitError"), std::string::npos) << rec.body;
}

TEST_F(SimClient, StreamCutMidWayIsResetMidBody) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  Recorder rec;
  const Outcome out = run_exchange(ioc_, pool, chat_request(url_, {{"x-inferbench-fault", "reset_mid_stream"}}), rec);
  ASSERT_EQ(out.kind, Kind::ResetMidBody) << describe(out);
  EXPECT_EQ(rec.status, 200);
  EXPECT_GT(count(rec.body, "data: "), 0u);                           // some chunks arrived ...
  EXPECT_EQ(rec.body.find("[DONE]"), std::string::npos) << rec.body;  // ... not the end
  EXPECT_EQ(pool.connections_opened(), 1u);
}

TEST_F(SimClient, ServerClosingBeforeAResponseOnAFreshConnectionIsNotRetried) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  Recorder rec;
  const Outcome out =
      run_exchange(ioc_, pool, chat_request(url_, {{"x-inferbench-fault", "close_before_response"}}), rec);
  ASSERT_EQ(out.kind, Kind::ClosedBeforeResponse) << describe(out);
  EXPECT_EQ(rec.headers, 0);
  EXPECT_EQ(pool.connections_opened(), 1u);  // the retry is only for reused connections
  EXPECT_EQ(server_->requests_served(), 1u);
}

TEST_F(SimClient, DeadlineInThePastTimesOut) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  Recorder rec(Clock::now() - 1s);
  const auto start = Clock::now();
  const Outcome out = run_exchange(ioc_, pool, chat_request(url_), rec);
  ASSERT_EQ(out.kind, Kind::Timeout) << describe(out);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(rec.headers, 0);
}

TEST_F(SimClient, ExpiredDeadlineIsATimeoutEvenWhenTheAnswerIsInstant) {
  // On a warm keep-alive connection /health answers within microseconds, before the
  // stream's timer handler would close the socket: the deadline must win all the same.
  ConnectionPool pool(ioc_, ClientOptions{url_});
  const Request health = make_request(url_, bhttp::verb::get, "/health", "", {});
  for (int i = 0; i < 20; ++i) {
    Recorder warm;
    const Outcome w = run_exchange(ioc_, pool, health, warm);
    ASSERT_EQ(w.kind, Kind::Complete) << describe(w);
    Recorder late(Clock::now() - 1ms);
    const Outcome out = run_exchange(ioc_, pool, health, late);
    ASSERT_EQ(out.kind, Kind::Timeout) << "try " << i << ": " << describe(out);
    EXPECT_EQ(late.headers, 0) << "try " << i;
  }
}

TEST(Client, DeadlineHoldsAgainstAServerThatNeverPauses) {
  // A server streaming without pause (bytes always waiting in the socket) must not be able
  // to run past the request's deadline.
  LoopbackServer server([](tcp::socket socket) -> net::awaitable<void> {
    if (!co_await read_request(socket)) co_return;
    error_code ec;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    co_await net::async_write(socket, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
    const std::string event = "data: {\"choices\":[{\"text\":\" word\"}]}\n\n";
    while (!ec) {
      co_await net::async_write(socket, bhttp::make_chunk(net::buffer(event)),
                                net::redirect_error(net::use_awaitable, ec));
    }
  });
  net::io_context ioc;
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  const auto start = Clock::now();
  Recorder rec(start + 200ms);
  const Outcome out = run_exchange(ioc, pool, make_request(url, bhttp::verb::get, "/x", "", {}), rec);
  const auto took = Clock::now() - start;
  ASSERT_EQ(out.kind, Kind::Timeout) << describe(out);
  EXPECT_GT(rec.body.size(), 10000u);  // it did stream for a while
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2s);
}

TEST_F(SimClient, ShortDeadlineAgainstAStallingStreamTimesOut) {
  ConnectionPool pool(ioc_, ClientOptions{url_});
  const auto start = Clock::now();
  Recorder rec(start + 300ms);
  // The simulator sends the first chunk, then nothing for an hour.
  const Outcome out = run_exchange(ioc_, pool, chat_request(url_, {{"x-inferbench-fault", "stall"}}), rec);
  const auto took = Clock::now() - start;
  ASSERT_EQ(out.kind, Kind::Timeout) << describe(out);
  EXPECT_EQ(rec.status, 200);
  EXPECT_EQ(count(rec.body, "data: "), 2u) << rec.body;  // role and first token, then the stall
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  // The timed-out connection is not put back: the next exchange opens a new one and completes.
  Recorder again;
  const Outcome next = run_exchange(ioc_, pool, chat_request(url_), again);
  ASSERT_EQ(next.kind, Kind::Complete) << describe(next);
  EXPECT_EQ(pool.connections_opened(), 2u);
}

TEST(Client, ConnectRefusedIsConnectFailed) {
  unsigned short port = 0;
  {
    net::io_context probe;
    tcp::acceptor a(probe, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed again: nothing listens on `port`
  net::io_context ioc;
  const Url url = Url::parse("http://127.0.0.1:" + std::to_string(port));
  ConnectionPool pool(ioc, ClientOptions{url});
  Recorder rec;
  const Outcome out = run_exchange(ioc, pool, chat_request(url), rec);
  ASSERT_EQ(out.kind, Kind::ConnectFailed) << describe(out);
  EXPECT_NE(out.detail.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << out.detail;
  EXPECT_EQ(rec.sent, 0);
  EXPECT_EQ(pool.connections_opened(), 0u);
}

TEST(Client, UnresolvableHostIsDnsFailed) {
  net::io_context ioc;
  // RFC 6761: names under .invalid never resolve.
  const Url url = Url::parse("http://nonexistent.invalid");
  ConnectionPool pool(ioc, ClientOptions{url});
  Recorder rec;
  const Outcome out = run_exchange(ioc, pool, chat_request(url), rec);
  ASSERT_EQ(out.kind, Kind::DnsFailed) << describe(out);
  EXPECT_NE(out.detail.find("nonexistent.invalid"), std::string::npos) << out.detail;
  EXPECT_EQ(rec.sent, 0);
  EXPECT_EQ(pool.connections_opened(), 0u);
}

// A keep-alive server that closes connections idle for longer than `idle`, as real servers
// (and proxies) do. Counts the requests it answered and the connections it closed.
struct IdleClosingServer {
  explicit IdleClosingServer(std::chrono::milliseconds idle)
      : idle_(idle), server([this](tcp::socket s) { return session(std::move(s)); }) {}

  net::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      stream.expires_after(idle_);
      error_code ec;
      co_await bhttp::async_read(stream, buffer, req, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      const int n = ++requests;
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.keep_alive(true);
      res.body() = "answer " + std::to_string(n);
      res.prepare_payload();
      stream.expires_never();
      co_await bhttp::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
    }
    error_code ignored;
    stream.socket().close(ignored);
    ++closed;
  }

  std::chrono::milliseconds idle_;
  std::atomic<int> requests{0};
  std::atomic<int> closed{0};
  LoopbackServer server;  // last: its sessions use the members above
};

TEST(Client, IdleConnectionClosedByTheServerIsRetriedOnce) {
  IdleClosingServer s(50ms);
  net::io_context ioc;
  const Url url = Url::parse(s.server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  const Request req = make_request(url, bhttp::verb::get, "/x", "", {});

  Recorder first;
  const Outcome a = run_exchange(ioc, pool, req, first);
  ASSERT_EQ(a.kind, Kind::Complete) << describe(a);
  EXPECT_EQ(first.body, "answer 1");
  // The pooled connection goes stale: the server closes it while it sits idle.
  ASSERT_TRUE(wait_until([&] { return s.closed.load() == 1; }));

  Recorder second;
  const Outcome b = run_exchange(ioc, pool, req, second);
  ASSERT_EQ(b.kind, Kind::Complete) << describe(b);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "answer 2");  // one whole response, nothing from the failed try
  EXPECT_EQ(second.headers, 1);
  EXPECT_EQ(pool.connections_opened(), 2u);
  EXPECT_EQ(s.server.accepted(), 2u);
  EXPECT_EQ(s.requests.load(), 2);
}

TEST(Client, RetryAfterAStaleConnectionUsesAFreshOne) {
  // Two exchanges at once leave two idle connections; the server closes both. The next
  // exchange must not spend its single retry on the other stale connection.
  IdleClosingServer s(50ms);
  net::io_context ioc;
  const Url url = Url::parse(s.server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  const Request req = make_request(url, bhttp::verb::get, "/x", "", {});
  Recorder r1, r2;
  for (const Outcome& o : run_exchanges(ioc, pool, {{&req, &r1}, {&req, &r2}})) {
    ASSERT_EQ(o.kind, Kind::Complete) << describe(o);
  }
  ASSERT_EQ(pool.connections_opened(), 2u);
  ASSERT_TRUE(wait_until([&] { return s.closed.load() == 2; }));

  Recorder r3;
  const Outcome out = run_exchange(ioc, pool, req, r3);
  ASSERT_EQ(out.kind, Kind::Complete) << describe(out);
  EXPECT_EQ(r3.body, "answer 3");
  EXPECT_EQ(pool.connections_opened(), 3u);
}

TEST(Client, ConnectionResetMidBodyIsResetMidBody) {
  // Header and 10 of 100 promised bytes, then an RST (SO_LINGER 0) once the client holds
  // the partial body, so the reset cannot overtake the bytes.
  std::atomic<bool> client_has_partial_body{false};
  LoopbackServer server([&](tcp::socket socket) -> net::awaitable<void> {
    if (!co_await read_request(socket)) co_return;
    error_code ec;
    const std::string partial = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
    co_await net::async_write(socket, net::buffer(partial), net::redirect_error(net::use_awaitable, ec));
    for (int i = 0; i < 5000 && !client_has_partial_body.load(); ++i) co_await sleep_for(2ms);
    socket.set_option(net::socket_base::linger(true, 0), ec);
    socket.close(ec);
  });
  net::io_context ioc;
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  Recorder rec;
  rec.on_body_hook = [&](const std::string& body) {
    if (body.size() == 10) client_has_partial_body = true;
  };
  const Outcome out = run_exchange(ioc, pool, make_request(url, bhttp::verb::get, "/x", "", {}), rec);
  ASSERT_EQ(out.kind, Kind::ResetMidBody) << describe(out);
  EXPECT_EQ(rec.status, 200);
  EXPECT_EQ(rec.body, "0123456789");
  EXPECT_EQ(pool.connections_opened(), 1u);  // a reset after response bytes is never retried
}

TEST(Client, GarbageIsBadHttp) {
  LoopbackServer server([](tcp::socket socket) -> net::awaitable<void> {
    if (!co_await read_request(socket)) co_return;
    error_code ec;
    const std::string junk = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
    co_await net::async_write(socket, net::buffer(junk), net::redirect_error(net::use_awaitable, ec));
    co_await sleep_for(5000ms);  // keep the connection open: the verdict must come from the bytes
  });
  net::io_context ioc;
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  Recorder rec;
  const auto start = Clock::now();
  const Outcome out = run_exchange(ioc, pool, make_request(url, bhttp::verb::get, "/x", "", {}), rec);
  ASSERT_EQ(out.kind, Kind::BadHttp) << describe(out);
  EXPECT_LT(Clock::now() - start, 4s);
  EXPECT_EQ(rec.headers, 0);
}

// Records the time the client gives each piece of the body and when the handler ran.
class TimedRecorder : public Recorder {
 public:
  struct Piece {
    std::string bytes;
    TimePoint stamped;    // the `t` the client passed
    TimePoint processed;  // Clock::now() inside on_body
  };
  void on_sent(TimePoint t) override {
    Recorder::on_sent(t);
    sent_at = t;
  }
  void on_headers(int s, TimePoint t) override {
    Recorder::on_headers(s, t);
    headers_at = t;
  }
  void on_body(std::string_view bytes, TimePoint t) override {
    pieces.push_back({std::string(bytes), t, Clock::now()});
    Recorder::on_body(bytes, t);
  }
  TimePoint sent_at{};
  TimePoint headers_at{};
  std::vector<Piece> pieces;
};

TEST(Client, ReadTimeIsWhenTheBytesArrivedNotWhenTheClientGotToThem) {
  // The server sends a chunk while the client's event loop is busy for 50 ms with other work
  // (as with a burst of reads on a loaded worker). The chunk's time must be when it reached
  // the client's socket, not when the client came round to reading it.
  net::io_context ioc;  // the client's
  std::atomic<bool> client_has_first{false};
  std::atomic<bool> client_has_second{false};
  std::atomic<bool> client_busy{false};
  std::atomic<bool> chunk_sent{false};
  std::atomic<TimePoint::rep> sent_before{0}, sent_after{0};
  const std::string first = "data: first\n\n";
  const std::string second = "data: second\n\n";
  LoopbackServer server([&](tcp::socket socket) -> net::awaitable<void> {
    if (!co_await read_request(socket)) co_return;
    error_code ec;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    co_await net::async_write(socket, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
    co_await net::async_write(socket, bhttp::make_chunk(net::buffer(first)),
                              net::redirect_error(net::use_awaitable, ec));
    for (int i = 0; i < 5000 && !client_has_first.load(); ++i) co_await sleep_for(1ms);
    co_await sleep_for(20ms);  // the client is waiting for the next chunk now
    // Make the client's loop busy, and send once it is: the block lasts until 50 ms after the send.
    net::post(ioc, [&] {
      client_busy = true;
      while (!chunk_sent.load()) std::this_thread::yield();
      std::this_thread::sleep_for(50ms);
    });
    while (!client_busy.load()) std::this_thread::yield();
    sent_before = Clock::now().time_since_epoch().count();
    co_await net::async_write(socket, bhttp::make_chunk(net::buffer(second)),
                              net::redirect_error(net::use_awaitable, ec));
    sent_after = Clock::now().time_since_epoch().count();
    chunk_sent = true;
    // The end only once the client has the chunk: bytes read together share one time (the
    // last segment's), so an end waiting in the socket with it would lend it its later time.
    for (int i = 0; i < 5000 && !client_has_second.load(); ++i) co_await sleep_for(1ms);
    co_await net::async_write(socket, bhttp::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
  });
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  TimedRecorder rec;
  rec.on_body_hook = [&](const std::string& body) {
    if (body == first) client_has_first = true;
    if (body == first + second) client_has_second = true;
  };
  const Outcome out = run_exchange(ioc, pool, make_request(url, bhttp::verb::get, "/x", "", {}), rec);
  ASSERT_EQ(out.kind, Kind::Complete) << describe(out);
  ASSERT_EQ(rec.body, first + second);
  ASSERT_EQ(rec.pieces.size(), 2u);
  const TimePoint before{Duration(sent_before.load())};
  const TimePoint after{Duration(sent_after.load())};
  const auto& p = rec.pieces[1];
  ASSERT_EQ(p.bytes, second);
  // The handler really ran late: the loop was blocked until 50 ms after the send.
  EXPECT_GE(p.processed - after, 50ms);
  // ... but the chunk is stamped with its arrival, within 2 ms of the send.
  EXPECT_GE(p.stamped, before - 2ms) << "stamped " << to_ms(before - p.stamped) << " ms before the send";
  EXPECT_LE(p.stamped, after + 2ms) << "stamped " << to_ms(p.stamped - after) << " ms after the send";
  EXPECT_LE(p.stamped, p.processed);
  // Times stay in causal order: sent, header, first chunk, second chunk.
  EXPECT_LE(rec.sent_at, rec.headers_at);
  EXPECT_LE(rec.headers_at, rec.pieces[0].stamped);
  EXPECT_LE(rec.pieces[0].stamped, p.stamped);
}

}  // namespace
}  // namespace inferbench::http
