#include "sim/admission.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace inferbench::sim {

namespace {

std::string_view fault_message(Fault fault) {
  switch (fault) {
    case Fault::Http400: return "This model's maximum context length is exceeded (injected fault)";
    case Fault::Http401: return "Incorrect API key provided (injected fault)";
    case Fault::Http429: return "Rate limit reached (injected fault)";
    case Fault::Http503: return "The server is overloaded or not ready yet (injected fault)";
    default: return "Internal server error (injected fault)";
  }
}

Refusal bad_request(std::string_view message) {
  return {.status = 400, .body = error_body(message, "BadRequestError", 400)};
}

// A prompt and completion that do not fit the context, in vLLM's words (serving_engine.py).
Refusal context_refusal(std::int64_t max_model_len, std::int64_t prompt_tokens, std::int64_t max_tokens) {
  return bad_request(
      fmt::format("This model's maximum context length is {} tokens. However, you requested {} tokens "
                  "({} in the messages, {} in the completion). Please reduce the length of the "
                  "messages or completion.",
                  max_model_len, prompt_tokens + max_tokens, prompt_tokens, max_tokens));
}

// vLLM's check before a request reaches the engine; nullopt when it fits. No sum overflows:
// the parser caps max_tokens at 2^62 and the body cap bounds the prompt.
std::optional<Refusal> check_context(std::int64_t max_model_len, const ParsedRequest& request,
                                     std::int64_t max_tokens) {
  if (request.max_tokens == 0 && request.prompt_tokens >= max_model_len) {
    return bad_request(
        fmt::format("This model's maximum context length is {} tokens. However, your request has {} "
                    "input tokens. Please reduce the length of the input messages.",
                    max_model_len, request.prompt_tokens));
  }
  if (max_tokens > max_model_len - request.prompt_tokens) {
    return context_refusal(max_model_len, request.prompt_tokens, max_tokens);
  }
  return std::nullopt;
}

// The answer to a request the engine did not accept, in vLLM's words.
Refusal engine_refusal(SubmitStatus status, std::int64_t max_model_len, std::int64_t prompt_tokens,
                       std::int64_t max_tokens) {
  if (status == SubmitStatus::kQueueFull) {
    return {.status = 429,
            .body = error_body("Failed to enqueue request, waiting requests queue is full", "RateLimitError", 429)};
  }
  return context_refusal(max_model_len, prompt_tokens, max_tokens);
}

}  // namespace

Admitter::Admitter(const SimOptions& options, const tokenizer::Tokenizer* tokenizer, SimMetrics& metrics,
                   SharedRng& rng, TokenSources& sources)
    : opt_(options), tokenizer_(tokenizer), metrics_(metrics), rng_(rng), sources_(sources) {}

std::variant<Refusal, Admitted> Admitter::admit(std::string_view body, std::string_view fault_header, bool chat,
                                                TimePoint arrived, const boost::asio::any_io_executor& session) {
  ParsedRequest request = parse_request(body, chat, tokenizer_);
  if (!request.error.empty()) return bad_request(request.error);
  const std::optional<Fault> fault = choose_fault(fault_header);
  if (!fault) return bad_request("unknown x-inferbench-fault; expected one of " + fault_names());
  if (*fault != Fault::None) metrics_.count_fault(*fault);
  if (const int status = fault_status(*fault); status != 0) {
    return Refusal{.status = status, .body = error_body(fault_message(*fault), error_type(status), status)};
  }
  if (*fault == Fault::CloseBeforeResponse) return Refusal{.close = true, .status = 0, .body = {}};
  const Fault stream_fault = request.stream ? *fault : Fault::None;  // stream faults need a stream

  const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  const OutputLength length = output_length(request);
  const std::int64_t max_model_len = sources_.max_model_len();
  if (auto refusal = check_context(max_model_len, request, length.max_tokens)) return std::move(*refusal);
  SubmitStatus refused = SubmitStatus::kAccepted;
  std::optional<TokenSource> tokens = sources_.open(id, request, length, arrived, session, refused);
  if (!tokens) return engine_refusal(refused, max_model_len, request.prompt_tokens, length.max_tokens);
  return Admitted{
      .request = std::move(request),
      .fault = stream_fault,
      .id = id,
      .id_text = std::to_string(id),
      .length = length,
      .arrived = arrived,
      .tokens = std::move(*tokens),
  };
}

std::optional<Fault> Admitter::choose_fault(std::string_view header) {
  if (header.empty()) return draw_fault();
  return parse_fault(header);
}

Fault Admitter::draw_fault() {
  if (opt_.fault_rates.empty()) return Fault::None;
  std::lock_guard lock(rng_.mutex);
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_.rng);
  for (const auto& [fault, rate] : opt_.fault_rates) {
    if (u < rate) return fault;
    u -= rate;
  }
  return Fault::None;
}

OutputLength Admitter::output_length(const ParsedRequest& request) const {
  const std::int64_t max_tokens = request.max_tokens > 0 ? request.max_tokens : opt_.default_max_tokens;
  std::int64_t tokens = max_tokens;
  if (!request.ignore_eos && opt_.output_tokens > 0) tokens = std::min(tokens, opt_.output_tokens);
  return {
      .max_tokens = max_tokens,
      .tokens = tokens,
      .per_chunk = static_cast<std::int64_t>(std::max(1, opt_.tokens_per_chunk)),
  };
}

}  // namespace inferbench::sim
