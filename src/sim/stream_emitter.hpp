#pragma once
// Writes the chunks of many streamed responses at their due times, from one timer for all of
// them: the chunks of one stream that are due together go in one send, and every send of a pass
// in one io_uring submission. The per-stream alternative (a timer wait and an async write per
// chunk) costs two to three times more CPU per token, most of it system calls; see
// docs/simulator.md ("Streaming at scale").
// Falls back to one non-blocking send() per chunk where io_uring is unavailable.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace inferbench::sim {

class StreamEmitter {
 public:
  // One response, its body sent as HTTP/1.1 chunks.
  struct Stream {
    // `session` is the executor of the coroutine that will call run() (its strand, if any).
    Stream(boost::asio::ip::tcp::socket& s, boost::asio::any_io_executor session) : socket(s), done_signal(session) {}
    boost::asio::ip::tcp::socket& socket;
    // The response header, sent as the stream is added; with the first chunk instead when that
    // is due already, so that a response due at once costs one segment, not two.
    std::string head;
    std::vector<TimePoint> due;  // when each chunk is ready (ascending)
    // Appends chunk k's payload (SSE events) to out; the emitter adds the chunked framing.
    std::function<void(std::string& out, std::size_t k)> format;
    bool record_times = false;
    // When each chunk left (if record_times): the kernel's transmit stamp of the send that
    // carried its last byte, or, where the kernel gives none, the time its send was started.
    std::vector<TimePoint> sent;
    boost::system::error_code error;  // the socket's failure, if any (read it after run())

   private:
    friend class StreamEmitter;
    std::size_t next = 0;  // the next chunk to format
    std::string sending;   // bytes handed to the kernel, not yet confirmed
    std::size_t sending_offset = 0;
    std::string waiting;  // formatted while `sending` was in flight
    std::size_t waiting_chunks = 0;
    // Transmit stamps (record_times): each chunk's end as a byte offset from the stream's first
    // byte (the head's), the bytes handed to the kernel so far, and the first chunk not yet stamped.
    bool tx_stamps = false;
    std::vector<std::uint64_t> chunk_end;
    std::uint64_t bytes_formatted = 0;
    std::size_t unstamped = 0;
    bool in_flight = false;
    bool in_heap = false;   // queued for its next due time
    bool finished = false;  // the emitter is done with it (emitter side)
    bool done = false;      // set on the session's executor: run() may return
    boost::asio::steady_timer done_signal;
  };

  // `executor` serializes the emitter (a strand when the server runs several threads). Without
  // `io_uring`, or where the kernel refuses it, each chunk is written with one send().
  StreamEmitter(boost::asio::any_io_executor executor, bool io_uring);
  ~StreamEmitter();
  StreamEmitter(const StreamEmitter&) = delete;
  StreamEmitter& operator=(const StreamEmitter&) = delete;

  // Sends s.head, every chunk of s at its due time, then the last-chunk marker; completes when
  // all bytes are with the kernel or the socket failed (s.error). s must outlive the call.
  boost::asio::awaitable<void> run(Stream& s);
  // Whether chunks go out through io_uring (false: one send() each).
  bool uses_io_uring() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace inferbench::sim
