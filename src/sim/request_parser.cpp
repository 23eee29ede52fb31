// Parsing a completions or chat request body the way vLLM's pydantic models accept it: a field
// of the wrong type is a 400 naming the field (never a dropped connection), and the prompt
// forms real clients send (a list of one string, token ids, chat content parts) are counted.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sim/responses.hpp"

namespace inferbench::sim {

namespace {

using nlohmann::json;

// A field that must be a bool (or absent/null); sets `error` otherwise.
bool bool_field(const json& body, const char* key, std::string& error) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    error = fmt::format("'{}' must be a boolean", key);
    return false;
  }
  return it->get<bool>();
}

// Larger limits are clamped to this: they fail the context-length check all the same, and
// prompt + max_tokens cannot overflow int64 there.
constexpr std::int64_t kTokenLimitCap = std::int64_t{1} << 62;

// max_tokens and its kind: absent/null = 0; otherwise an integer >= 1, or `error` is set.
std::int64_t token_limit(const json& body, const char* key, std::string& error) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return 0;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(kTokenLimitCap)) {
    return kTokenLimitCap;
  }
  if (!it->is_number_integer()) {
    error = fmt::format("'{}' must be an integer, got {}", key, it->dump());
    return 0;
  }
  const auto value = it->get<std::int64_t>();
  if (value < 1) error = fmt::format("{} must be at least 1, got {}.", key, value);
  return value;
}

void append_prompt_ids(std::string_view text, const tokenizer::Tokenizer* tokenizer, std::vector<std::uint32_t>& ids) {
  if (!tokenizer) return append_word_ids(text, ids);
  for (const std::int32_t id : tokenizer->encode(text)) ids.push_back(static_cast<std::uint32_t>(id));
}

// True when `v` is a non-empty list of non-negative integers (token ids).
bool is_token_ids(const json& v) {
  if (!v.is_array() || v.empty()) return false;
  for (const auto& x : v) {
    if (!x.is_number_unsigned()) return false;
  }
  return true;
}

void append_token_ids(const json& v, std::vector<std::uint32_t>& ids) {
  for (const auto& x : v) ids.push_back(static_cast<std::uint32_t>(x.get<std::uint64_t>()));
}

// The completions `prompt`: a string, a list of one string, token ids, or a list of one list of
// token ids. A batch of several prompts is refused: one request gets one answer here.
std::string parse_prompt(const json& body, const tokenizer::Tokenizer* tokenizer, std::vector<std::uint32_t>& ids) {
  const auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) return "'prompt' is required";
  if (it->is_string()) {
    append_prompt_ids(it->get_ref<const std::string&>(), tokenizer, ids);
    return {};
  }
  if (is_token_ids(*it)) {
    append_token_ids(*it, ids);
    return {};
  }
  if (!it->is_array() || it->empty()) {
    return "'prompt' must be a string, a list of strings or a list of token ids";
  }
  if (it->size() > 1) {
    return fmt::format("'prompt' is a batch of {} prompts; inferbench sim serves one prompt per request", it->size());
  }
  const json& one = (*it)[0];
  if (one.is_string()) {
    append_prompt_ids(one.get_ref<const std::string&>(), tokenizer, ids);
    return {};
  }
  if (is_token_ids(one)) {
    append_token_ids(one, ids);
    return {};
  }
  return "'prompt' must be a string, a list of strings or a list of token ids";
}

// One message's `content`: a string, null, or a list of parts whose "text" parts are counted.
std::string parse_content(const json& content, std::size_t index, const tokenizer::Tokenizer* tokenizer,
                          std::vector<std::uint32_t>& ids) {
  if (content.is_null()) return {};
  if (content.is_string()) {
    append_prompt_ids(content.get_ref<const std::string&>(), tokenizer, ids);
    return {};
  }
  if (!content.is_array()) return fmt::format("'messages[{}].content' must be a string or a list of parts", index);
  for (const auto& part : content) {
    if (!part.is_object()) return fmt::format("'messages[{}].content' parts must be objects", index);
    const auto text = part.find("text");
    if (part.value("type", "") != "text") continue;  // images and audio count no text tokens here
    if (text == part.end() || !text->is_string()) {
      return fmt::format("'messages[{}].content' text parts need a string 'text'", index);
    }
    append_prompt_ids(text->get_ref<const std::string&>(), tokenizer, ids);
  }
  return {};
}

std::string parse_messages(const json& body, const tokenizer::Tokenizer* tokenizer, std::vector<std::uint32_t>& ids) {
  const auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty()) {
    return "'messages' must be a non-empty list of messages";
  }
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    if (!m.is_object()) return fmt::format("'messages[{}]' must be an object", i);
    if (const auto role = m.find("role"); role != m.end() && !role->is_string()) {
      return fmt::format("'messages[{}].role' must be a string", i);
    }
    const auto content = m.find("content");
    if (content == m.end()) continue;  // e.g. an assistant message with tool calls
    if (std::string error = parse_content(*content, i, tokenizer, ids); !error.empty()) return error;
  }
  return {};
}

// The scalar fields: model, stream, stream_options, ignore_eos, temperature, max_tokens.
std::string parse_scalars(const json& body, ParsedRequest& req) {
  std::string error;
  if (const auto it = body.find("model"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return "'model' must be a string";
    req.model = it->get<std::string>();
  }
  for (const char* key : {"temperature", "top_p"}) {
    if (const auto it = body.find(key); it != body.end() && !it->is_null() && !it->is_number()) {
      return fmt::format("'{}' must be a number", key);
    }
  }
  req.stream = bool_field(body, "stream", error);
  req.ignore_eos = bool_field(body, "ignore_eos", error);
  if (const auto it = body.find("stream_options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return "'stream_options' must be an object";
    req.include_usage = bool_field(*it, "include_usage", error);
    // vLLM sends usage on every chunk only when include_usage is on as well.
    req.continuous_usage = req.include_usage && bool_field(*it, "continuous_usage_stats", error);
  }
  if (!error.empty()) return error;
  req.max_tokens = token_limit(body, "max_tokens", error);
  if (req.chat && error.empty()) {
    if (const auto completion = token_limit(body, "max_completion_tokens", error); completion != 0) {
      req.max_tokens = completion;
    }
  }
  return error;
}

}  // namespace

ParsedRequest parse_request(std::string_view body, bool chat, const tokenizer::Tokenizer* tokenizer) {
  ParsedRequest req;
  req.chat = chat;
  const auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    req.error = "request body is not a JSON object";
    return req;
  }
  req.error = parse_scalars(parsed, req);
  if (req.error.empty()) {
    req.error =
        chat ? parse_messages(parsed, tokenizer, req.prompt_ids) : parse_prompt(parsed, tokenizer, req.prompt_ids);
  }
  req.prompt_tokens = static_cast<std::int64_t>(req.prompt_ids.size());
  return req;
}

}  // namespace inferbench::sim
