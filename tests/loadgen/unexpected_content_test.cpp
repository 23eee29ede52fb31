// A 2xx answer that is not what the request asked for (an HTML page from a proxy, a JSON body to
// a streaming request, a compressed body) is labelled by what arrived, over real loopback HTTP:
// the label is unexpected_content (or response_error for an error object) and the detail names
// the content type or encoding the server sent.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <mutex>

#include "../http/test_support.hpp"
#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "report/failure_label.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::loadgen {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using http::test::tcp;

// A 200 with the given header fields (each ending in CRLF) and body; the connection then closes.
std::string ok_response(std::string_view fields, std::string_view body) {
  return fmt::format("HTTP/1.1 200 OK\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n{}", fields, body.size(),
                     body);
}

// Answers every request with one canned response and remembers the request's Accept-Encoding.
class CannedServer {
 public:
  explicit CannedServer(std::string response)
      : response_(std::move(response)), server_([this](tcp::socket s) { return session(std::move(s)); }) {}

  std::string url() const { return server_.url(); }
  std::string accept_encoding() const {
    const std::lock_guard lock(mutex_);
    return accept_encoding_;
  }

 private:
  net::awaitable<void> session(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    boost::system::error_code ec;
    co_await bhttp::async_read(socket, buffer, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    {
      const std::lock_guard lock(mutex_);
      accept_encoding_ = std::string(req[bhttp::field::accept_encoding]);
    }
    co_await net::async_write(socket, net::buffer(response_), net::redirect_error(net::use_awaitable, ec));
    socket.close(ec);
  }

  std::string response_;
  mutable std::mutex mutex_;
  std::string accept_encoding_;
  http::test::LoopbackServer server_;  // last: its sessions use the members above
};

// One request through the HTTP target, streaming or not; its record.
metrics::RequestRecord one_request(const CannedServer& server, bool stream = true) {
  HttpTargetOptions target;
  target.client.url = http::Url::parse(server.url());
  target.model = "m";
  target.stream = stream;
  target.first_token_timeout = std::chrono::seconds(5);
  target.request_timeout = std::chrono::seconds(5);
  const auto specs = workload::make_word_prompts(1, 4, 4, 1);
  LoadPlan plan;
  plan.load = {metrics::LoadSpec::Mode::Closed, 1, 0.0, "", 1.0};
  plan.num_requests = 1;
  LoadResult result = run_load(HttpTargets(target, specs), specs, plan, {});
  if (result.records.size() != 1) throw std::logic_error("expected one record");
  return std::move(result.records.front());
}

const std::string kHtml = "<!DOCTYPE html>\n<html><body>Welcome to nginx!</body></html>\n";
const std::string kSse = "data: {\"choices\":[{\"index\":0,\"text\":\" hi\"}]}\n\ndata: [DONE]\n\n";

TEST(UnexpectedContent, HtmlPageToAStreamingRequestNamesTheTypeAndTheFirstBytes) {
  const CannedServer server(ok_response("Content-Type: text/html; charset=iso-8859-1\r\n", kHtml));
  const auto r = one_request(server);
  EXPECT_EQ(report::failure_label(r), "unexpected_content") << r.error_detail;
  EXPECT_EQ(r.error_detail,
            "expected text/event-stream, got text/html; charset=iso-8859-1 (first bytes: <!DOCTYPE html> <html><body>"
            "Welcome to nginx!</body></html>)");
}

TEST(UnexpectedContent, HtmlPageToANonStreamedRequestNamesTheType) {
  const CannedServer server(ok_response("Content-Type: text/html\r\n", kHtml));
  const auto r = one_request(server, false);
  EXPECT_EQ(report::failure_label(r), "unexpected_content") << r.error_detail;
  EXPECT_EQ(r.error_detail.rfind("expected application/json, got text/html (first bytes: <!DOCTYPE html>", 0), 0u)
      << r.error_detail;
}

TEST(UnexpectedContent, JsonErrorObjectToAStreamingRequestIsTheServersError) {
  const CannedServer server(ok_response(
      "Content-Type: application/json\r\n",
      R"({"error":{"message":"The model `m` is still loading","type":"ServiceUnavailableError","code":503}})"));
  const auto r = one_request(server);
  EXPECT_EQ(report::failure_label(r), "response_error") << r.error_detail;
  EXPECT_EQ(r.error_detail, "error in the response: The model `m` is still loading");
}

TEST(UnexpectedContent, WholeJsonAnswerToAStreamingRequestSaysTheStreamWasIgnored) {
  const CannedServer server(ok_response(
      "Content-Type: application/json\r\n",
      R"({"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" hi there","finish_reason":"length"}],)"
      R"("usage":{"prompt_tokens":4,"completion_tokens":4,"total_tokens":8}})"));
  const auto r = one_request(server);
  EXPECT_EQ(report::failure_label(r), "unexpected_content") << r.error_detail;
  EXPECT_EQ(r.error_detail,
            "expected text/event-stream, got application/json: a whole answer, not a stream (the server or a proxy "
            "ignored \"stream\": true; --no-stream measures whole answers)");
  EXPECT_TRUE(r.chunks.empty());  // no made-up first token: the answer's timing is not a stream's
}

TEST(UnexpectedContent, GzipBodyNamesTheEncoding) {
  const std::string gzip_bytes("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00", 17);
  const CannedServer server(ok_response("Content-Type: text/event-stream\r\nContent-Encoding: gzip\r\n", gzip_bytes));
  const auto r = one_request(server);
  EXPECT_EQ(report::failure_label(r), "unexpected_content") << r.error_detail;
  EXPECT_EQ(r.error_detail, "Content-Encoding gzip is not supported (inferbench asks for identity)");
  EXPECT_EQ(server.accept_encoding(), "identity");  // and the request said so
}

TEST(UnexpectedContent, EventStreamWithParametersOrWithoutAContentTypeIsRead) {
  for (const std::string fields : {"Content-Type: Text/Event-Stream; charset=utf-8\r\n", ""}) {
    const CannedServer server(ok_response(fields, kSse));
    const auto r = one_request(server);
    EXPECT_TRUE(r.ok()) << "'" << fields << "': " << report::failure_label(r) << ": " << r.error_detail;
    EXPECT_EQ(r.chunks.size(), 1u) << fields;
    EXPECT_EQ(server.accept_encoding(), "identity");
  }
}

}  // namespace
}  // namespace inferbench::loadgen
