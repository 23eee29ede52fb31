#include "sim/model/engine.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace inferbench::sim {
namespace {

constexpr std::uint64_t kRootHash = 0x6a09e667f3bcc908ull;

// A 64-bit finalizer (splitmix64): good avalanche, so chained block hashes do not collide in
// practice.
inline std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

inline std::uint64_t combine(std::uint64_t h, std::uint64_t v) {
  return mix(h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2)));
}

double gib(double bytes) { return bytes / (1024.0 * 1024.0 * 1024.0); }

}  // namespace

EngineConfig make_engine_config(std::string_view model, std::string_view hardware, std::uint32_t tensor_parallel) {
  EngineConfig c;
  c.model = find_model(model);
  c.hardware = find_hardware(hardware);
  c.roofline.tensor_parallel = tensor_parallel;
  return c;
}

SeqRequest SeqRequest::from_tokens(std::uint64_t id, std::vector<std::uint32_t> tokens, std::uint32_t max_tokens,
                                   double arrival_s) {
  SeqRequest r;
  r.id = id;
  r.prompt_tokens = std::move(tokens);
  r.max_tokens = max_tokens;
  r.arrival_s = arrival_s;
  return r;
}

SeqRequest SeqRequest::from_length(std::uint64_t id, std::uint32_t prompt_len, std::uint32_t max_tokens,
                                   double arrival_s) {
  SeqRequest r;
  r.id = id;
  r.prompt_len = prompt_len;
  r.max_tokens = max_tokens;
  r.arrival_s = arrival_s;
  return r;
}

std::uint32_t SeqRequest::length() const {
  return prompt_tokens.empty() ? prompt_len : static_cast<std::uint32_t>(prompt_tokens.size());
}

std::string_view to_string(SubmitStatus s) {
  switch (s) {
    case SubmitStatus::kAccepted: return "accepted";
    case SubmitStatus::kQueueFull: return "queue_full";
    case SubmitStatus::kTooLong: return "too_long";
    case SubmitStatus::kInvalid: return "invalid";
  }
  return "?";
}

std::string_view to_string(FinishReason r) {
  switch (r) {
    case FinishReason::kLength: return "length";
    case FinishReason::kStop: return "stop";
    case FinishReason::kAbort: return "abort";
  }
  return "?";
}

std::uint32_t EngineModel::compute_num_gpu_blocks(const EngineConfig& c) {
  require(c.gpu_memory_utilization > 0 && c.gpu_memory_utilization <= 1, "gpu_memory_utilization must be in (0, 1]");
  require(c.block_size >= 1, "block_size must be >= 1");
  const double tp = std::max<std::uint32_t>(c.roofline.tensor_parallel, 1);
  // Estimate of vLLM's profiled peak activations for one full token budget plus ~0.5 GiB of
  // CUDA graphs, NCCL buffers and allocator slack (docs/simulator.md).
  const double reserve = c.activation_reserve_bytes >= 0
                             ? c.activation_reserve_bytes
                             : c.max_num_batched_tokens * (2.0 * c.model.intermediate + 4.0 * c.model.hidden) *
                                       c.model.bytes_per_param / tp +
                                   0.5 * 1024 * 1024 * 1024;
  const double weights = c.model.weight_bytes() / tp;
  const double usable = c.hardware.memory_bytes * c.gpu_memory_utilization - weights - reserve;
  const double kv_per_token =
      c.model.kv_bytes_per_token() / std::min<double>(tp, std::max<std::uint32_t>(c.model.kv_heads, 1));
  const double blocks = std::floor(usable / (kv_per_token * c.block_size));
  if (blocks < 1) {
    throw Error("model " + c.model.name + " does not fit: " + std::to_string(gib(weights)) +
                " GiB of weights per GPU on " + c.hardware.name + " with " +
                std::to_string(gib(c.hardware.memory_bytes)) +
                " GiB (raise tensor parallelism or gpu_memory_utilization)");
  }
  return static_cast<std::uint32_t>(std::min(blocks, 4.0e9));
}

