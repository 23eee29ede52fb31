#pragma once
// Incremental Server-Sent-Events parser (WHATWG "event stream" interpretation) for streamed
// inference responses. Correct for any split of the stream across reads; allocation-free per
// event once its internal buffers have grown to the stream's largest event.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace inferbench::protocol {

// One dispatched event. Both views are valid only during the callback that receives it.
struct SseEvent {
  std::string_view data;  // the event's `data:` lines joined with '\n' (no trailing '\n')
  std::string_view type;  // value of the event's last `event:` field; empty means "message"
};

// Receiver of parsed events; called synchronously from SseParser::feed on the feeding thread.
class SseEventSink {
 public:
  virtual ~SseEventSink() = default;
  // One complete event (dispatched at its terminating blank line).
  virtual void on_event(const SseEvent& event) = 0;
};

// Outcome of one SseParser::feed call.
enum class SseStatus : std::uint8_t {
  Ok,             // every complete event in the bytes was dispatched
  EventTooLarge,  // the pending event outgrew max_event_bytes(); the parser stays failed
};

// Parser for one event stream. Single-threaded; reuse across streams with reset().
class SseParser {
 public:
  // Default limit on one event's data (its data lines joined), in bytes.
  static constexpr std::size_t kDefaultMaxEventBytes = std::size_t{16} << 20;
  // Room for a field name on top of the limit: no line may exceed limit + this, in bytes.
  static constexpr std::size_t kLineOverhead = 64;

  // max_event_bytes bounds memory growth: an event whose data would exceed it, or a line
  // longer than max_event_bytes + kLineOverhead, makes feed return EventTooLarge whatever
  // way the stream is split into reads.
  explicit SseParser(std::size_t max_event_bytes = kDefaultMaxEventBytes);

  // Parses the next bytes of the stream and dispatches every event they complete, in order.
  // The bytes need only live for this call. After EventTooLarge every call returns it again
  // (and dispatches nothing) until reset().
  SseStatus feed(std::string_view bytes, SseEventSink& sink);

  // The same with a callable `void(const SseEvent&)` instead of a sink (inlined adapter).
  template <class F>
  requires std::invocable<F&, const SseEvent&> SseStatus feed(std::string_view bytes, F&& on_event) {
    struct Adapter final : SseEventSink {
      explicit Adapter(std::remove_reference_t<F>& fn) : fn_(fn) {}
      void on_event(const SseEvent& event) override { fn_(event); }
      std::remove_reference_t<F>& fn_;
    };
    Adapter adapter(on_event);
    return feed(bytes, static_cast<SseEventSink&>(adapter));
  }

  // True if bytes of an unfinished event are pending: an unterminated line, or field lines
  // not yet closed by a blank line. At the end of a stream this means it was cut mid-event.
  bool has_partial_event() const noexcept;

  // True after feed returned EventTooLarge (until reset()).
  bool failed() const noexcept { return failed_; }

  // Starts a new stream; keeps buffer capacity.
  void reset() noexcept;

  // The configured limit, in bytes.
  std::size_t max_event_bytes() const noexcept { return max_event_bytes_; }

 private:
  SseStatus process_line(std::string_view line, bool in_caller_buffer, SseEventSink& sink);
  SseStatus append_data(std::string_view value, bool in_caller_buffer);
  SseStatus check_unfinished_line();
  void dispatch(SseEventSink& sink);
  std::size_t data_size() const noexcept;
  SseStatus fail() noexcept;

  std::size_t max_event_bytes_;
  std::string line_;              // unterminated line carried over to the next feed
  std::string data_;              // data buffer when owned (data_owned_)
  std::string type_;              // event type of the pending event
  std::string_view data_view_;    // single data line still inside the caller's bytes
  std::uint32_t data_lines_ = 0;  // data lines of the pending event
  bool data_owned_ = false;       // data lives in data_ rather than data_view_
  bool fields_seen_ = false;      // a field line since the last blank line
  bool skip_lf_ = false;          // last feed ended in '\r': drop a leading '\n'
  bool failed_ = false;
  bool at_start_ = true;          // nothing but (part of) a byte order mark seen yet
  std::uint8_t bom_matched_ = 0;  // bytes of a leading UTF-8 BOM matched so far
};

}  // namespace inferbench::protocol
