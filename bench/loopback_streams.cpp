// Loopback accuracy and cost of the engine with many concurrent streams.
//
// Starts sim::SimServer in-process (record_emissions = true) and runs the engine against it
// (loadgen::HttpTargets + loadgen::run_load, closed loop). Then matches every request's
// measured chunk times (RequestRecord.chunks[k].t, stamped when the read returned) with the
// times the simulator handed each chunk to the socket (keyed by x-request-id = record.id), and
// reports, over all streams:
//   gap error   |measured inter-chunk gap - emitted gap|   (what ITL/TPOT accuracy depends on)
//   delivery    receive time - emission time, per chunk     (loopback + scheduling delay)
// plus the CPU used by the client and by the simulator, streams completed and tokens/s.
//
// CPU split: the simulator's I/O threads are the threads that appear in /proc/self/task when
// SimServer::start() runs; their utime+stime is read from /proc/self/task/TID/stat before and
// after the load. Client CPU = whole-process CPU (getrusage RUSAGE_SELF) over the same window
// minus the simulator's. It therefore includes the engine's workers, the collector thread and
// the main thread's 50 ms progress poll; request building (HttpTargets) and the matching
// are outside the window. Tick resolution is 1/CLK_TCK (10 ms).
//
// Target (docs/performance.md): with 1,000 concurrent streams, p99 gap error <= 1 ms.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "loadgen/http_target.hpp"
#include "loadgen/runner.hpp"
#include "loadgen/worker.hpp"
#include "sim/server.hpp"
#include "workload/word_prompts.hpp"

namespace {

using namespace inferbench;

struct Args {
  int streams = 1000;              // concurrent streams (closed-loop users)
  int rounds = 2;                  // requests per stream: num_requests = streams * rounds
  std::vector<int> workers{1, 2};  // client worker counts to try, one run each
  int sim_threads = 1;
  double ttft_ms = 50;
  double itl_ms = 20;
  int output_tokens = 128;
  int input_tokens = 64;
  int tokens_per_chunk = 1;
  bool chat = true;
  bool stagger = false;  // diagnostic: spread stream starts evenly over one ITL
};

[[noreturn]] void usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s [--streams N] [--rounds R] [--workers 1,2] [--sim-threads T] [--ttft-ms MS]\n"
               "          [--itl-ms MS] [--output-tokens N] [--input-tokens N] [--tokens-per-chunk N]\n"
               "          [--api chat|completions] [--stagger 0|1]\n"
               "--stagger 1 replaces the closed loop by an open-loop plan whose round r, stream i starts at\n"
               "r * (one stream's duration + 250 ms) + i * itl / streams, so chunk emissions are spread\n"
               "evenly instead of all streams emitting in the same instant (a diagnostic).\n",
               self);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(argv[0]);
    const std::string v = argv[++i];
    if (k == "--streams")
      a.streams = std::stoi(v);
    else if (k == "--rounds")
      a.rounds = std::stoi(v);
    else if (k == "--sim-threads")
      a.sim_threads = std::stoi(v);
    else if (k == "--ttft-ms")
      a.ttft_ms = std::stod(v);
    else if (k == "--itl-ms")
      a.itl_ms = std::stod(v);
    else if (k == "--output-tokens")
      a.output_tokens = std::stoi(v);
    else if (k == "--input-tokens")
      a.input_tokens = std::stoi(v);
    else if (k == "--tokens-per-chunk")
      a.tokens_per_chunk = std::stoi(v);
    else if (k == "--api")
      a.chat = v == "chat";
    else if (k == "--stagger")
      a.stagger = v == "1" || v == "true";
    else if (k == "--workers") {
      a.workers.clear();
      std::stringstream ss(v);
      for (std::string w; std::getline(ss, w, ',');) a.workers.push_back(std::stoi(w));
    } else {
      usage(argv[0]);
    }
  }
  if (a.streams < 1 || a.rounds < 1 || a.workers.empty()) usage(argv[0]);
  return a;
}