EngineModel::EngineModel(EngineConfig config)
    : config_(std::move(config)),
      step_model_(config_.model, config_.hardware, config_.roofline),
      pool_(config_.num_gpu_blocks_override ? config_.num_gpu_blocks_override : compute_num_gpu_blocks(config_),
            config_.enable_prefix_caching) {
  require(config_.max_num_seqs >= 1, "max_num_seqs must be >= 1");
  require(config_.max_num_batched_tokens >= 1, "max_num_batched_tokens must be >= 1");
  require(config_.block_size >= 1, "block_size must be >= 1");
  require(config_.watermark >= 0 && config_.watermark < 1, "watermark must be in [0, 1)");
  require(config_.admission_delay_s >= 0, "admission_delay_s must be >= 0");
  config_.num_gpu_blocks_override = pool_.num_blocks();
  watermark_blocks_ = static_cast<std::uint32_t>(config_.watermark * pool_.num_blocks());
  const std::uint64_t capacity =
      static_cast<std::uint64_t>(pool_.num_blocks() - watermark_blocks_) * config_.block_size;
  max_model_len_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(capacity, 0xffffffffu));
  if (config_.max_model_len > 0) max_model_len_ = std::min(max_model_len_, config_.max_model_len);
  require(max_model_len_ >= 2, "KV cache too small for any request");
  seqs_.reserve(std::size_t{config_.max_num_seqs} * 2);
  running_.reserve(config_.max_num_seqs);
  scheduled_.reserve(config_.max_num_seqs);
  result_.events.reserve(config_.max_num_seqs);
}

SubmitStatus EngineModel::submit(SeqRequest r) {
  const std::uint32_t len = r.length();
  SubmitStatus status = SubmitStatus::kAccepted;
  if (len == 0 || r.max_tokens == 0 || live_.count(r.id)) {
    status = SubmitStatus::kInvalid;
  } else if (static_cast<std::uint64_t>(len) + r.max_tokens > max_model_len_) {
    status = SubmitStatus::kTooLong;
  } else if (config_.max_waiting > 0 && waiting_.size() >= config_.max_waiting) {
    status = SubmitStatus::kQueueFull;
  }
  if (status != SubmitStatus::kAccepted) {
    ++counters_.rejected;
    return status;
  }
  std::uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(seqs_.size());
    seqs_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Seq& s = seqs_[slot];
  s.id = r.id;
  s.uid = next_uid_++;
  s.tokens = std::move(r.prompt_tokens);
  s.content = std::move(r.block_hashes);
  s.blocks.clear();
  s.hashes.clear();
  s.prompt_len = len;
  s.max_tokens = r.max_tokens;
  s.stop_after = (r.stop_after > 0 && r.stop_after < r.max_tokens) ? r.stop_after : 0;
  s.num_output = s.num_computed = s.num_registered = s.cached_tokens = s.preemptions = 0;
  s.arrival = r.arrival_s;
  s.eligible = r.arrival_s + config_.admission_delay_s;
  s.first_scheduled = s.first_token = s.last_token = -1;
  s.running = false;
  live_.emplace(r.id, slot);
  waiting_.push_back(slot);
  return status;
}

double EngineModel::next_step_time() const {
  if (!running_.empty()) return now_;
  if (waiting_.empty()) return std::numeric_limits<double>::infinity();
  return std::max(now_, seqs_[waiting_.front()].eligible);
}

std::uint64_t EngineModel::block_hash(Seq& s, std::uint32_t index) {
  const std::uint32_t bs = config_.block_size;
  while (s.hashes.size() <= index) {
    const auto j = static_cast<std::uint32_t>(s.hashes.size());
    const std::uint64_t parent = j == 0 ? kRootHash : s.hashes[j - 1];
    std::uint64_t content;
    const bool in_prompt = static_cast<std::uint64_t>(j + 1) * bs <= s.prompt_len;
    if (in_prompt && !s.tokens.empty()) {
      content = 0x243f6a8885a308d3ull;
      for (std::uint32_t k = j * bs; k < (j + 1) * bs; ++k) content = combine(content, s.tokens[k]);
    } else if (in_prompt && j < s.content.size()) {
      content = s.content[j];
    } else {
      // Generated tokens and prompts given by length only are unique to this sequence.
      content = combine(combine(config_.seed ^ 0x13198a2e03707344ull, s.uid), j);
    }
    std::uint64_t h = combine(parent, content);
    s.hashes.push_back(h == 0 ? 1 : h);
  }
  return s.hashes[index];
}

bool EngineModel::grow_blocks(Seq& s, std::uint32_t tokens) {
  const std::uint32_t need = (tokens + config_.block_size - 1) / config_.block_size;
  if (need <= s.blocks.size()) return true;
  const std::uint32_t more = need - static_cast<std::uint32_t>(s.blocks.size());
  if (more > pool_.num_free()) return false;
  for (std::uint32_t i = 0; i < more; ++i) s.blocks.push_back(pool_.allocate());
  return true;
}

void EngineModel::free_blocks(Seq& s) {
  // Tail blocks first, so they are evicted before the (more shareable) head of the prefix.
  for (auto it = s.blocks.rbegin(); it != s.blocks.rend(); ++it) pool_.release(*it);
  s.blocks.clear();
  s.num_computed = 0;
  s.num_registered = 0;
}

