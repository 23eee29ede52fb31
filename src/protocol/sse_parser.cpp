#include "protocol/sse_parser.hpp"

#include <cstring>

namespace inferbench::protocol {

namespace {

constexpr char kBom[3] = {'\xEF', '\xBB', '\xBF'};

constexpr std::size_t kUnknown = static_cast<std::size_t>(-1);

// Offset of the first '\n' or '\r' in [from, end) of `s`, or end. `next_cr` caches the offset of
// the next '\r' (end = none left, kUnknown = not scanned yet), so a stream without '\r' is
// scanned for it once per read rather than once per line.
std::size_t find_eol(const char* s, std::size_t from, std::size_t end, std::size_t& next_cr) {
  const void* nl = std::memchr(s + from, '\n', end - from);
  const std::size_t nl_pos = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - s) : end;
  if (next_cr == kUnknown || next_cr < from) {
    const void* cr = std::memchr(s + from, '\r', end - from);
    next_cr = cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - s) : end;
  }
  return next_cr < nl_pos ? next_cr : nl_pos;
}

}  // namespace

SseParser::SseParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

void SseParser::reset() noexcept {
  line_.clear();
  data_.clear();
  type_.clear();
  data_view_ = {};
  data_lines_ = 0;
  data_owned_ = false;
  fields_seen_ = false;
  skip_lf_ = false;
  failed_ = false;
  at_start_ = true;
  bom_matched_ = 0;
}

bool SseParser::has_partial_event() const noexcept {
  return failed_ || !line_.empty() || fields_seen_ || (at_start_ && bom_matched_ > 0);
}

std::size_t SseParser::data_size() const noexcept {
  if (data_lines_ == 0) return 0;
  return data_owned_ ? data_.size() : data_view_.size();
}

SseStatus SseParser::fail() noexcept {
  failed_ = true;
  return SseStatus::EventTooLarge;
}

SseStatus SseParser::feed(std::string_view bytes, SseEventSink& sink) {
  if (failed_) return SseStatus::EventTooLarge;
  const char* s = bytes.data();
  const std::size_t end = bytes.size();
  std::size_t pos = 0;
  if (end == 0) return SseStatus::Ok;

  if (skip_lf_) {  // "\r" ended the previous read; a "\n" here belongs to the same line break
    skip_lf_ = false;
    if (s[0] == '\n') pos = 1;
  }
  while (at_start_ && pos < end) {  // one leading U+FEFF is ignored (WHATWG)
    if (s[pos] == kBom[bom_matched_]) {
      ++pos;
      if (++bom_matched_ == sizeof kBom) at_start_ = false;
    } else {
      line_.assign(kBom, bom_matched_);  // a partial BOM is ordinary line content
      at_start_ = false;
    }
  }

  std::size_t next_cr = kUnknown;
  auto eol_from = [&](std::size_t from) { return find_eol(s, from, end, next_cr); };
  // Position after the line terminator at `eol`; records a '\r' at the very end of the read.
  auto after_eol = [&](std::size_t eol) {
    if (s[eol] == '\r') {
      if (eol + 1 == end) {
        skip_lf_ = true;
        return end;
      }
      return s[eol + 1] == '\n' ? eol + 2 : eol + 1;
    }
    return eol + 1;
  };

  if (!line_.empty()) {  // complete the line carried over from the previous read
    const std::size_t eol = eol_from(pos);
    if (eol == end) {
      line_.append(s + pos, end - pos);
      return check_unfinished_line();
    }
    line_.append(s + pos, eol - pos);
    const SseStatus st = process_line(line_, false, sink);
    line_.clear();
    if (st != SseStatus::Ok) return st;
    pos = after_eol(eol);
  }

  while (pos < end) {
    const std::size_t eol = eol_from(pos);
    if (eol == end) break;
    const SseStatus st = process_line(std::string_view(s + pos, eol - pos), true, sink);
    if (st != SseStatus::Ok) return st;
    pos = after_eol(eol);
  }

  if (pos < end) {
    line_.assign(s + pos, end - pos);
    if (check_unfinished_line() != SseStatus::Ok) return SseStatus::EventTooLarge;
  }
  if (data_lines_ > 0 && !data_owned_) {  // the caller's bytes die with this call
    data_.assign(data_view_);
    data_owned_ = true;
  }
  return SseStatus::Ok;
}

// The limits are checked so that the outcome does not depend on how the stream was split:
// a complete line is checked in process_line / append_data, an unfinished one here against
// the same bounds (it can only grow), so a split read fails exactly when the whole one would.
SseStatus SseParser::check_unfinished_line() {
  if (line_.size() > max_event_bytes_ + kLineOverhead) return fail();
  std::string_view line = line_;
  if (line.starts_with("data:")) {
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (data_size() + (data_lines_ > 0 ? 1 : 0) + line.size() > max_event_bytes_) return fail();
  }
  return SseStatus::Ok;
}

SseStatus SseParser::process_line(std::string_view line, bool in_caller_buffer, SseEventSink& sink) {
  if (line.size() > max_event_bytes_ + kLineOverhead) return fail();
  if (line.empty()) {
    dispatch(sink);
    return SseStatus::Ok;
  }
  if (line.front() == ':') return SseStatus::Ok;  // comment (keep-alive ping)

  std::string_view field = line;
  std::string_view value;
  if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  fields_seen_ = true;
  if (field == "data") return append_data(value, in_caller_buffer);
  if (field == "event") type_.assign(value);
  // `id`, `retry` and unknown fields are tolerated and ignored: a benchmark never reconnects.
  return SseStatus::Ok;
}

SseStatus SseParser::append_data(std::string_view value, bool in_caller_buffer) {
  const std::size_t size = data_size() + (data_lines_ > 0 ? 1 : 0) + value.size();
  if (size > max_event_bytes_) return fail();
  if (data_lines_ == 0) {
    if (in_caller_buffer) {  // zero-copy: usually the whole event is in this read
      data_view_ = value;
      data_owned_ = false;
    } else {
      data_.assign(value);
      data_owned_ = true;
    }
  } else {
    if (!data_owned_) {
      data_.assign(data_view_);
      data_owned_ = true;
    }
    data_.push_back('\n');
    data_.append(value);
  }
  ++data_lines_;
  return SseStatus::Ok;
}

void SseParser::dispatch(SseEventSink& sink) {
  if (data_lines_ > 0) {
    const SseEvent event{data_owned_ ? std::string_view(data_) : data_view_, type_};
    sink.on_event(event);
  }
  data_lines_ = 0;
  data_owned_ = false;
  data_view_ = {};
  data_.clear();
  type_.clear();
  fields_seen_ = false;
}

}  // namespace inferbench::protocol