std::set<int> task_ids() {
  std::set<int> ids;
  if (DIR* d = opendir("/proc/self/task")) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ids.insert(std::atoi(e->d_name));
    }
    closedir(d);
  }
  return ids;
}

struct Cpu {
  double user = 0, sys = 0;
  double total() const { return user + sys; }
};
Cpu operator-(Cpu a, Cpu b) { return {a.user - b.user, a.sys - b.sys}; }

// utime + stime of one thread of this process.
Cpu thread_cpu(int tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  const auto close = s.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return {};
  std::istringstream in(s.substr(close + 2));
  std::string field;
  // Fields after the name start at 3 (state); utime and stime are fields 14 and 15.
  for (int i = 3; i < 14; ++i) in >> field;
  double ut = 0, st = 0;
  in >> ut >> st;
  const double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {ut / tck, st / tck};
}

Cpu threads_cpu(const std::set<int>& tids) {
  Cpu c;
  for (int t : tids) {
    const Cpu x = thread_cpu(t);
    c.user += x.user;
    c.sys += x.sys;
  }
  return c;
}

Cpu process_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](timeval tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
  return {sec(ru.ru_utime), sec(ru.ru_stime)};
}

// Exact quantile (nearest rank) of a sorted vector.
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return NAN;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Result {
  int workers = 0;
  std::size_t requests = 0, ok = 0, matched = 0, mismatched = 0;
  std::size_t gaps = 0;
  std::vector<double> gap_err_ms, delivery_ms;
  std::vector<double> emitted_gap_ms;   // the simulator's own gaps (itl when it keeps up)
  std::vector<double> ttft_ms, e2e_ms;  // measured: sent -> first chunk, sent -> done
  double wall_s = 0, tokens_per_s = 0;
  Cpu client, server;
  std::size_t gaps_over_1ms = 0;
};

