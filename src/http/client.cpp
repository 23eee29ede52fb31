#include "http/client.hpp"
#include "http/streaming_parser.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "core/version.hpp"

namespace inferbench::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using net::redirect_error;
using net::use_awaitable;
using tcp = net::ip::tcp;

namespace {

// ---- Plain TCP: reads stamped with the kernel's receive time ------------------------------
//
// A read's time should be when its bytes reached the socket, not when this thread came round
// to reading them: under load (a burst of chunks on many connections) the last read of a burst
// runs milliseconds after its bytes arrived. For plain TCP the kernel's software receive
// timestamp (SO_TIMESTAMPNS) gives that time. TLS reads go through OpenSSL and keep the time
// taken after the read.

// Turns on the software receive timestamp. Without it (refused) reads are stamped "now".
void enable_receive_timestamps(tcp::socket& socket) {
  const int on = 1;
  (void)::setsockopt(socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

// A kernel timestamp older than this at the time of the read is not trusted (the wall clock
// may have been stepped between the bytes' arrival and the read); the read is stamped "now".
constexpr std::chrono::seconds kMaxReceiveAge{1};

struct StampedRead {
  std::size_t n = 0;
  bool would_block = false;
  error_code ec;        // eof for an orderly close
  TimePoint arrived{};  // the bytes' receive time on Clock (see stamped_read)
  TimePoint now{};      // Clock::now() right after the read
};

// One non-blocking recvmsg into `into`. For TCP the kernel reports, for the bytes of one
// recvmsg, the receive timestamp of the last segment (skb) the read consumed (tcp_recvmsg
// overwrites it per skb; segments coalesced in the receive queue keep the later time), so
// several chunks read together get one time, the last one's, as when one read took them.
StampedRead stamped_read(int fd, net::mutable_buffer into) {
  StampedRead r;
  iovec iov{into.data(), into.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) * 2];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got = 0;
  do {
    got = ::recvmsg(fd, &msg, MSG_DONTWAIT);
  } while (got < 0 && errno == EINTR);
  const int err = got < 0 ? errno : 0;
  r.now = Clock::now();
  r.arrived = r.now;
  if (got < 0) {
    if (err == EAGAIN || err == EWOULDBLOCK) {
      r.would_block = true;
    } else {
      r.ec = error_code(err, net::error::get_system_category());
    }
    return r;
  }
  r.n = static_cast<std::size_t>(got);
  if (got == 0) {
    r.ec = net::error::eof;
    return r;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec ts{};
    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
    // Never later than now; implausibly old: now.
    if (const auto arrived = kernel_stamp_on_clock(ts, r.now, kMaxReceiveAge)) r.arrived = *arrived;
  }
  return r;
}

// Closes a plain socket when the handler's deadline passes, for reads that wait on the raw
// socket (Beast's tcp_stream timeout covers only its own operations). One timer per
// connection, re-armed only when the deadline changes, cancelled when the exchange ends.
class ReadDeadline {
 public:
  template <class Executor>
  explicit ReadDeadline(const Executor& ex) : timer_(ex), state_(std::make_shared<State>()) {}

  void arm(tcp::socket& socket, TimePoint at) {
    if (armed_ && at == at_) return;
    armed_ = true;
    at_ = at;
    state_->expired = false;
    state_->socket = &socket;
    const std::uint64_t generation = ++state_->generation;
    timer_.expires_at(at);
    // The state is shared: a completion already queued when the connection goes away must
    // find it. A completion of an earlier arming (its generation) does nothing.
    timer_.async_wait([state = state_, generation](const error_code& ec) {
      if (ec || state->generation != generation) return;
      state->expired = true;
      error_code ignored;
      state->socket->close(ignored);
    });
  }
  void disarm() {
    if (!armed_) return;
    armed_ = false;
    ++state_->generation;
    timer_.cancel();
  }
  bool expired() const { return state_->expired; }

 private:
  struct State {
    std::uint64_t generation = 0;
    bool expired = false;
    tcp::socket* socket = nullptr;  // valid while `generation` is the armed one
  };
  net::steady_timer timer_;
  std::shared_ptr<State> state_;
  TimePoint at_{};
  bool armed_ = false;
};

// Feeds the buffered bytes to the parser. False when they are not valid HTTP (`why` says why).
// `read_time` is when the newest of them crossed the socket.
bool parse_buffered(StreamingParser& parser, beast::flat_buffer& buffer, TimePoint read_time, error_code& why) {
  while (buffer.size() > 0 && !parser.is_done()) {
    error_code perr;
    const std::size_t used = parser.put(buffer.data(), read_time, perr);
    buffer.consume(used);
    if (perr == bhttp::error::need_more) break;
    if (perr) {
      why = perr;
      return false;
    }
    if (used == 0) break;
  }
  return true;
}

// Whether the connection may carry the next request once this response is done. Bytes left
// in the buffer after the response's end (past its Content-Length or its last chunk) were sent
// by no request's answer; the next request would read them as its own, so the connection goes.
bool reusable(const StreamingParser& parser, const beast::flat_buffer& buffer) {
  return parser.keep_alive() && buffer.size() == 0;
}

// How a read that failed with `ec` (not a timeout) ends the exchange.
Outcome read_failed(StreamingParser& parser, const error_code& ec) {
  using Kind = Outcome::Kind;
  if (ec == net::error::operation_aborted) return Outcome{Kind::Cancelled, "the run was interrupted"};
  if (ec == net::error::eof && parser.is_header_done()) {
    error_code eof_ec;
    parser.put_eof(eof_ec);  // a body delimited by the connection's end is complete here
    if (!eof_ec && parser.is_done()) return Outcome{};
  }
  if (!parser.is_header_done()) {
    return Outcome{Kind::ClosedBeforeResponse, "connection closed before a response: " + ec.message()};
  }
  return Outcome{Kind::ResetMidBody, "connection ended mid-response: " + ec.message()};
}

// Reads per readiness wait before giving the event loop back (a connection whose bytes keep
// coming must not starve the others). A read of less than asked emptied the socket.
constexpr int kReadsPerWait = 16;
constexpr std::size_t kReadSize = std::size_t{64} * 1024;

// One request/response on an open connection. Templated over plain and TLS streams: plain
// TCP waits for readiness and reads with recvmsg, stamping each read with the kernel's receive
// time; TLS reads through the SSL stream and stamps the read when it returns.
template <class Stream>
net::awaitable<Outcome> exchange_on(Stream& stream, beast::flat_buffer& buffer, ReadDeadline& read_timer,
                                    const std::array<net::const_buffer, 3>& request, ResponseHandler& handler,
                                    bool& response_started, bool& keep_alive) {
  using Kind = Outcome::Kind;
  constexpr bool kPlain = std::is_same_v<Stream, beast::tcp_stream>;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  error_code ec;
  // Beast's stream timer closes the socket only when its handler runs on the event loop, so an
  // operation that completes at once (warm connection, bytes already waiting) beats an expired
  // deadline. The deadline is also compared with the clock readings taken here and after each read.
  const TimePoint write_deadline = handler.deadline();
  const TimePoint sent = Clock::now();
  if (sent >= write_deadline) co_return Outcome{Kind::Timeout, "the deadline passed before the request was sent"};
  tcp_layer.expires_at(write_deadline);
  handler.on_sent(sent);
  co_await net::async_write(stream, request, redirect_error(use_awaitable, ec));
  if (ec) {
    if (ec == beast::error::timeout) co_return Outcome{Kind::Timeout, "timed out sending the request"};
    co_return Outcome{Kind::ClosedBeforeResponse, "sending the request failed: " + ec.message()};
  }

  StreamingParser parser(handler);
  if constexpr (kPlain) {
    tcp::socket& socket = tcp_layer.socket();
    struct Disarm {
      ReadDeadline& timer;
      ~Disarm() { timer.disarm(); }
    } disarm{read_timer};
    TimePoint last_stamp = sent;  // stamps never go back in time within an exchange
    bool must_wait = true;        // the response is not there yet when the request has just gone
    int reads_since_wait = 0;
    for (;;) {
      const TimePoint read_deadline = handler.deadline();
      read_timer.arm(socket, read_deadline);
      if (must_wait || reads_since_wait >= kReadsPerWait) {
        co_await socket.async_wait(tcp::socket::wait_read, redirect_error(use_awaitable, ec));
        if (read_timer.expired()) co_return Outcome{Kind::Timeout, "no data before the deadline"};
        if (ec) {
          if (Clock::now() > read_deadline) co_return Outcome{Kind::Timeout, "no data before the deadline"};
          co_return read_failed(parser, ec);
        }
        must_wait = false;
        reads_since_wait = 0;
      }
      const auto space = buffer.prepare(kReadSize);
      const StampedRead r = stamped_read(socket.native_handle(), space);
      if (r.would_block) {
        must_wait = true;
        continue;
      }
      ++reads_since_wait;
      // Why here: r.arrived is when these bytes reached the socket; everything after is parsing.
      last_stamp = std::max(last_stamp, r.arrived);
      if (r.now > read_deadline) co_return Outcome{Kind::Timeout, "no data before the deadline"};
      if (r.n > 0) response_started = true;
      buffer.commit(r.n);
      error_code why;
      if (!parse_buffered(parser, buffer, last_stamp, why))
        co_return Outcome{Kind::BadHttp, "invalid HTTP response: " + why.message()};
      if (parser.is_done()) {
        keep_alive = reusable(parser, buffer);
        co_return Outcome{};
      }
      if (r.ec) co_return read_failed(parser, r.ec);
      must_wait = r.n < space.size();
    }
  } else {
    (void)read_timer;
    for (;;) {
      const TimePoint read_deadline = handler.deadline();
      tcp_layer.expires_at(read_deadline);
      const std::size_t n =
          co_await stream.async_read_some(buffer.prepare(kReadSize), redirect_error(use_awaitable, ec));
      // Why here: this is the moment the bytes crossed the socket; everything after is parsing.
      const TimePoint read_time = Clock::now();
      if (read_time > read_deadline) co_return Outcome{Kind::Timeout, "no data before the deadline"};
      if (n > 0) response_started = true;
      buffer.commit(n);
      error_code why;
      if (!parse_buffered(parser, buffer, read_time, why))
        co_return Outcome{Kind::BadHttp, "invalid HTTP response: " + why.message()};
      if (parser.is_done()) {
        keep_alive = reusable(parser, buffer);
        co_return Outcome{};
      }
      if (!ec) continue;
      if (ec == beast::error::timeout) co_return Outcome{Kind::Timeout, "no data before the deadline"};
      co_return read_failed(parser, ec);
    }
  }
}

}  // namespace

// How long a connection sits idle before its reuse first checks for bytes no request asked for.
constexpr std::chrono::milliseconds kAskAfterIdle{1};

struct ConnectionPool::Connection {
  using Stream = std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>>;
  explicit Connection(Stream&& s) : stream(std::move(s)), read_deadline(tcp_layer().get_executor()) {}
  Stream stream;
  beast::flat_buffer buffer;
  ReadDeadline read_deadline;  // plain TCP reads (TLS reads use the tcp_stream's timeout)
  bool open = false;
  TimePoint idle_since{};  // when its last exchange ended

