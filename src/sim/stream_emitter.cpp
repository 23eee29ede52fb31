#include "sim/stream_emitter.hpp"

#include <liburing.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <queue>

namespace inferbench::sim {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

// Passes are at least this far apart, so that chunks due close together leave in one submission
// (a chunk leaves up to this much after its due time under load; --trace records when).
constexpr Duration kMinPassInterval = std::chrono::microseconds(100);
constexpr unsigned kRingEntries = 4096;
// How often completions are looked for while a send waits for room in a socket buffer (a slow
// reader); every other send completes inside the submitting call.
constexpr Duration kCompletionPoll = std::chrono::milliseconds(1);

// The chunk-size line's number (HTTP/1.1 chunked coding), without a formatting library call.
void append_hex(std::string& out, std::size_t n) {
  char digits[16];
  int k = 0;
  do {
    digits[k++] = "0123456789abcdef"[n & 15];
    n >>= 4;
  } while (n > 0);
  while (k > 0) out += digits[--k];
}

// ---- Transmit stamps (record_times only) ---------------------------------------------------
//
// A chunk's recorded time should be when its bytes left, the reference the client's receive
// stamps are checked against (tests, bench/loopback_streams.cpp). The pass's time is not that:
// one pass hands up to thousands of sends to the kernel in one submission, ~3 µs each, so the
// last leaves milliseconds after it. The kernel's software transmit stamp (SO_TIMESTAMPING,
// SOF_TIMESTAMPING_TX_SOFTWARE) is taken as the bytes go to the device; with OPT_ID each stamp
// names the offset of the last byte of the send it belongs to, counted from when the option
// was set, which is done afresh at each stream's start.

// Reads every transmit stamp waiting on fd's error queue: on_stamp(offset of the last byte of
// the send, when it left, on Clock).
template <class OnStamp>
void drain_tx_stamps(int fd, OnStamp on_stamp) {
  for (;;) {
    alignas(cmsghdr) char control[512];
    msghdr msg{};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: none left
    }
    const TimePoint now = Clock::now();
    std::optional<timespec> stamp;
    std::optional<std::uint32_t> key;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
        scm_timestamping ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        stamp = ts.ts[0];
      } else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                 (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
        sock_extended_err err{};
        std::memcpy(&err, CMSG_DATA(c), sizeof err);
        if (err.ee_errno == ENOMSG && err.ee_origin == SO_EE_ORIGIN_TIMESTAMPING && err.ee_info == SCM_TSTAMP_SND) {
          key = err.ee_data;
        }
      }
    }
    if (!stamp || !key) continue;
    // A stamp from a stepped wall clock is dropped: the chunk keeps its send's start time.
    if (const auto left = kernel_stamp_on_clock(*stamp, now, std::chrono::seconds(1))) on_stamp(*key, *left);
  }
}

// Counts from the next byte written (Linux 6.2; Debian 12's headers predate it). Without it the
// count would start at the oldest unacknowledged byte, which may be the response header's: an
// older kernel refuses the flag, and the pass times are recorded instead.
constexpr unsigned kOptIdTcp = 1U << 16;  // SOF_TIMESTAMPING_OPT_ID_TCP
constexpr unsigned kTxStampFlags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
                                   SOF_TIMESTAMPING_OPT_TSONLY | kOptIdTcp;

// Drops stamps of an earlier stream on this connection, then restarts the byte count at the
// next byte written. False when the kernel refuses (the pass times are recorded instead).
bool start_tx_stamps(int fd) {
  drain_tx_stamps(fd, [](std::uint32_t, TimePoint) {});
  const unsigned off = 0;
  if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &off, sizeof off) != 0) return false;
  return ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &kTxStampFlags, sizeof kTxStampFlags) == 0;
}

void stop_tx_stamps(int fd) {
  const unsigned off = 0;
  (void)::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &off, sizeof off);
}

}  // namespace

struct StreamEmitter::Impl : std::enable_shared_from_this<Impl> {
  using Entry = std::pair<TimePoint, Stream*>;

  Impl(net::any_io_executor executor, bool want_io_uring) : ex(std::move(executor)), timer(ex) {
    uring = want_io_uring && io_uring_queue_init(kRingEntries, &ring, 0) == 0;
  }

  // Called when the server stops, after its I/O threads have returned: sends still in flight
  // were cancelled when the thread that submitted them exited, and the ring goes away now, before
  // the streams' buffers (in the sessions' coroutine frames) do.
  void close() {
    timer.cancel();
    if (!uring) return;
    uring = false;
    io_uring_queue_exit(&ring);
  }

