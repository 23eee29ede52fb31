#include "sim/responses.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace inferbench::sim {

void append_word_ids(std::string_view text, std::vector<std::uint32_t>& ids) {
  std::uint32_t hash = 2166136261u;  // FNV-1a over the word's bytes
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
      in_word = true;
    } else if (in_word) {
      ids.push_back(hash);
      hash = 2166136261u;
      in_word = false;
    }
  }
  if (in_word) ids.push_back(hash);
}

// The chunk writers below format by hand on purpose: they run once per streamed chunk, and
// every string they embed is JSON-safe by construction (ASCII words, ids and a model name
// checked at start-up).
void append_chunk_event(std::string& out, bool chat, std::string_view id, std::string_view model, std::string_view text,
                        std::string_view finish_reason, const Usage* usage) {
  // Plain appends, not a format string parsed per call: this is the simulator's per-token path.
  // finish_reason is a JSON string, or null while the answer goes on.
  const auto append_usage = [&] {
    fmt::format_to(std::back_inserter(out), "{{\"prompt_tokens\":{},\"total_tokens\":{},\"completion_tokens\":{}}}",
                   usage->prompt_tokens, usage->prompt_tokens + usage->completion_tokens, usage->completion_tokens);
  };
  const auto append_finish = [&] {
    if (finish_reason.empty()) {
      out += "null";
    } else {
      out += '"';
      out += finish_reason;
      out += '"';
    }
  };
  if (chat) {
    out += "data: {\"id\":\"chatcmpl-";
    out += id;
    out += "\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"";
    out += model;
    out += "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
    out += text;
    out += "\"},\"logprobs\":null,\"finish_reason\":";
    append_finish();
    out += "}]";
    if (usage) {
      out += ",\"usage\":";
      append_usage();
    }
    out += "}\n\n";
  } else {
    out += "data: {\"id\":\"cmpl-";
    out += id;
    out += "\",\"object\":\"text_completion\",\"created\":0,\"model\":\"";
    out += model;
    out += "\",\"choices\":[{\"index\":0,\"text\":\"";
    out += text;
    out += "\",\"logprobs\":null,\"finish_reason\":";
    append_finish();
    out += ",\"stop_reason\":null}],\"usage\":";
    if (usage) {
      append_usage();
    } else {
      out += "null";
    }
    out += "}\n\n";
  }
}

void append_role_event(std::string& out, std::string_view id, std::string_view model) {
  fmt::format_to(std::back_inserter(out),
                 "data: {{\"id\":\"chatcmpl-{}\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                 "\"model\":\"{}\",\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\","
                 "\"content\":\"\"}},\"logprobs\":null,\"finish_reason\":null}}]}}\n\n",
                 id, model);
}

void append_usage_event(std::string& out, bool chat, std::string_view id, std::string_view model,
                        std::int64_t prompt_tokens, std::int64_t completion_tokens,
                        std::optional<std::int64_t> cached_tokens) {
  const std::string details =
      cached_tokens ? fmt::format(",\"prompt_tokens_details\":{{\"cached_tokens\":{}}}", *cached_tokens) : "";
  fmt::format_to(std::back_inserter(out),
                 "data: {{\"id\":\"{}{}\",\"object\":\"{}\",\"created\":0,\"model\":\"{}\",\"choices\":[],"
                 "\"usage\":{{\"prompt_tokens\":{},\"total_tokens\":{},\"completion_tokens\":{}{}}}}}\n\n",
                 chat ? "chatcmpl-" : "cmpl-", id, chat ? "chat.completion.chunk" : "text_completion", model,
                 prompt_tokens, prompt_tokens + completion_tokens, completion_tokens, details);
}

std::string full_response(bool chat, std::string_view id, std::string_view model, std::string_view text,
                          std::string_view finish_reason, std::int64_t prompt_tokens, std::int64_t completion_tokens,
                          std::optional<std::int64_t> cached_tokens) {
  nlohmann::json choice = {{"index", 0}, {"finish_reason", finish_reason}, {"logprobs", nullptr}};
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  } else {
    choice["text"] = text;
  }
  nlohmann::json body = {{"id", std::string(chat ? "chatcmpl-" : "cmpl-") + std::string(id)},
                         {"object", chat ? "chat.completion" : "text_completion"},
                         {"created", 0},
                         {"model", model},
                         {"choices", nlohmann::json::array({choice})},
                         {"usage",
                          {{"prompt_tokens", prompt_tokens},
                           {"completion_tokens", completion_tokens},
                           {"total_tokens", prompt_tokens + completion_tokens}}}};
  if (cached_tokens) body["usage"]["prompt_tokens_details"] = {{"cached_tokens", *cached_tokens}};
  return body.dump();
}

std::string_view error_type(int status) {
  switch (status) {
    case 400: return "BadRequestError";
    case 401: return "AuthenticationError";
    case 404: return "NotFoundError";
    case 405: return "MethodNotAllowedError";
    case 413: return "RequestEntityTooLargeError";
    case 429: return "RateLimitError";
    case 503: return "ServiceUnavailableError";
    default: return "InternalServerError";
  }
}

namespace {

nlohmann::json error_json(std::string_view message, std::string_view type, int code) {
  return {{"object", "error"}, {"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
}

}  // namespace

std::string error_body(std::string_view message, std::string_view type, int code) {
  return error_json(message, type, code).dump();
}

std::string error_body(std::string_view message, int status) { return error_body(message, error_type(status), status); }

std::string stream_error_body(std::string_view message, std::string_view type, int code) {
  return nlohmann::json{{"error", error_json(message, type, code)}}.dump();
}

}  // namespace inferbench::sim