  beast::tcp_stream& tcp_layer() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream);
  }
  // Bytes waiting on an idle connection came after its last response ended: an answer no
  // request asked for, which the next request would read as its own. Plain TCP only: on TLS,
  // records the server may send at any time (session tickets) wait there too.
  bool has_unread_bytes() {
    auto* plain = std::get_if<beast::tcp_stream>(&stream);
    if (plain == nullptr) return false;
    error_code ec;
    return plain->socket().available(ec) > 0 || ec;
  }
  void close() {
    error_code ignored;
    tcp_layer().socket().close(ignored);
    open = false;
    buffer.clear();
  }
};

ConnectionPool::ConnectionPool(net::io_context& ioc, ClientOptions options) : ioc_(ioc), options_(std::move(options)) {
  if (options_.url.tls) {
    tls_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    if (options_.insecure) {
      tls_->set_verify_mode(net::ssl::verify_none);
    } else {
      tls_->set_default_verify_paths();
      tls_->set_verify_mode(net::ssl::verify_peer);
    }
  }
}

ConnectionPool::~ConnectionPool() = default;

net::awaitable<Outcome> ConnectionPool::connect(Connection& conn) {
  using Kind = Outcome::Kind;
  error_code ec;
  if (endpoints_.empty()) {
    tcp::resolver resolver(ioc_);
    auto results =
        co_await resolver.async_resolve(options_.url.host, options_.url.port, redirect_error(use_awaitable, ec));
    if (ec) co_return Outcome{Kind::DnsFailed, "cannot resolve " + options_.url.host + ": " + ec.message()};
    // Another request may have resolved meanwhile: its list is the same, kept once.
    if (endpoints_.empty()) {
      for (const auto& entry : results) endpoints_.push_back(entry.endpoint());
    }
  }
  auto& tcp_layer = conn.tcp_layer();
  // Each address in turn, within one connect timeout. The socket is opened here, not by Beast's
  // connect: out of file descriptors, that reports only "Operation canceled", which says nothing
  // of the cause or its remedy.
  const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  for (const tcp::endpoint& endpoint : endpoints_) {
    tcp_layer.close();
    tcp_layer.socket().open(endpoint.protocol(), ec);
    if (ec) {
      const bool no_fds =
          ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system;
      co_return Outcome{Kind::ConnectFailed,
                        fmt::format("cannot open a socket to {}: {}{}", options_.url.authority(), ec.message(),
                                    no_fds ? " (out of file descriptors: raise `ulimit -n`)" : "")};
    }
    tcp_layer.expires_at(deadline);
    co_await tcp_layer.async_connect(endpoint, redirect_error(use_awaitable, ec));
    if (!ec || ec == beast::error::timeout) break;
  }
  if (ec) {
    const std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
    co_return Outcome{Kind::ConnectFailed, "cannot connect to " + options_.url.authority() + ": " + why};
  }
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);
  if (std::holds_alternative<beast::tcp_stream>(conn.stream)) enable_receive_timestamps(tcp_layer.socket());
  ++opened_;
  if (auto* tls = std::get_if<beast::ssl_stream<beast::tcp_stream>>(&conn.stream)) {
    // SNI; SSL_set_tlsext_host_name is a macro over this call (with a C cast).
    if (!SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(options_.url.host.c_str()))) {
      co_return Outcome{Kind::TlsFailed, "TLS: cannot set the server name"};
    }
    if (!options_.insecure) tls->set_verify_callback(net::ssl::host_name_verification(options_.url.host));
    co_await tls->async_handshake(net::ssl::stream_base::client, redirect_error(use_awaitable, ec));
    if (ec) {
      co_return Outcome{Kind::TlsFailed, "TLS handshake with " + options_.url.authority() + " failed: " + ec.message() +
                                             (options_.insecure ? "" : " (--insecure skips verification)")};
    }
  }
  conn.open = true;
  co_return Outcome{};
}

