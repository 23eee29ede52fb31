// Keep-alive connections must never hand one request's answer to another: interim 1xx responses
// (100 Continue, 103 Early Hints) are skipped, and a connection that holds bytes no request asked
// for (after a Content-Length body, after the last chunk, or arriving while it sat idle) is
// closed instead of reused. Each server here numbers its answers across connections, so an
// answer read by the wrong request shows as the wrong number.
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/write.hpp>

namespace inferbench::http {
namespace {

using namespace std::chrono_literals;
using namespace test;
namespace bhttp = boost::beast::http;
using Kind = Outcome::Kind;

// Writes `bytes` to the client; false when the client is gone.
net::awaitable<bool> send(tcp::socket& socket, const std::string& bytes) {
  error_code ec;
  co_await net::async_write(socket, net::buffer(bytes), net::redirect_error(net::use_awaitable, ec));
  co_return !ec;
}

// "answer <n>" as a whole response: an SSE stream (chunked) or a Content-Length body.
std::string final_response(int n, bool streamed) {
  if (!streamed) return fmt::format("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nanswer {}", n);
  const std::string event = fmt::format("data: answer {}\n\n", n);
  return fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}"
      "\r\n0\r\n\r\n",
      event.size(), event);
}

std::string expected_body(int n, bool streamed) {
  return streamed ? fmt::format("data: answer {}\n\n", n) : fmt::format("answer {}", n);
}

// How the in-test server sends its interim responses before the final one.
struct InterimCase {
  bool streamed;      // the final response is an SSE stream (else a Content-Length body)
  bool pause_before;  // the final response comes 20 ms after the interim ones (a read of its own)
};

class InterimResponses : public ::testing::TestWithParam<InterimCase> {};

TEST_P(InterimResponses, AreSkippedAndEachRequestGetsItsOwnAnswer) {
  const InterimCase c = GetParam();
  std::atomic<int> answers{0};
  LoopbackServer server([&](tcp::socket socket) -> net::awaitable<void> {
    while (co_await read_request(socket)) {
      const std::string interim =
          "HTTP/1.1 100 Continue\r\n\r\n"
          "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
      const std::string answer = final_response(++answers, c.streamed);
      if (c.pause_before) {
        if (!co_await send(socket, interim)) co_return;
        co_await sleep_for(20ms);
        if (!co_await send(socket, answer)) co_return;
      } else if (!co_await send(socket, interim + answer)) {
        co_return;
      }
    }
  });
  net::io_context ioc;
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  const Request req = make_request(url, bhttp::verb::get, "/x", "", {});
  for (int i = 1; i <= 3; ++i) {
    Recorder rec;
    const Outcome out = run_exchange(ioc, pool, req, rec);
    ASSERT_EQ(out.kind, Kind::Complete) << "request " << i << ": " << describe(out);
    EXPECT_EQ(rec.headers, 1) << "request " << i << ": only the final response's header is reported";
    EXPECT_EQ(rec.status, 200) << "request " << i;
    EXPECT_EQ(rec.body, expected_body(i, c.streamed)) << "request " << i;
  }
  EXPECT_EQ(pool.connections_opened(), 1u);  // interim responses do not cost the connection
}

INSTANTIATE_TEST_SUITE_P(KeepAlive, InterimResponses,
                         ::testing::Values(InterimCase{false, false}, InterimCase{false, true},
                                           InterimCase{true, false}, InterimCase{true, true}),
                         [](const ::testing::TestParamInfo<InterimCase>& param_info) {
                           return std::string(param_info.param.streamed ? "Streamed" : "ContentLength") +
                                  (param_info.param.pause_before ? "SeparateReads" : "OneRead");
                         });

// After each answer the server sends a whole extra response nobody asked for ("bogus!!!"): if
// the client kept the connection, the next request would take it as its answer.
class TrailingBytes : public ::testing::TestWithParam<bool> {};  // the answer is streamed (chunked)

TEST_P(TrailingBytes, CloseTheConnectionAndTheNextRequestGetsItsOwnAnswer) {
  const bool streamed = GetParam();
  std::atomic<int> answers{0};
  LoopbackServer server([&](tcp::socket socket) -> net::awaitable<void> {
    while (co_await read_request(socket)) {
      const std::string bogus = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nbogus!!!";
      if (!co_await send(socket, final_response(++answers, streamed) + bogus)) co_return;
    }
  });
  net::io_context ioc;
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  const Request req = make_request(url, bhttp::verb::get, "/x", "", {});
  for (int i = 1; i <= 3; ++i) {
    Recorder rec;
    const Outcome out = run_exchange(ioc, pool, req, rec);
    ASSERT_EQ(out.kind, Kind::Complete) << "request " << i << ": " << describe(out);
    EXPECT_EQ(rec.status, 200) << "request " << i;
    EXPECT_EQ(rec.body, expected_body(i, streamed)) << "request " << i;
  }
  EXPECT_EQ(pool.connections_opened(), 3u);  // none of them was reusable
}

INSTANTIATE_TEST_SUITE_P(KeepAlive, TrailingBytes, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return std::string(param_info.param ? "AfterTheLastChunk" : "AfterAContentLengthBody");
                         });

TEST(KeepAlive, BytesArrivingOnAnIdleConnectionRetireIt) {
  // The extra response comes 20 ms after the answer, while the connection sits in the pool.
  std::atomic<int> answers{0};
  std::atomic<int> bogus_sent{0};
  LoopbackServer server([&](tcp::socket socket) -> net::awaitable<void> {
    while (co_await read_request(socket)) {
      if (!co_await send(socket, final_response(++answers, false))) co_return;
      co_await sleep_for(20ms);
      if (!co_await send(socket, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nbogus!!!")) co_return;
      ++bogus_sent;
    }
  });
  net::io_context ioc;
  const Url url = Url::parse(server.url());
  ConnectionPool pool(ioc, ClientOptions{url});
  const Request req = make_request(url, bhttp::verb::get, "/x", "", {});
  for (int i = 1; i <= 3; ++i) {
    Recorder rec;
    const Outcome out = run_exchange(ioc, pool, req, rec);
    ASSERT_EQ(out.kind, Kind::Complete) << "request " << i << ": " << describe(out);
    EXPECT_EQ(rec.body, expected_body(i, false)) << "request " << i;
    ASSERT_TRUE(wait_until([&] { return bogus_sent.load() == i; }));
    std::this_thread::sleep_for(20ms);  // the bytes are in the client's socket now
  }
  EXPECT_EQ(pool.connections_opened(), 3u);
}

}  // namespace
}  // namespace inferbench::http
