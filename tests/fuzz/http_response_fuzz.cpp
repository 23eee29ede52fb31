// libFuzzer target: http::StreamingParser (Beast's HTTP/1.1 response parser wired to a
// ResponseHandler), fed the input as a server's bytes split into reads at points taken from the
// input's first bytes. Invariants: the header comes once, before any body byte; the body bytes
// delivered never exceed the input; every read's time is the one its put() carried; when the whole
// and the split feed both complete, they agree on status and body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http/streaming_parser.hpp"

// Beast's assertions (BOOST_ENABLE_ASSERT_HANDLER, tests/fuzz/CMakeLists.txt). Beast 1.74's
// parse_chunk_header asserts `n >= 5` when it re-enters after a last chunk ("0\r\n") it has seen,
// but a last chunk that is the first chunk (an empty body) has no CRLF before it, so 3 or 4
// bytes are valid there: the code under the assertion reads "0\r\n" within them, as the release
// build (NDEBUG) does. That one passes (docs/fuzzing.md, "A false assertion of Beast 1.74");
// every other assertion aborts, as BOOST_ASSERT does.
namespace boost {
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  const std::string_view where(file);
  if (std::string_view(expr) == "n >= 5" && where.ends_with("beast/http/impl/basic_parser.ipp") &&
      std::string_view(function).find("parse_chunk_header") != std::string_view::npos) {
    return;
  }
  std::fprintf(stderr, "%s:%ld: %s: Assertion '%s' failed.\n", file, line, function, expr);
  std::abort();
}
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion '%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}
}  // namespace boost

namespace {

using inferbench::fuzz::fail;

using namespace inferbench;

class CheckingHandler final : public http::ResponseHandler {
 public:
  explicit CheckingHandler(std::size_t input_size) : input_size_(input_size) {}
  void on_sent(TimePoint) override { fail(); }  // the parser never sends
  void on_headers(int code, TimePoint t) override {
    if (headers_ || !body.empty()) fail();
    if (code < 0 || code > 999) fail();  // Beast takes any 3 digits ("020"): see docs/fuzzing.md
    if (t != now) fail();
    headers_ = true;
    status = code;
  }
  void on_body(std::string_view bytes, TimePoint t) override {
    if (!headers_) fail();
    if (t != now) fail();
    body.append(bytes);
    if (body.size() > input_size_) fail();
  }
  TimePoint deadline() const override { return TimePoint::max(); }
  bool headers() const { return headers_; }

  TimePoint now{};  // the time of the current read
  std::string body;
  int status = 0;

 private:
  std::size_t input_size_;
  bool headers_ = false;
};

struct Result {
  int status = 0;
  std::string body;
  bool done = false;
  bool error = false;
};

// Feeds `stream` in reads of the sizes in `cuts` (then the rest), keeping unparsed bytes as a
// client does, then signals the end of the stream.
Result run(std::string_view stream, std::string_view cuts) {
  CheckingHandler handler(stream.size());
  http::StreamingParser parser(handler);
  std::string pending;
  boost::system::error_code ec;
  std::size_t pos = 0;
  std::int64_t tick = 0;
  auto read = [&](std::string_view bytes) {
    pending.append(bytes);
    handler.now = TimePoint(Duration(++tick));
    while (!pending.empty() && !parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(pending.data(), pending.size()), handler.now, ec);
      if (used > pending.size()) fail();
      pending.erase(0, used);
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return false;
      if (used == 0) break;
    }
    return true;
  };
  bool ok = true;
  for (const char c : cuts) {
    if (!ok || parser.is_done()) break;
    const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(c) % 32 + 1, stream.size() - pos);
    ok = read(stream.substr(pos, n));
    pos += n;
  }
  if (ok && !parser.is_done()) ok = read(stream.substr(pos));
  if (ok && !parser.is_done() && parser.is_header_done()) {  // as the client: EOF after the header
    parser.put_eof(ec);
    ok = !ec;
  }
  if (handler.body.size() > stream.size()) fail();
  if (parser.is_done() && (!ok || !handler.headers())) fail();  // status may be 0: "000" parses
  return {handler.status, handler.body, parser.is_done(), !ok};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t ncuts = size ? static_cast<unsigned char>(input[0]) % 16 : 0;
  const std::string_view cuts = input.substr(size ? 1 : 0, std::min(ncuts, size ? size - 1 : 0));
  const std::string_view stream = input.substr(std::min(size, 1 + cuts.size()));
  const Result whole = run(stream, {});
  const Result split = run(stream, cuts);
  // Beast may see a malformed header at once in one read and keep asking for more when it comes
  // in pieces (docs/fuzzing.md), so errors are not compared; a complete response must be.
  if (whole.done && split.done && (whole.status != split.status || whole.body != split.body)) fail();
  if (whole.done != split.done && !whole.error && !split.error) fail();
  return 0;
}