net::awaitable<Outcome> ConnectionPool::attempt(Connection& conn, const std::array<net::const_buffer, 3>& request,
                                                ResponseHandler& handler, bool& response_started) {
  bool keep_alive = false;
  Outcome out = co_await std::visit(
      [&](auto& s) {
        return exchange_on(s, conn.buffer, conn.read_deadline, request, handler, response_started, keep_alive);
      },
      conn.stream);
  if (out.kind != Outcome::Kind::Complete || !keep_alive) conn.close();
  co_return out;
}

net::awaitable<Outcome> ConnectionPool::exchange(const Request& request, ResponseHandler& handler) {
  const WireRequest wire(request);
  co_return co_await exchange(wire, handler);
}

net::awaitable<Outcome> ConnectionPool::exchange(const WireRequest& request, ResponseHandler& handler,
                                                 std::string_view fields) {
  const std::array<net::const_buffer, 3> bytes = request.buffers(fields);
  for (int attempt_no = 0;; ++attempt_no) {
    if (shut_down_) co_return Outcome{Outcome::Kind::Cancelled, "the run was interrupted"};
    std::unique_ptr<Connection> conn;
    if (attempt_no == 0) conn = take_idle();  // the retry needs a fresh connection: others may be stale too
    if (!conn && tls_) {
      conn = std::make_unique<Connection>(Connection::Stream(std::in_place_index<1>, ioc_.get_executor(), *tls_));
    } else if (!conn) {
      conn = std::make_unique<Connection>(Connection::Stream(std::in_place_index<0>, ioc_.get_executor()));
    }
    const bool reused = conn->open;
    busy_.push_back(conn.get());
    Outcome out;
    bool response_started = false;
    if (!conn->open) out = co_await connect(*conn);
    if (out.kind == Outcome::Kind::Complete) out = co_await attempt(*conn, bytes, handler, response_started);
    busy_.erase(std::find(busy_.begin(), busy_.end(), conn.get()));
    if (shut_down_ && out.kind != Outcome::Kind::Complete)
      out = Outcome{Outcome::Kind::Cancelled, "the run was interrupted"};
    if (conn->open && !shut_down_) {
      conn->idle_since = Clock::now();
      idle_.push_back(std::move(conn));
    }
    // A kept-alive connection the server has meanwhile closed fails before any response
    // byte; that is not the request's fault, so it goes once more on a fresh connection.
    const bool stale = reused && !response_started && out.kind == Outcome::Kind::ClosedBeforeResponse;
    if (stale && attempt_no == 0) continue;
    co_return out;
  }
}

