// TLS tests of the ConnectionPool against a server in this test that uses a self-signed
// certificate made by the openssl CLI at test time (scripts/setup.sh installs openssl).
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdlib>
#include <filesystem>

namespace inferbench::http {
namespace {

using namespace test;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using Kind = Outcome::Kind;

// The SSE events the server streams, one HTTP chunk each.
const std::vector<std::string> kEvents = {
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" one\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" two\"}}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" three\"},\"finish_reason\":\"length\"}]}\n\n",
    "data: [DONE]\n\n",
};

std::string all_events() {
  std::string s;
  for (const auto& e : kEvents) s += e;
  return s;
}

// A self-signed certificate for localhost and 127.0.0.1, valid for a day, in a temp dir.
class Certificate {
 public:
  Certificate() {
    std::string tmpl = (fs::temp_directory_path() / "inferbench-tls-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 1"
        " -keyout '" +
        key().string() + "' -out '" + cert().string() +
        "'"
        " > '" +
        (dir_ / "openssl.log").string() + "' 2>&1";
    status_ = std::system(cmd.c_str());
  }
  ~Certificate() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool ok() const { return status_ == 0 && fs::exists(cert()) && fs::exists(key()); }
  fs::path cert() const { return dir_ / "cert.pem"; }
  fs::path key() const { return dir_ / "key.pem"; }
  std::string log() const {
    std::string out;
    if (FILE* f = std::fopen((dir_ / "openssl.log").c_str(), "r")) {
      char buf[512];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
      std::fclose(f);
    }
    return out;
  }

 private:
  fs::path dir_;
  int status_ = -1;
};

// An HTTPS server that answers every request on a connection with a chunked SSE stream.
class TlsServer {
 public:
  explicit TlsServer(const Certificate& c)
      : ctx_(net::ssl::context::tls_server), server_([this](tcp::socket s) { return session(std::move(s)); }) {
    ctx_.use_certificate_chain_file(c.cert().string());
    ctx_.use_private_key_file(c.key().string(), net::ssl::context::pem);
  }
  std::string url() const { return server_.url("https"); }
  std::size_t accepted() const { return server_.accepted(); }
  int handshakes() const { return handshakes_.load(); }
  int requests() const { return requests_.load(); }

 private:
  net::awaitable<void> session(tcp::socket socket) {
    beast::ssl_stream<tcp::socket> stream(std::move(socket), ctx_);
    error_code ec;
    co_await stream.async_handshake(net::ssl::stream_base::server, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;  // e.g. the client rejected our certificate
    ++handshakes_;
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      co_await bhttp::async_read(stream, buffer, req, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      ++requests_;
      bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
      res.set(bhttp::field::content_type, "text/event-stream");
      res.keep_alive(req.keep_alive());
      res.chunked(true);
      bhttp::response_serializer<bhttp::empty_body> sr{res};
      co_await bhttp::async_write_header(stream, sr, net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      for (const auto& event : kEvents) {
        co_await net::async_write(stream, bhttp::make_chunk(net::buffer(event)),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;
        co_await sleep_for(std::chrono::milliseconds(2));  // separate reads, as a real stream
      }
      co_await net::async_write(stream, bhttp::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
      if (ec || !req.keep_alive()) break;
    }
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
  }

  net::ssl::context ctx_;
  std::atomic<int> handshakes_{0};
  std::atomic<int> requests_{0};
  LoopbackServer server_;  // last: its sessions use the members above
};

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cert_.ok()) << "the openssl CLI could not make a test certificate (scripts/setup.sh "
                               "installs openssl):\n"
                            << cert_.log();
    server_ = std::make_unique<TlsServer>(cert_);
    url_ = Url::parse(server_->url() + "/v1");
  }
  Request request() const {
    return make_request(url_, bhttp::verb::post, "/chat/completions", R"({"stream":true})", {});
  }

  Certificate cert_;
  std::unique_ptr<TlsServer> server_;
  Url url_;
  net::io_context ioc_;
};

TEST(TlsUrl, HttpsUrlDefaultsToPort443) {
  const Url u = Url::parse("https://localhost/v1");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.authority(), "localhost");
  EXPECT_EQ(Url::parse("https://localhost:443").authority(), "localhost");
  EXPECT_EQ(Url::parse("https://localhost:8443").port, "8443");
}

TEST_F(Tls, SelfSignedCertificateFailsVerificationByDefault) {
  ClientOptions options{url_};
  ASSERT_FALSE(options.insecure);  // verification is the default
  ConnectionPool pool(ioc_, options);
  Recorder rec;
  const Outcome out = run_exchange(ioc_, pool, request(), rec);
  ASSERT_EQ(out.kind, Kind::TlsFailed) << describe(out);
  // OpenSSL's reason for an untrusted chain, not just our "--insecure" hint.
  EXPECT_NE(out.detail.find("certificate verify failed"), std::string::npos) << out.detail;
  EXPECT_NE(out.detail.find("--insecure"), std::string::npos) << out.detail;
  EXPECT_EQ(rec.sent, 0);
  EXPECT_EQ(rec.headers, 0);
  EXPECT_EQ(server_->handshakes(), 0);
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(Tls, InsecureStreamsTheChunkedBodyAndKeepsTheConnection) {
  ClientOptions options{url_};
  options.insecure = true;
  ConnectionPool pool(ioc_, options);
  const Request req = request();
  EXPECT_EQ(req.target(), "/v1/chat/completions");
  for (int i = 0; i < 2; ++i) {
    Recorder rec;
    const Outcome out = run_exchange(ioc_, pool, req, rec);
    ASSERT_EQ(out.kind, Kind::Complete) << "exchange " << i << ": " << describe(out);
    EXPECT_EQ(rec.status, 200);
    EXPECT_EQ(rec.body, all_events());  // every event, chunk framing removed
    EXPECT_GE(rec.body_calls, 2) << "the body should arrive in pieces, as streamed";
  }
  EXPECT_EQ(pool.connections_opened(), 1u);
  EXPECT_EQ(server_->accepted(), 1u);
  EXPECT_EQ(server_->handshakes(), 1);
  EXPECT_EQ(server_->requests(), 2);
}

TEST_F(Tls, ConnectionCloseOverTlsEndsCleanly) {
  ClientOptions options{url_};
  options.insecure = true;
  ConnectionPool pool(ioc_, options);
  Request req = request();
  req.keep_alive(false);
  for (int i = 0; i < 2; ++i) {
    Recorder rec;
    const Outcome out = run_exchange(ioc_, pool, req, rec);
    ASSERT_EQ(out.kind, Kind::Complete) << "exchange " << i << ": " << describe(out);
    EXPECT_EQ(rec.body, all_events());
  }
  EXPECT_EQ(pool.connections_opened(), 2u);
  EXPECT_EQ(server_->handshakes(), 2);
}

}  // namespace
}  // namespace inferbench::http
