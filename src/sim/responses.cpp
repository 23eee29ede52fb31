#include "sim/responses.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace inferbench::sim {

namespace {

std::int64_t int_field(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return 0;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1) return -1;
  return it->get<std::int64_t>();
}

}  // namespace

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

namespace {

void append_prompt_ids(std::string_view text, const tokenizer::Tokenizer* tokenizer, std::vector<std::uint32_t>& ids) {
  if (!tokenizer) return append_word_ids(text, ids);
  for (const std::int32_t id : tokenizer->encode(text)) ids.push_back(static_cast<std::uint32_t>(id));
}

}  // namespace

ParsedRequest parse_request(std::string_view body, bool chat, const tokenizer::Tokenizer* tokenizer) {
  ParsedRequest req;
  req.chat = chat;
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    req.error = "request body is not a JSON object";
    return req;
  }
  req.model = json.value("model", "");
  req.stream = json.value("stream", false);
  if (const auto it = json.find("stream_options"); it != json.end() && it->is_object()) {
    req.include_usage = it->value("include_usage", false);
  }
  req.ignore_eos = json.value("ignore_eos", false);
  std::int64_t max_tokens = int_field(json, "max_tokens");
  if (chat) {
    const auto completion = int_field(json, "max_completion_tokens");
    if (completion != 0) max_tokens = completion;
  }
  if (max_tokens < 0) {
    req.error = "max_tokens must be a positive integer";
    return req;
  }
  req.max_tokens = max_tokens;
  if (chat) {
    const auto messages = json.find("messages");
    if (messages == json.end() || !messages->is_array() || messages->empty()) {
      req.error = "messages must be a non-empty array";
      return req;
    }
    for (const auto& m : *messages) {
      if (!m.is_object() || !m.contains("content")) {
        req.error = "each message needs a content";
        return req;
      }
      const auto& content = m["content"];
      if (content.is_string()) append_prompt_ids(content.get_ref<const std::string&>(), tokenizer, req.prompt_ids);
    }
  } else {
    const auto prompt = json.find("prompt");
    if (prompt == json.end() || !prompt->is_string()) {
      req.error = "prompt must be a string";
      return req;
    }
    append_prompt_ids(prompt->get_ref<const std::string&>(), tokenizer, req.prompt_ids);
  }
  req.prompt_tokens = static_cast<std::int64_t>(req.prompt_ids.size());
  return req;
}

// The chunk writers below format by hand on purpose: they run once per streamed chunk, and
// every string they embed is JSON-safe by construction (ASCII words, ids and a model name
// checked at start-up).
void append_chunk_event(std::string& out, bool chat, std::string_view id, std::string_view model, std::string_view text,
                        std::string_view finish_reason) {
  // Plain appends, not a format string parsed per call: this is the simulator's per-token path.
  // finish_reason is a JSON string, or null while the answer goes on.
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
    out += "}]}\n\n";
  } else {
    out += "data: {\"id\":\"cmpl-";
    out += id;
    out += "\",\"object\":\"text_completion\",\"created\":0,\"model\":\"";
    out += model;
    out += "\",\"choices\":[{\"index\":0,\"text\":\"";
    out += text;
    out += "\",\"logprobs\":null,\"finish_reason\":";
    append_finish();
    out += ",\"stop_reason\":null}],\"usage\":null}\n\n";
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

std::string error_body(std::string_view message, std::string_view type, int code) {
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}.dump();
}

}  // namespace inferbench::sim
