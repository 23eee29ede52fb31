#pragma once
// EngineModel: a continuous-batching LLM engine (vLLM V1 scheduler) simulated in virtual time.
// No threads, no real clock: the caller submits requests stamped with virtual arrival times
// and calls step(); each step runs one engine iteration — running sequences first (one decode
// token each, or their next prefill chunk), then waiting ones FIFO while sequence slots, KV
// blocks and the token budget allow — and returns when it started and ended (virtual seconds)
// and the tokens it emitted. Deterministic: the same calls give the same results.
//
// Driving it from a real-time server: under a mutex, submit() each request with arrival =
// virtual now; a dedicated thread loops { r = step(); copy r.events; sleep until r.end_s maps
// to real time; deliver the tokens }. When has_work() is false, wait for a submit().
#include <cstdint>
#include <deque>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/model/kv_cache.hpp"
#include "sim/model/presets.hpp"
#include "sim/model/roofline.hpp"

namespace inferbench::sim {

// Engine configuration (vLLM engine-argument names where one exists).
struct EngineConfig {
  ModelPreset model = find_model("Llama-3.1-8B");   // the model (see find_model)
  HardwarePreset hardware = find_hardware("H100");  // one accelerator (see find_hardware)
  RooflineParams roofline;                          // step-time efficiencies and TP degree
  std::uint32_t max_num_seqs = 256;                 // running sequences at most
  std::uint32_t max_num_batched_tokens = 8192;      // token budget per iteration (chunked prefill)
  std::uint32_t block_size = 16;                    // tokens per KV block
  double gpu_memory_utilization = 0.9;              // fraction of device memory the engine may use
  double activation_reserve_bytes = -1;             // per-GPU activation/runtime reserve; <0 = estimate
  std::uint32_t num_gpu_blocks_override = 0;        // KV capacity in blocks; 0 = from memory
  bool enable_prefix_caching = true;                // reuse KV blocks of identical prefixes
  std::uint32_t max_waiting = 0;                    // waiting-queue limit (submit rejects beyond); 0 = none
  std::uint32_t max_model_len = 0;                  // prompt + max_tokens limit; 0 = KV capacity
  double watermark = 0.01;                          // fraction of blocks kept free when admitting
  double admission_delay_s = 0.004;                 // arrival → schedulable (API server, tokenize), s
  std::uint64_t seed = 0;                           // salts the content hash of unshared blocks
};

// An EngineConfig for preset names (case-insensitive) and TP degree; throws Error on unknown
// names. Other fields keep their defaults.
EngineConfig make_engine_config(std::string_view model, std::string_view hardware, std::uint32_t tensor_parallel = 1);

// One request to the engine. Give the prompt as token ids (prefix caching hashes real blocks),
// or cheaply as a length, optionally with per-block content hashes that say which full
// prompt blocks are shared with other requests (blocks without one are unique).
struct SeqRequest {
  std::uint64_t id = 0;                      // caller's id, unique among live requests
  std::vector<std::uint32_t> prompt_tokens;  // token ids; if empty, prompt_len is used
  std::uint32_t prompt_len = 0;              // prompt length when prompt_tokens is empty
  std::vector<std::uint64_t> block_hashes;   // content hash of full prompt block i (optional)
  std::uint32_t max_tokens = 16;             // output tokens at most (finish_reason length)
  std::uint32_t stop_after = 0;              // if 0 < n < max_tokens: stop after n (reason stop)
  double arrival_s = 0;                      // virtual arrival time, seconds