void EngineModel::preempt(std::uint32_t slot) {
  Seq& s = seqs_[slot];
  free_blocks(s);
  s.running = false;
  ++s.preemptions;
  ++counters_.preemptions;
  ++result_.preempted;
  waiting_.push_front(slot);
  SeqEvent ev;
  ev.id = s.id;
  ev.num_output = s.num_output;
  ev.preempted = true;
  result_.events.push_back(ev);
}

bool EngineModel::try_admit(std::uint32_t slot, std::uint32_t& budget, double start) {
  Seq& s = seqs_[slot];
  const std::uint32_t bs = config_.block_size;
  const std::uint32_t total = s.total_len();
  lookup_.clear();
  if (pool_.prefix_caching()) {
    // At least one token must be computed to produce logits, as in vLLM.
    const std::uint32_t max_hit_blocks = (total - 1) / bs;
    for (std::uint32_t j = 0; j < max_hit_blocks; ++j) {
      const std::uint32_t b = pool_.find_cached(block_hash(s, j));
      if (b == KvBlockPool::kNone) break;
      lookup_.push_back(b);
    }
  }
  const auto hits = static_cast<std::uint32_t>(lookup_.size());
  const std::uint32_t hit_tokens = hits * bs;
  const std::uint32_t num_new = std::min(total - hit_tokens, budget);
  const std::uint32_t need = (hit_tokens + num_new + bs - 1) / bs - hits;
  std::uint32_t idle_hits = 0;
  for (std::uint32_t b : lookup_) idle_hits += pool_.ref_count(b) == 0 ? 1 : 0;
  const std::uint32_t available = pool_.num_free() - idle_hits;
  if (available < static_cast<std::uint64_t>(need) + watermark_blocks_) return false;

  for (std::uint32_t b : lookup_) {
    pool_.acquire(b);
    s.blocks.push_back(b);
  }
  s.num_registered = hits;
  s.num_computed = hit_tokens;
  grow_blocks(s, hit_tokens + num_new);
  if (s.first_scheduled < 0) {
    s.first_scheduled = start;
    s.cached_tokens = hit_tokens;
    if (pool_.prefix_caching()) {
      counters_.prefix_cache_queries += total;
      counters_.prefix_cache_hits += hit_tokens;
    }
  }
  s.running = true;
  running_.push_back(slot);
  scheduled_.push_back({slot, num_new});
  budget -= num_new;
  return true;
}

void EngineModel::release_slot(std::uint32_t slot) {
  Seq& s = seqs_[slot];
  live_.erase(s.id);
  s.running = false;
  free_slots_.push_back(slot);
}

void EngineModel::finish(std::uint32_t slot, FinishReason reason, double t) {
  Seq& s = seqs_[slot];
  free_blocks(s);
  FinishedRequest f;
  f.id = s.id;
  f.reason = reason;
  f.prompt_tokens = s.prompt_len;
  f.output_tokens = s.num_output;
  f.cached_tokens = s.cached_tokens;
  f.max_tokens = s.max_tokens;
  f.preemptions = s.preemptions;
  f.arrival_s = s.arrival;
  f.e2e_s = t - s.arrival;
  if (s.first_scheduled >= 0) {
    f.queue_s = std::max(0.0, s.first_scheduled - s.eligible);
    f.inference_s = (s.last_token >= 0 ? s.last_token : t) - s.first_scheduled;
  }
  if (s.first_token >= 0) {
    f.ttft_s = s.first_token - s.arrival;
    f.prefill_s = s.first_token - s.first_scheduled;
    f.decode_s = s.last_token - s.first_token;
    if (s.num_output >= 2) f.tpot_s = f.decode_s / (s.num_output - 1);
  }
  switch (reason) {
    case FinishReason::kLength: ++counters_.finished_length; break;
    case FinishReason::kStop: ++counters_.finished_stop; break;
    case FinishReason::kAbort: ++counters_.finished_abort; break;
  }
  result_.finished.push_back(f);
  release_slot(slot);
}

bool EngineModel::abort(std::uint64_t id) {
  const auto it = live_.find(id);
  if (it == live_.end()) return false;
  const std::uint32_t slot = it->second;
  if (seqs_[slot].running) {
    running_.erase(std::find(running_.begin(), running_.end(), slot));
  } else {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), slot));
  }
  free_blocks(seqs_[slot]);
  ++counters_.finished_abort;
  release_slot(slot);
  return true;
}

