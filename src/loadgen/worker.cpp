#include "loadgen/worker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace inferbench::loadgen {

namespace net = boost::asio;

// Only the worker's thread touches its sockets and timers (stop() posts to it), so the reactor
// needs no lock per socket operation; posting from other threads stays locked.
Worker::Worker(SharedRun& run)
    : run_(run), ioc_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO), target_(run.targets->make(ioc_)), dispatch_timer_(ioc_) {}

Worker::~Worker() {
  stop();
  join();
}

void Worker::run_thread() {
  thread_ = std::thread([this] {
    ioc_.run();
    // The client's own cost, apart from anything else in the process (the built-in simulator).
    timespec cpu{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    cpu_seconds_ = static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) * 1e-9;
    finished_.store(true);
  });
}

void Worker::start_closed(int first_user, int users) {
  for (int u = 0; u < users; ++u) {
    const auto user =
        schedule::global_number(run_.shard, static_cast<std::size_t>(first_user) + static_cast<std::size_t>(u));
    net::co_spawn(ioc_, user_loop(static_cast<int>(user)), net::detached);
  }
  run_thread();
}

void Worker::start_open(std::vector<std::size_t> numbers, const std::vector<Duration>& offsets, int cap) {
  cap_ = cap;
  net::co_spawn(ioc_, open_dispatch(std::move(numbers), &offsets), net::detached);
  run_thread();
}

void Worker::stop() {
  net::post(ioc_, [this] {
    stopping_ = true;
    waiting_.clear();
    dispatch_timer_.cancel();
    target_->shutdown();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

net::awaitable<void> Worker::user_loop(int user) {
  // Users start together at the common start time, or spread over the ramp-up (10,000 users
  // connecting at once overflow a server's listen backlog).
  net::steady_timer timer(ioc_);
  const auto ramp_offset = std::chrono::duration_cast<Duration>(run_.ramp_up * user / std::max(1, run_.users));
  timer.expires_at(run_.start + ramp_offset);
  boost::system::error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  // A user whose requests cannot reach the server waits before the next one, doubling from
  // 10 ms to 1 s: a dead server is not hammered with ~11,000 failing connects a second.
  Duration backoff{};
  for (;;) {
    if (stopping_) co_return;
    if (run_.deadline && Clock::now() >= *run_.deadline) co_return;
    const std::size_t number = schedule::global_number(run_.shard, run_.next.fetch_add(1, std::memory_order_relaxed));
    if (number >= run_.limit) co_return;
    ++in_flight_;
    const metrics::Failure failure = co_await send(number, Clock::now());
    if (!is_unreachable(failure)) {
      backoff = Duration::zero();
      continue;
    }
    backoff = std::clamp<Duration>(backoff * 2, std::chrono::milliseconds(10), std::chrono::seconds(1));
    timer.expires_after(backoff);
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

net::awaitable<void> Worker::open_dispatch(std::vector<std::size_t> numbers, const std::vector<Duration>* offsets) {
  boost::system::error_code ec;
  std::size_t next = 0;
  while (next < numbers.size()) {
    dispatch_timer_.expires_at(run_.start + (*offsets)[numbers[next]]);
    co_await dispatch_timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (stopping_) co_return;
    // Every request already due goes now, not one per timer wake-up: a worker that fell behind
    // would otherwise pay a timer round trip (two timerfd_settime calls) for each late request,
    // and the cost of being late would keep it late. The intended time stays `due`: the lag
    // from a late wake-up or the cap is measured.
    const TimePoint now = Clock::now();
    do {
      const TimePoint due = run_.start + (*offsets)[numbers[next]];
      if (due > now) break;
      waiting_.emplace_back(numbers[next], due);
      ++next;
    } while (next < numbers.size());
    pump();
  }
}

void Worker::pump() {
  while (!waiting_.empty() && !stopping_ && (cap_ == 0 || in_flight_ < cap_)) {
    const auto [number, scheduled] = waiting_.front();
    waiting_.pop_front();
    launch(number, scheduled);
  }
}

void Worker::launch(std::size_t number, TimePoint scheduled) {
  // Counted here, not when the coroutine starts: co_spawn only queues it, and pump() must
  // see the slot taken before it looks at the next waiting request.
  ++in_flight_;
  net::co_spawn(ioc_, send(number, scheduled), net::detached);
}

net::awaitable<metrics::Failure> Worker::send(std::size_t number, TimePoint scheduled) {
  run_.launched.fetch_add(1, std::memory_order_relaxed);  // closed and open loop both start here
  const auto& specs = *run_.specs;
  const workload::RequestSpec& spec = specs[number % specs.size()];

  metrics::RequestRecord record;
  record.id = number;
  // Requests sent during the ramp-up saw a server not yet at its load: excluded like warm-up.
  record.warmup = number < run_.warmup || scheduled < run_.start + run_.ramp_up;
  record.scheduled = scheduled;
  record.client_prompt_tokens = spec.input_tokens;
  record.max_tokens = spec.max_tokens;
  // Room for one chunk per token plus slack, so the hot path does not grow the vector; bounded,
  // because max_tokens is the user's number (10^9 would reserve 16 GB before a byte is sent).
  constexpr std::int64_t kMaxReservedChunks = 1 << 16;
  record.chunks.reserve(static_cast<std::size_t>(std::clamp<std::int64_t>(spec.max_tokens, 1, kMaxReservedChunks)) + 8);

  RecordSink sink(record, run_.sink);
  // Every request started ends in the results, whatever happens inside the target: an
  // exception here would otherwise end this coroutine, and its virtual user, silently.
  try {
    co_await target_->start(spec, number, sink);
  } catch (const std::exception& e) {
    sink.on_done(Clock::now(), metrics::Failure::ClientError, fmt::format("the client failed: {}", e.what()));
  }
  const metrics::Failure failure = record.failure;
  run_.collector->push(std::move(record));
  --in_flight_;
  pump();
  co_return failure;
}

}  // namespace inferbench::loadgen