  // A request whose prompt is the given token ids.
  static SeqRequest from_tokens(std::uint64_t id, std::vector<std::uint32_t> tokens, std::uint32_t max_tokens,
                                double arrival_s);
  // A request with a unique prompt of `prompt_len` tokens.
  static SeqRequest from_length(std::uint64_t id, std::uint32_t prompt_len, std::uint32_t max_tokens, double arrival_s);
  // Prompt length in tokens.
  std::uint32_t length() const;
};

// Outcome of submit().
enum class SubmitStatus { kAccepted, kQueueFull, kTooLong, kInvalid };
// Why a request finished.
enum class FinishReason { kLength, kStop, kAbort };
// "accepted", "queue_full", … for logs.
std::string_view to_string(SubmitStatus s);
// "length", "stop", "abort" (vLLM's finished_reason label).
std::string_view to_string(FinishReason r);

// What happened to one sequence in one iteration.
struct SeqEvent {
  std::uint64_t id = 0;          // request id
  std::uint32_t tokens = 0;      // output tokens emitted at the iteration's end (0 or 1)
  std::uint32_t num_output = 0;  // output tokens emitted so far, including these
  double latency_s = 0;          // TTFT (first token, from arrival) or gap since previous token
  bool first = false;            // this is the request's first output token
  bool finished = false;         // request finished; details in IterationResult::finished
  bool preempted = false;        // evicted for recompute; back at the head of the queue
};

// Timings of a finished request, vLLM V1 definitions (seconds, virtual time).
struct FinishedRequest {
  std::uint64_t id = 0;                         // request id
  FinishReason reason = FinishReason::kLength;  // why it finished
  std::uint32_t prompt_tokens = 0;              // prompt length
  std::uint32_t output_tokens = 0;              // tokens generated
  std::uint32_t cached_tokens = 0;              // prompt tokens served from the prefix cache (first admission)
  std::uint32_t max_tokens = 0;                 // the request's max_tokens
  std::uint32_t preemptions = 0;                // times it was preempted
  double arrival_s = 0;                         // arrival time
  double queue_s = 0;                           // schedulable → first scheduled
  double prefill_s = 0;                         // first scheduled → first token
  double decode_s = 0;                          // first token → last token
  double inference_s = 0;                       // first scheduled → last token
  double e2e_s = 0;                             // arrival → finish
  double ttft_s = 0;                            // arrival → first token
  double tpot_s = 0;                            // decode_s / (output_tokens − 1); 0 if < 2 tokens
};

// Result of one step(); owned by the engine and overwritten by the next step().
struct IterationResult {
  double start_s = 0;                     // virtual start of the iteration, seconds
  double end_s = 0;                       // virtual end; emitted tokens are due then
  bool idle = true;                       // no work: nothing ran, times equal now()
  std::uint32_t scheduled_seqs = 0;       // sequences that computed tokens
  std::uint32_t prefill_tokens = 0;       // prompt (or recompute) tokens computed
  std::uint32_t decode_tokens = 0;        // decode tokens computed
  std::uint32_t preempted = 0;            // sequences preempted in this iteration
  StepTime time;                          // step-time breakdown
  std::vector<SeqEvent> events;           // per sequence: tokens, finish, preemption
  std::vector<FinishedRequest> finished;  // requests that finished at end_s
  // Tokens computed in the iteration (vLLM's iteration_tokens_total observation).
  std::uint32_t tokens() const { return prefill_tokens + decode_tokens; }
};

// Live engine state and counters (vLLM /metrics).
struct EngineStats {
  std::uint32_t running = 0;               // vllm:num_requests_running
  std::uint32_t waiting = 0;               // vllm:num_requests_waiting
  double kv_cache_usage = 0;               // vllm:kv_cache_usage_perc, 0–1
  std::uint32_t num_gpu_blocks = 0;        // KV capacity, blocks (cache_config_info)
  std::uint32_t block_size = 0;            // tokens per block (cache_config_info)
  std::uint64_t prefix_cache_queries = 0;  // prompt tokens looked up (first admissions), tokens
  std::uint64_t prefix_cache_hits = 0;     // of which found cached, tokens
  std::uint64_t preemptions = 0;           // vllm:num_preemptions_total
  std::uint64_t prompt_tokens = 0;         // vllm:prompt_tokens_total (counted at first token)
  std::uint64_t generation_tokens = 0;     // vllm:generation_tokens_total
  std::uint64_t finished_length = 0;       // request_success_total{finished_reason="length"}
  std::uint64_t finished_stop = 0;         // request_success_total{finished_reason="stop"}
  std::uint64_t finished_abort = 0;        // request_success_total{finished_reason="abort"}
  std::uint64_t rejected = 0;              // submits refused (queue full, too long, invalid)
  std::uint64_t iterations = 0;            // non-idle steps run
};

// Read-only view of one live sequence (tests, diagnostics).
struct SeqInfo {
  std::uint64_t id = 0;            // request id
  bool running = false;            // running (else waiting)
  std::uint32_t prompt_len = 0;    // prompt tokens
  std::uint32_t num_output = 0;    // output tokens emitted so far
  std::uint32_t num_computed = 0;  // tokens whose KV is cached
  std::uint32_t num_blocks = 0;    // KV blocks in its block table
  std::uint32_t preemptions = 0;   // times preempted
};

// The engine. Not thread-safe: one owner (or a mutex) drives submit/step/abort.
class EngineModel {
 public:
  // Validates `config` (throws Error) and sizes the KV cache from memory.
  explicit EngineModel(EngineConfig config);