std::unique_ptr<ConnectionPool::Connection> ConnectionPool::take_idle() {
  while (!idle_.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    // Extra bytes in a response's last read are always caught (reusable()); bytes that come
    // later only when they come before the reuse: once the next request is sent, nothing tells
    // them from its answer. A connection reused within kAskAfterIdle (a closed loop's next
    // request) is not asked: bytes that soon after a response are caught only by chance anyway,
    // and the question is a system call, as costly as a short request's read. One that sat idle
    // is asked: an idle timeout's 408, or anything else the server sent meanwhile.
    if (Clock::now() - conn->idle_since < kAskAfterIdle || !conn->has_unread_bytes()) return conn;
    conn->close();
  }
  return nullptr;
}

void ConnectionPool::shutdown() {
  shut_down_ = true;
  for (auto* conn : busy_) conn->close();
  idle_.clear();
}

WireRequest::WireRequest(const Request& request) {
  // Beast's serializer, split after the header: the bytes up to the header's end, then the body.
  bhttp::request_serializer<bhttp::string_body> serializer(request);
  serializer.split(true);
  error_code ec;
  const auto take = [&](error_code&, const auto& buffers) {
    for (const auto piece : beast::buffers_range_ref(buffers))
      bytes_.append(static_cast<const char*>(piece.data()), piece.size());
    serializer.consume(beast::buffer_bytes(buffers));
  };
  while (!ec && !serializer.is_header_done()) serializer.next(ec, take);
  const std::size_t header_size = bytes_.size();
  while (!ec && !serializer.is_done()) serializer.next(ec, take);
  if (ec) throw std::logic_error("WireRequest: Beast could not serialize the request: " + ec.message());
  // The header ends in its empty line: the added fields go before that line.
  if (header_size < 4 || std::string_view(bytes_).substr(header_size - 4, 4) != "\r\n\r\n")
    throw std::logic_error("WireRequest: Beast's serialization has no header where expected");
  header_end_ = header_size - 2;
}

std::array<net::const_buffer, 3> WireRequest::buffers(std::string_view fields) const {
  const std::string_view all(bytes_);
  const std::string_view head = all.substr(0, header_end_);
  const std::string_view rest = all.substr(header_end_);
  return {net::buffer(head.data(), head.size()), net::buffer(fields.data(), fields.size()),
          net::buffer(rest.data(), rest.size())};
}

Request make_request(const Url& url, bhttp::verb method, std::string_view target, std::string body,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
  Request req{method, url.base_path + std::string(target), 11};
  req.set(bhttp::field::host, url.authority());
  req.set(bhttp::field::user_agent, fmt::format("inferbench/{}", kVersion));
  if (method == bhttp::verb::post) req.set(bhttp::field::content_type, "application/json");
  // Nothing here decodes compression: a server that compresses only when asked must not be asked.
  req.set(bhttp::field::accept_encoding, "identity");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

}  // namespace inferbench::http