const IterationResult& EngineModel::step() {
  IterationResult& r = result_;
  r.events.clear();
  r.finished.clear();
  r.scheduled_seqs = r.prefill_tokens = r.decode_tokens = r.preempted = 0;
  r.time = StepTime{};
  const double start = next_step_time();
  if (!std::isfinite(start)) {
    r.idle = true;
    r.start_s = r.end_s = now_;
    return r;
  }
  r.idle = false;
  now_ = start;
  scheduled_.clear();
  std::uint32_t budget = config_.max_num_batched_tokens;

  // 1. Running sequences, in admission order: a decode token or the next prefill chunk each.
  bool preempted_any = false;
  for (std::size_t i = 0; i < running_.size() && budget > 0;) {
    const std::uint32_t slot = running_[i];
    Seq& s = seqs_[slot];
    const std::uint32_t num_new = std::min(s.total_len() - s.num_computed, budget);
    bool self_preempted = false;
    while (!grow_blocks(s, s.num_computed + num_new)) {
      // Out of blocks: recompute the most recently admitted sequence later.
      const std::uint32_t victim = running_.back();
      running_.pop_back();
      preempt(victim);
      preempted_any = true;
      if (victim == slot) {
        self_preempted = true;
        break;
      }
    }
    if (self_preempted) break;
    scheduled_.push_back({slot, num_new});
    budget -= num_new;
    ++i;
  }

  // 2. Waiting sequences, FIFO, unless this iteration had to preempt.
  if (!preempted_any) {
    while (!waiting_.empty() && budget > 0 && running_.size() < config_.max_num_seqs) {
      const std::uint32_t slot = waiting_.front();
      if (seqs_[slot].eligible > start) break;
      if (!try_admit(slot, budget, start)) break;
      waiting_.pop_front();
    }
  }

  // 3. Step time from the batch's shape.
  BatchShape shape;
  for (const Scheduled& sc : scheduled_) {
    const Seq& s = seqs_[sc.slot];
    if (s.num_output > 0 && sc.num_new == 1 && s.num_computed + 1 == s.total_len()) {
      shape.add_decode(s.num_computed + 1);
      ++r.decode_tokens;
    } else {
      shape.add_prefill(sc.num_new, s.num_computed);
      r.prefill_tokens += sc.num_new;
    }
  }
  r.scheduled_seqs = static_cast<std::uint32_t>(scheduled_.size());
  r.time = step_model_.estimate(shape);
  const double end = start + r.time.total_s();
  r.start_s = start;
  r.end_s = end;
  now_ = end;
  ++counters_.iterations;

  // 4. Results at the iteration's end: KV written, one token sampled per completed sequence.
  const std::uint32_t bs = config_.block_size;
  for (const Scheduled& sc : scheduled_) {
    Seq& s = seqs_[sc.slot];
    s.num_computed += sc.num_new;
    if (pool_.prefix_caching()) {
      const std::uint32_t full = s.num_computed / bs;
      for (std::uint32_t j = s.num_registered; j < full; ++j) {
        pool_.cache(s.blocks[j], block_hash(s, j));
      }
      s.num_registered = std::max(s.num_registered, full);
    }
    if (s.num_computed < s.total_len()) continue;  // a prefill chunk; more to come
    ++s.num_output;
    ++counters_.generation_tokens;
    SeqEvent ev;
    ev.id = s.id;
    ev.tokens = 1;
    ev.num_output = s.num_output;
    if (s.first_token < 0) {
      s.first_token = end;
      ev.first = true;
      ev.latency_s = end - s.arrival;
      counters_.prompt_tokens += s.prompt_len;
    } else {
      ev.latency_s = end - s.last_token;
    }
    s.last_token = end;
    const bool stop = s.stop_after > 0 && s.num_output >= s.stop_after;
    ev.finished = stop || s.num_output >= s.max_tokens;
    r.events.push_back(ev);
    if (ev.finished) finish(sc.slot, stop ? FinishReason::kStop : FinishReason::kLength, end);
  }
  std::erase_if(running_, [this](std::uint32_t slot) { return !seqs_[slot].running; });
  return r;
}

std::vector<SeqInfo> EngineModel::sequences() const {
  std::vector<SeqInfo> out;
  out.reserve(running_.size() + waiting_.size());
  auto add = [&](std::uint32_t slot) {
    const Seq& s = seqs_[slot];
    out.push_back({s.id, s.running, s.prompt_len, s.num_output, s.num_computed,
                   static_cast<std::uint32_t>(s.blocks.size()), s.preemptions});
  };
  for (std::uint32_t slot : running_) add(slot);
  for (std::uint32_t slot : waiting_) add(slot);
  return out;
}

EngineStats EngineModel::stats() const {
  EngineStats st = counters_;
  st.running = static_cast<std::uint32_t>(running_.size());
  st.waiting = static_cast<std::uint32_t>(waiting_.size());
  st.kv_cache_usage = pool_.usage();
  st.num_gpu_blocks = pool_.num_blocks();
  st.block_size = config_.block_size;
  return st;
}

}  // namespace inferbench::sim