  // Enqueues a request (FIFO; submit in nondecreasing arrival order). Rejects when the waiting
  // queue is full, the request can never fit, or the id is live or the lengths are zero.
  SubmitStatus submit(SeqRequest request);
  // Runs one iteration (see file comment); when running is empty it starts at the head's
  // schedulable time. Returns an idle result if there is nothing to do. Valid until next call.
  const IterationResult& step();
  // Removes a live request (client gone), freeing its blocks; false if unknown.
  bool abort(std::uint64_t id);

  double now() const { return now_; }  // virtual time: end of the last iteration, seconds
  // Whether any request is running or waiting.
  bool has_work() const { return !running_.empty() || !waiting_.empty(); }
  // When the next step() would start (virtual s); +infinity if there is no work.
  double next_step_time() const;
  // Live stats and counters.
  EngineStats stats() const;
  // Live sequences: running in admission order, then waiting in queue order (allocates).
  std::vector<SeqInfo> sequences() const;
  // The KV capacity in blocks.
  std::uint32_t num_gpu_blocks() const { return pool_.num_blocks(); }
  // The prompt + max_tokens limit in force: config's max_model_len capped at the KV capacity.
  std::uint32_t max_model_len() const { return max_model_len_; }
  // The step-time model in use.
  const StepTimeModel& step_model() const { return step_model_; }
  // The configuration in use (num_gpu_blocks_override filled in).
  const EngineConfig& config() const { return config_; }
  // The block pool (read-only, for tests and diagnostics).
  const KvBlockPool& pool() const { return pool_; }

  // KV capacity in blocks that `config` yields from device memory (throws Error if the model
  // does not fit).
  static std::uint32_t compute_num_gpu_blocks(const EngineConfig& config);

 private:
  // One request's state, in a reused slot.
  struct Seq {
    std::uint64_t id = 0;
    std::uint64_t uid = 0;               // engine-unique, salts unshared block hashes
    std::vector<std::uint32_t> tokens;   // prompt token ids (may be empty)
    std::vector<std::uint64_t> content;  // per-block prompt content hashes (may be empty)
    std::vector<std::uint32_t> blocks;   // block table
    std::vector<std::uint64_t> hashes;   // chained hashes of full blocks, computed lazily
    std::uint32_t prompt_len = 0;
    std::uint32_t max_tokens = 0;
    std::uint32_t stop_after = 0;
    std::uint32_t num_output = 0;
    std::uint32_t num_computed = 0;    // tokens whose KV is in the cache
    std::uint32_t num_registered = 0;  // leading blocks registered in the prefix cache
    std::uint32_t cached_tokens = 0;
    std::uint32_t preemptions = 0;
    double arrival = 0;
    double eligible = 0;
    double first_scheduled = -1;
    double first_token = -1;
    double last_token = -1;
    bool running = false;
    std::uint32_t total_len() const { return prompt_len + num_output; }
  };
  struct Scheduled {
    std::uint32_t slot;
    std::uint32_t num_new;
  };

  Seq& seq(std::uint32_t slot) { return seqs_[slot]; }
  std::uint64_t block_hash(Seq& s, std::uint32_t block_index);
  bool grow_blocks(Seq& s, std::uint32_t tokens);
  void free_blocks(Seq& s);
  void preempt(std::uint32_t slot);
  bool try_admit(std::uint32_t slot, std::uint32_t& budget, double start);
  void finish(std::uint32_t slot, FinishReason reason, double t);
  void release_slot(std::uint32_t slot);

  EngineConfig config_;
  StepTimeModel step_model_;
  KvBlockPool pool_;
  std::uint32_t watermark_blocks_ = 0;
  std::uint32_t max_model_len_ = 0;
  double now_ = 0;
  std::uint64_t next_uid_ = 1;

  std::vector<Seq> seqs_;  // slab of sequences, indexed by slot
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<std::uint64_t, std::uint32_t> live_;  // request id -> slot
  std::deque<std::uint32_t> waiting_;                      // FIFO; preempted ones return to the front
  std::vector<std::uint32_t> running_;                     // admission order; preemption takes the back
  std::vector<Scheduled> scheduled_;                       // this iteration's work
  std::vector<std::uint32_t> lookup_;                      // scratch: prefix-cache hits of one admission
  IterationResult result_;
  EngineStats counters_;
};

}  // namespace inferbench::sim