  void add(Stream* s) {
    if (s->record_times) s->tx_stamps = start_tx_stamps(s->socket.native_handle());
    s->sending = std::move(s->head);
    s->bytes_formatted = s->sending.size();  // the transmit stamps' byte count starts with the head
    const TimePoint now = Clock::now();
    const bool first_due = !s->due.empty() && s->due.front() <= now;
    if (!first_due && !s->sending.empty()) {  // the head goes now, alone
      send(s);
      submit();
      if (s->finished) return;  // the send failed: s is the session's again
    }
    if (s->due.empty()) {
      if (!s->in_flight) finish(s);  // else sent() finishes it
      return;
    }
    push(s);
    // A first chunk that is due already leaves with the head in this pass, unless a pass ran
    // within kMinPassInterval (then the timer gathers it with whatever else falls due).
    if (first_due && now >= last_pass + kMinPassInterval) return pass();
    schedule();
  }

  void push(Stream* s) {
    heap.emplace(s->due[s->next], s);
    s->in_heap = true;
  }

  // Arms the timer for the next pass: the earliest due chunk, but not sooner than kMinPassInterval
  // after the last pass; and within kCompletionPoll while sends are pending.
  void schedule() {
    TimePoint at = heap.empty() ? TimePoint::max() : std::max(heap.top().first, last_pass + kMinPassInterval);
    if (pending > 0 || !blocked.empty()) at = std::min(at, Clock::now() + kCompletionPoll);
    if (at == TimePoint::max()) return;
    if (timer_armed && timer_at <= at) return;
    timer_at = at;
    timer_armed = true;
    timer.expires_at(at);
    timer.async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return;  // re-armed or closed
      self->timer_armed = false;
      self->pass();
    });
  }

  void pass() {
    const TimePoint now = Clock::now();
    last_pass = now;
    while (!heap.empty() && heap.top().first <= now) {
      Stream* s = heap.top().second;
      heap.pop();
      s->in_heap = false;
      if (s->error) {  // failed while queued: tell the session now that nothing points at it
        finish(s);
        continue;
      }
      emit_due(s, now);
      if (s->next < s->due.size() && !s->error) push(s);  // a failed send() has finished it already
    }
    submit();
    schedule();
  }

  // Formats every chunk of s that is due by `now` (with HTTP/1.1 chunk framing) and sends them
  // together, or queues them behind the send still in flight.
  void emit_due(Stream* s, TimePoint now) {
    std::string& target = s->in_flight ? s->waiting : s->sending;
    std::size_t chunks = 0;
    do {
      scratch.clear();
      s->format(scratch, s->next);
      const std::size_t before = target.size();
      if (!scratch.empty()) {  // an empty chunk would read as the last-chunk marker
        append_hex(target, scratch.size());
        target += "\r\n";
        target += scratch;
        target += "\r\n";
      }
      ++s->next;
      ++chunks;
      if (s->next == s->due.size()) target += "0\r\n\r\n";
      if (s->tx_stamps) {
        s->bytes_formatted += target.size() - before;
        s->chunk_end.push_back(s->bytes_formatted);
      }
    } while (s->next < s->due.size() && s->due[s->next] <= now);
    if (s->in_flight) {
      s->waiting_chunks += chunks;  // their time is taken when they follow the send in flight
      return;
    }
    if (s->record_times) s->sent.insert(s->sent.end(), chunks, now);
    send(s);
  }

  void send(Stream* s) {
    s->in_flight = true;
    const char* data = s->sending.data() + s->sending_offset;
    const std::size_t size = s->sending.size() - s->sending_offset;
    if (uring) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      if (!sqe) {  // the submission queue is full: hand it to the kernel (completions: at the next reap)
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
      }
      if (!sqe) {  // the kernel took nothing (submission failed): try again at the next pass
        blocked.push_back(s);
        return;
      }
      io_uring_prep_send(sqe, s->socket.native_handle(), data, size, MSG_NOSIGNAL);
      io_uring_sqe_set_data(sqe, s);
      ++pending;
      return;
    }
    const ssize_t n = ::send(s->socket.native_handle(), data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    sent(s, n < 0 ? -errno : static_cast<int>(n));
  }

  // Sends again once the socket has room (or fails the stream if the socket broke).
  void when_writable(Stream* s) {
    s->in_flight = true;
    s->socket.async_wait(net::socket_base::wait_write,
                         net::bind_executor(ex, [self = shared_from_this(), s](error_code ec) {
                           if (ec) return self->fail(s, ec);
                           self->send(s);
                           self->submit();
                           self->schedule();
                         }));
  }

  // The kernel took `result` bytes of s->sending (or failed with -errno).
  void sent(Stream* s, int result) {
    s->in_flight = false;
    // A full socket buffer (send() on the non-blocking socket; io_uring too on some kernels), or
    // a signal: not a failure.
    if (result == -EAGAIN || result == -EWOULDBLOCK || result == -EINTR) return when_writable(s);
    if (result < 0) return fail(s, error_code(-result, boost::system::system_category()));
    s->sending_offset += static_cast<std::size_t>(result);
    if (s->tx_stamps) take_tx_stamps(s);
    if (s->sending_offset < s->sending.size()) return send(s);  // a short send: the rest
    s->sending.clear();
    s->sending_offset = 0;
    if (!s->waiting.empty()) {
      s->sending.swap(s->waiting);
      if (s->record_times) s->sent.insert(s->sent.end(), s->waiting_chunks, Clock::now());
      s->waiting_chunks = 0;
      return send(s);
    }
    if (s->next == s->due.size()) finish(s);
  }

  // Gives each chunk whose last byte a waiting transmit stamp covers that stamp's time. On
  // loopback the stamp is taken inside the send itself, so it is there when the send completes.
  static void take_tx_stamps(Stream* s) {
    drain_tx_stamps(s->socket.native_handle(), [s](std::uint32_t last_byte, TimePoint t) {
      // Offsets are 32-bit in the kernel's count; a stream stays far below 4 GiB.
      while (s->unstamped < s->chunk_end.size() && s->unstamped < s->sent.size() &&
             s->chunk_end[s->unstamped] <= std::uint64_t{last_byte} + 1) {
        s->sent[s->unstamped++] = t;
      }
    });
  }

  void fail(Stream* s, error_code ec) {
    s->in_flight = false;
    if (!s->error) s->error = ec;
    if (!s->in_heap) finish(s);  // else when its next due time pops it
  }

  // Hands s back to its session. Nothing here touches s after the post: the session may free it
  // as soon as the posted handler has run.
  void finish(Stream* s) {
    if (s->finished) return;
    s->finished = true;
    if (s->tx_stamps) {
      take_tx_stamps(s);
      // Stamps wait in the socket's error queue and take receive-buffer space: none for what
      // this connection sends next outside a recorded stream.
      stop_tx_stamps(s->socket.native_handle());
    }
    net::post(s->done_signal.get_executor(), [s] {
      s->done = true;
      s->done_signal.cancel();
    });
  }

  // Hands prepared sends to the kernel, then handles every completion already there.
  void submit() {
    if (!uring) return;
    if (io_uring_sq_ready(&ring) > 0) io_uring_submit(&ring);  // on failure they stay queued for the next pass
    reap();
    if (!blocked.empty()) {
      std::vector<Stream*> retry;
      retry.swap(blocked);
      for (Stream* s : retry) send(s);
      if (io_uring_sq_ready(&ring) > 0) io_uring_submit(&ring);
    }
  }

  void reap() {
    bool more = false;
    io_uring_cqe* cqe = nullptr;
    while (uring && io_uring_peek_cqe(&ring, &cqe) == 0) {
      auto* s = static_cast<Stream*>(io_uring_cqe_get_data(cqe));
      const int result = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      --pending;
      sent(s, result);
      more = true;
    }
    if (more && io_uring_sq_ready(&ring) > 0) submit();
  }

  net::any_io_executor ex;
  net::steady_timer timer;
  bool timer_armed = false;
  TimePoint timer_at{};
  TimePoint last_pass{};
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;  // (next due, stream)
  std::string scratch;
  bool uring = false;
  io_uring ring{};
  std::size_t pending = 0;       // sends prepared, not yet completed
  std::vector<Stream*> blocked;  // sends that found no submission slot
};

StreamEmitter::StreamEmitter(net::any_io_executor executor, bool io_uring)
    : impl_(std::make_shared<Impl>(std::move(executor), io_uring)) {}

StreamEmitter::~StreamEmitter() { impl_->close(); }

bool StreamEmitter::uses_io_uring() const { return impl_->uring; }

net::awaitable<void> StreamEmitter::run(Stream& s) {
  net::post(impl_->ex, [impl = impl_, p = &s] { impl->add(p); });
  while (!s.done) {  // set on this coroutine's executor, just before the wake-up
    s.done_signal.expires_at(TimePoint::max());
    error_code ec;
    co_await s.done_signal.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

}  // namespace inferbench::sim
