#include "sim/sim_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace inferbench::sim {

namespace {

// Bucket bounds of vLLM V1 (vllm/v1/metrics/loggers.py).
std::vector<double> ttft_buckets() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
          1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
}
std::vector<double> itl_buckets() {
  return {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
}
std::vector<double> request_buckets() {
  return {0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
          30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
}
// vLLM's 1-2-5 series up to the model length (here: up to 100k tokens).
std::vector<double> length_buckets() {
  std::vector<double> b;
  for (double m = 1; m <= 100000; m *= 10) {
    for (double f : {1.0, 2.0, 5.0}) b.push_back(f * m);
  }
  return b;
}
std::vector<double> iteration_buckets() {
  std::vector<double> b = {1, 8};
  for (double v = 16; v <= 16384; v *= 2) b.push_back(v);
  return b;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, const char* name, const std::string& labels, double value) {
  fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

void histogram(std::string& out, const char* name, const char* help, const std::string& labels,
               const BucketHistogram& h) {
  header(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += h.counts()[i];
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, h.bounds()[i], cumulative);
  }
  fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, h.count());
  fmt::format_to(std::back_inserter(out), "{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, h.sum(), name, labels,
                 h.count());
}

}  // namespace

BucketHistogram::BucketHistogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void BucketHistogram::observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // le: value <= bound
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  sum_ += value;
  ++count_;
}

SimMetrics::SimMetrics(std::string model_name)
    : labels_(fmt::format("engine=\"0\",model_name=\"{}\"", model_name)),
      ttft_(ttft_buckets()),
      itl_(itl_buckets()),
      tpot_(itl_buckets()),
      e2e_(request_buckets()),
      queue_(request_buckets()),
      prefill_(request_buckets()),
      decode_(request_buckets()),
      inference_(request_buckets()),
      prompt_len_(length_buckets()),
      generation_len_(length_buckets()),
      max_tokens_(length_buckets()),
      iteration_tokens_(iteration_buckets()) {}

void SimMetrics::observe_finished(const FinishedTimes& t) {
  std::lock_guard lock(mutex_);
  ttft_.observe(t.ttft_s);
  e2e_.observe(t.e2e_s);
  queue_.observe(t.queue_s);
  prefill_.observe(t.prefill_s);
  decode_.observe(t.decode_s);
  inference_.observe(t.inference_s);
  if (t.output_tokens >= 2) tpot_.observe(t.tpot_s);
  prompt_len_.observe(t.prompt_tokens);
  generation_len_.observe(t.output_tokens);
  max_tokens_.observe(t.max_tokens);
  prompt_tokens_ += t.prompt_tokens;
  generation_tokens_ += t.output_tokens;
  ++(t.stopped ? success_stop_ : success_length_);
}

void SimMetrics::observe_itl(const std::vector<double>& gaps_s) {
  std::lock_guard lock(mutex_);
  for (const double g : gaps_s) itl_.observe(g);
}

void SimMetrics::observe_iteration(std::uint32_t tokens) {
  std::lock_guard lock(mutex_);
  iteration_tokens_.observe(tokens);
}

void SimMetrics::count_fault(Fault fault) {
  std::lock_guard lock(mutex_);
  ++faults_[static_cast<std::size_t>(fault)];
}

std::string SimMetrics::render(const SimGauges& g) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(std::size_t{16} * 1024);
  const std::string& l = labels_;
  header(out, "vllm:num_requests_running", "gauge", "Number of requests in model execution batches.");
  sample(out, "vllm:num_requests_running", l, g.running);
  header(out, "vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.");
  sample(out, "vllm:num_requests_waiting", l, g.waiting);
  if (g.kv_cache_usage) {
    header(out, "vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.");
    sample(out, "vllm:kv_cache_usage_perc", l, *g.kv_cache_usage);
  }
  if (g.num_gpu_blocks && g.block_size) {
    header(out, "vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig");
    sample(out, "vllm:cache_config_info",
           fmt::format("block_size=\"{}\",{},num_gpu_blocks=\"{}\"", *g.block_size, l, *g.num_gpu_blocks), 1.0);
  }
  if (g.prefix_cache_queries && g.prefix_cache_hits) {
    header(out, "vllm:prefix_cache_queries_total", "counter",
           "Prefix cache queries, in terms of number of queried tokens.");
    sample(out, "vllm:prefix_cache_queries_total", l, static_cast<double>(*g.prefix_cache_queries));
    header(out, "vllm:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.");
    sample(out, "vllm:prefix_cache_hits_total", l, static_cast<double>(*g.prefix_cache_hits));
  }
  header(out, "vllm:num_preemptions_total", "counter", "Cumulative number of preemption from the engine.");
  sample(out, "vllm:num_preemptions_total", l, static_cast<double>(g.preemptions.value_or(0)));
  header(out, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.");
  sample(out, "vllm:prompt_tokens_total", l, static_cast<double>(g.prompt_tokens.value_or(prompt_tokens_)));
  header(out, "vllm:generation_tokens_total", "counter", "Number of generation tokens processed.");
  sample(out, "vllm:generation_tokens_total", l, static_cast<double>(g.generation_tokens.value_or(generation_tokens_)));
  header(out, "vllm:request_success_total", "counter", "Count of successfully processed requests.");
  sample(out, "vllm:request_success_total", l + ",finished_reason=\"stop\"", static_cast<double>(success_stop_));
  sample(out, "vllm:request_success_total", l + ",finished_reason=\"length\"", static_cast<double>(success_length_));
  histogram(out, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", l, ttft_);
  histogram(out, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", l, itl_);
  histogram(out, "vllm:request_time_per_output_token_seconds",
            "Histogram of time_per_output_token_seconds per request.", l, tpot_);
  histogram(out, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", l, e2e_);
  histogram(out, "vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", l, queue_);
  histogram(out, "vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.", l,
            prefill_);
  histogram(out, "vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", l,
            decode_);
  histogram(out, "vllm:request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request.", l,
            inference_);
  histogram(out, "vllm:request_prompt_tokens", "Number of prefill tokens processed.", l, prompt_len_);
  histogram(out, "vllm:request_generation_tokens", "Number of generation tokens processed.", l, generation_len_);
  histogram(out, "vllm:request_params_max_tokens", "Histogram of the max_tokens request parameter.", l, max_tokens_);
  histogram(out, "vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.", l, iteration_tokens_);
  header(out, "inferbench_sim_injected_faults_total", "counter", "Faults the simulator injected, by type.");
  for (std::size_t i = 1; i < kFaultKinds; ++i) {
    sample(out, "inferbench_sim_injected_faults_total",
           fmt::format("{},type=\"{}\"", l, fault_name(static_cast<Fault>(i))), static_cast<double>(faults_[i]));
  }
  return out;
}

}  // namespace inferbench::sim
