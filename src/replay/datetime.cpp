// Calendar times in logs and traces. Not a general date parser: the fixed ISO 8601 shapes that
// FlowGPT's log lines start with and Azure traces carry, checked field by field.
#include <chrono>
#include <string>
#include <string_view>

#include "replay/log.hpp"

namespace inferbench::replay {

namespace {

// Reads exactly `n` ASCII digits at text[pos]; false if any is missing.
bool digits(std::string_view text, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool at(std::string_view text, std::size_t pos, char c) { return pos < text.size() && text[pos] == c; }

}  // namespace

std::size_t parse_datetime(std::string_view text, bool space_separator, bool zone_required,
                           std::chrono::nanoseconds& out, std::string& reason) {
  using namespace std::chrono;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || !at(text, 4, '-') || !digits(text, 5, 2, month) || !at(text, 7, '-') ||
      !digits(text, 8, 2, day)) {
    reason = "does not start with a date YYYY-MM-DD";
    return 0;
  }
  const bool separator = at(text, 10, 'T') || (space_separator && at(text, 10, ' '));
  if (!separator || !digits(text, 11, 2, hour) || !at(text, 13, ':') || !digits(text, 14, 2, minute) ||
      !at(text, 16, ':') || !digits(text, 17, 2, second)) {
    reason = space_separator ? "the date is not followed by a time HH:MM:SS" : "the date is not followed by THH:MM:SS";
    return 0;
  }
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  // Beyond these years nanoseconds since 1970 leave int64.
  if (!date.ok() || year < 1900 || year > 2200 || hour > 23 || minute > 59 || second > 59) {
    reason = "the date or time is out of range";
    return 0;
  }
  std::size_t pos = 19;
  nanoseconds fraction{0};
  if (at(text, pos, '.')) {
    ++pos;
    const std::size_t first = pos;
    long long ns = 0;
    long long scale = 100'000'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ns += (text[pos] - '0') * scale;  // digits past nanoseconds add nothing (scale 0)
      scale /= 10;
      ++pos;
    }
    if (pos == first) {
      reason = "a '.' after the seconds without digits";
      return 0;
    }
    fraction = nanoseconds{ns};
  }
  minutes zone{0};
  if (at(text, pos, 'Z')) {
    ++pos;
  } else if (at(text, pos, '+') || at(text, pos, '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int zh = 0, zm = 0;
    if (!digits(text, pos + 1, 2, zh)) {
      reason = "a time-zone offset that is not ±HH:MM";
      return 0;
    }
    std::size_t next = pos + 3;
    if (at(text, next, ':')) ++next;
    if (!digits(text, next, 2, zm) || zh > 23 || zm > 59) {
      reason = "a time-zone offset that is not ±HH:MM";
      return 0;
    }
    pos = next + 2;
    zone = minutes{sign * (zh * 60 + zm)};
  } else if (zone_required) {
    reason = "the time has no time zone (Z or ±HH:MM)";
    return 0;
  }
  const auto since_epoch = sys_days{date}.time_since_epoch() + hours{hour} + minutes{minute} + seconds{second} - zone;
  out = duration_cast<nanoseconds>(since_epoch) + fraction;
  return pos;
}

}  // namespace inferbench::replay