Result run_once(const Args& a, int workers) {
  sim::SimOptions so;
  so.port = 0;
  so.ttft_ms = a.ttft_ms;
  so.itl_ms = a.itl_ms;
  so.tokens_per_chunk = a.tokens_per_chunk;
  so.threads = a.sim_threads;
  so.record_emissions = true;
  const std::set<int> before = task_ids();
  sim::SimServer server(so);
  server.start();
  std::set<int> sim_tids;
  for (int t : task_ids()) {
    if (!before.count(t)) sim_tids.insert(t);
  }

  loadgen::HttpTargetOptions target;
  target.client.url = http::Url::parse("http://127.0.0.1:" + std::to_string(server.port()));
  target.api = a.chat ? protocol::Api::Chat : protocol::Api::Completions;
  target.model = so.model;
  const std::size_t total = static_cast<std::size_t>(a.streams) * static_cast<std::size_t>(a.rounds);
  const auto specs = workload::make_word_prompts(std::min<std::size_t>(total, 256), a.input_tokens, a.output_tokens, 1);
  const loadgen::HttpTargets targets(target, specs);

  loadgen::LoadPlan plan;
  plan.load.mode = metrics::LoadSpec::Mode::Closed;
  plan.load.concurrency = a.streams;
  plan.num_requests = total;
  plan.workers = workers;
  if (a.stagger) {
    plan.load.mode = metrics::LoadSpec::Mode::Open;
    plan.load.concurrency = 0;
    plan.num_requests = 0;
    const Duration round = from_ms(a.ttft_ms + a.itl_ms * a.output_tokens + 250);
    for (std::size_t i = 0; i < total; ++i) {
      const auto r = static_cast<double>(i / static_cast<std::size_t>(a.streams));
      const auto k = static_cast<double>(i % static_cast<std::size_t>(a.streams));
      plan.offsets.push_back(std::chrono::duration_cast<Duration>(round * r) + from_ms(k * a.itl_ms / a.streams));
    }
  }

  const Cpu sim0 = threads_cpu(sim_tids);
  const Cpu proc0 = process_cpu();
  const TimePoint t0 = Clock::now();
  loadgen::LoadResult load = loadgen::run_load(targets, specs, plan, {});
  const TimePoint t1 = Clock::now();
  const Cpu proc1 = process_cpu();
  const Cpu sim1 = threads_cpu(sim_tids);
  const auto emissions = server.emissions();  // before stop(): stopping drops the recorded times
  server.stop();

  Result r;
  r.workers = workers;
  r.server = sim1 - sim0;
  r.client = (proc1 - proc0) - r.server;
  r.wall_s = to_s(t1 - t0);
  r.requests = load.records.size();
  std::int64_t tokens = 0;
  for (const auto& rec : load.records) {
    if (!rec.ok()) continue;
    ++r.ok;
    tokens += rec.usage.completion_tokens.value_or(0);
    const auto it = emissions.find(std::to_string(rec.id));
    if (it == emissions.end() || it->second.chunk_times.size() != rec.chunks.size()) {
      ++r.mismatched;
      continue;
    }
    ++r.matched;
    r.ttft_ms.push_back(to_ms(rec.chunks.front().t - *rec.sent));
    r.e2e_ms.push_back(to_ms(rec.done - *rec.sent));
    const auto& e = it->second.chunk_times;
    for (std::size_t k = 0; k < e.size(); ++k) {
      r.delivery_ms.push_back(to_ms(rec.chunks[k].t - e[k]));
      if (k == 0) continue;
      const double measured = to_ms(rec.chunks[k].t - rec.chunks[k - 1].t);
      const double emitted = to_ms(e[k] - e[k - 1]);
      r.gap_err_ms.push_back(std::abs(measured - emitted));
      r.emitted_gap_ms.push_back(emitted);
    }
  }
  r.gaps = r.gap_err_ms.size();
  r.gaps_over_1ms = static_cast<std::size_t>(
      std::count_if(r.gap_err_ms.begin(), r.gap_err_ms.end(), [](double x) { return x > 1.0; }));
  std::sort(r.gap_err_ms.begin(), r.gap_err_ms.end());
  std::sort(r.delivery_ms.begin(), r.delivery_ms.end());
  std::sort(r.emitted_gap_ms.begin(), r.emitted_gap_ms.end());
  std::sort(r.ttft_ms.begin(), r.ttft_ms.end());
  std::sort(r.e2e_ms.begin(), r.e2e_ms.end());
  r.tokens_per_s = static_cast<double>(tokens) / r.wall_s;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::printf(
      "loopback_streams: %d concurrent streams x %d rounds%s, %s, ttft %.0f ms, itl %.0f ms, %d output tokens "
      "(%d per chunk), %d input tokens, sim threads %d, nproc %ld\n",
      a.streams, a.rounds, a.stagger ? " (staggered starts, open loop)" : " (closed loop)",
      a.chat ? "chat" : "completions", a.ttft_ms, a.itl_ms, a.output_tokens, a.tokens_per_chunk, a.input_tokens,
      a.sim_threads, sysconf(_SC_NPROCESSORS_ONLN));
  std::fflush(stdout);
  std::vector<Result> results;
  for (int w : a.workers) {
    results.push_back(run_once(a, w));
    std::printf("  workers=%d done in %.1f s\n", w, results.back().wall_s);
    std::fflush(stdout);
  }
  bool pass = true;
  std::printf("\n%-34s", "client workers");
  for (const auto& r : results) std::printf("%14d", r.workers);
  auto row = [&](const char* name, auto f, const char* fmt = "%14.3f") {
    std::printf("\n%-34s", name);
    for (const auto& r : results) std::printf(fmt, f(r));
  };
  row(
      "streams completed (ok/sent)", [](const Result& r) { return static_cast<double>(r.ok); }, "%14.0f");
  row(
      "  failed", [](const Result& r) { return static_cast<double>(r.requests - r.ok); }, "%14.0f");
  row(
      "  matched to emissions", [](const Result& r) { return static_cast<double>(r.matched); }, "%14.0f");
  row(
      "  chunk count mismatch", [](const Result& r) { return static_cast<double>(r.mismatched); }, "%14.0f");
  row(
      "inter-chunk gaps compared", [](const Result& r) { return static_cast<double>(r.gaps); }, "%14.0f");
  row("|gap error| p50 (ms)", [](const Result& r) { return quantile(r.gap_err_ms, 0.50); });
  row("|gap error| p99 (ms)", [](const Result& r) { return quantile(r.gap_err_ms, 0.99); });
  row("|gap error| p99.9 (ms)", [](const Result& r) { return quantile(r.gap_err_ms, 0.999); });
  row("|gap error| max (ms)", [](const Result& r) { return quantile(r.gap_err_ms, 1.0); });
  row("gaps with error > 1 ms (%)", [](const Result& r) {
    return r.gaps ? 100.0 * static_cast<double>(r.gaps_over_1ms) / static_cast<double>(r.gaps) : NAN;
  });
  row("delivery (recv - emit) p50 (ms)", [](const Result& r) { return quantile(r.delivery_ms, 0.50); });
  row("delivery (recv - emit) p99 (ms)", [](const Result& r) { return quantile(r.delivery_ms, 0.99); });
  row("delivery (recv - emit) max (ms)", [](const Result& r) { return quantile(r.delivery_ms, 1.0); });
  row("sim emitted gap p50 (ms)", [](const Result& r) { return quantile(r.emitted_gap_ms, 0.50); });
  row("sim emitted gap p99 (ms)", [](const Result& r) { return quantile(r.emitted_gap_ms, 0.99); });
  row("sim emitted gap max (ms)", [](const Result& r) { return quantile(r.emitted_gap_ms, 1.0); });
  row("measured TTFT p50 (ms)", [](const Result& r) { return quantile(r.ttft_ms, 0.50); });
  row("measured TTFT p99 (ms)", [](const Result& r) { return quantile(r.ttft_ms, 0.99); });
  row("measured TTFT max (ms)", [](const Result& r) { return quantile(r.ttft_ms, 1.0); });
  row("measured E2E p50 (ms)", [](const Result& r) { return quantile(r.e2e_ms, 0.50); });
  row("measured E2E max (ms)", [](const Result& r) { return quantile(r.e2e_ms, 1.0); });
  row(
      "wall time (s)", [](const Result& r) { return r.wall_s; }, "%14.2f");
  row(
      "tokens/s (usage, ok streams)", [](const Result& r) { return r.tokens_per_s; }, "%14.0f");
  row(
      "client CPU user+sys (s)", [](const Result& r) { return r.client.total(); }, "%14.2f");
  row(
      "  client user (s)", [](const Result& r) { return r.client.user; }, "%14.2f");
  row(
      "  client sys (s)", [](const Result& r) { return r.client.sys; }, "%14.2f");
  row(
      "client CPU per token (us)",
      [](const Result& r) { return r.tokens_per_s > 0 ? 1e6 * r.client.total() / (r.tokens_per_s * r.wall_s) : NAN; },
      "%14.2f");
  row(
      "sim CPU user+sys (s)", [](const Result& r) { return r.server.total(); }, "%14.2f");
  row(
      "sim CPU per token (us)",
      [](const Result& r) { return r.tokens_per_s > 0 ? 1e6 * r.server.total() / (r.tokens_per_s * r.wall_s) : NAN; },
      "%14.2f");
  std::printf("\n\n");
  for (const auto& r : results) {
    const double p99 = quantile(r.gap_err_ms, 0.99);
    const bool ok = r.ok == static_cast<std::size_t>(a.streams) * static_cast<std::size_t>(a.rounds) &&
                    r.mismatched == 0 && p99 <= 1.0;
    pass = pass && ok;
    std::printf("target (all %d streams ok, p99 |gap error| <= 1 ms) with %d worker(s): %s (p99 %.3f ms)\n", a.streams,
                r.workers, ok ? "MET" : "MISSED", p99);
  }
  return pass ? 0 : 1;
}
