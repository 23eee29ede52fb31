// Request encoding and `/v1/models` parsing: setup-time code, so nlohmann::json is fine here.
#include "protocol/openai.hpp"

#include "core/error.hpp"

namespace inferbench::protocol {

std::string path_for(Api api) { return api == Api::Chat ? "/v1/chat/completions" : "/v1/completions"; }

std::string encode(const RequestBody& body) {
  // ordered_json keeps the keys in the order written: easier to read in logs and dry runs.
  nlohmann::ordered_json j;
  j["model"] = body.model;
  if (body.api == Api::Completions) {
    require(!(body.prompt.empty() && !body.messages.empty()),
            "a completions request needs a prompt, not chat messages");
    j["prompt"] = body.prompt;
  } else {
    auto& messages = j["messages"] = nlohmann::ordered_json::array();
    if (body.messages.empty()) {
      messages.push_back({{"role", "user"}, {"content", body.prompt}});
    } else {
      for (const auto& [role, content] : body.messages) {
        messages.push_back({{"role", role}, {"content", content}});
      }
    }
  }
  if (body.max_tokens >= 0) {
    // Chat: send both names; newer servers read max_completion_tokens, many only max_tokens.
    if (body.api == Api::Chat) j["max_completion_tokens"] = body.max_tokens;
    j["max_tokens"] = body.max_tokens;
  }
  j["stream"] = body.stream;
  if (body.stream && body.include_usage) {
    // Only with stream=true: vLLM rejects stream_options on a non-streamed request.
    j["stream_options"] = {{"include_usage", true}};
  }
  if (body.ignore_eos) j["ignore_eos"] = true;
  if (body.extra_body) {
    require(body.extra_body->is_object(), "extra_body must be a JSON object");
    // Round trip through text to keep key order; setup time only.
    j.merge_patch(nlohmann::ordered_json::parse(body.extra_body->dump()));
  }
  return j.dump();
}

std::optional<std::string> first_model_id(std::string_view models_json) {
  const auto j = nlohmann::json::parse(models_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto data = j.find("data");
  if (data == j.end() || !data->is_array()) return std::nullopt;
  for (const auto& model : *data) {
    if (!model.is_object()) continue;
    const auto id = model.find("id");
    if (id != model.end() && id->is_string() && !id->get_ref<const std::string&>().empty()) {
      return id->get<std::string>();
    }
  }
  return std::nullopt;
}

}  // namespace inferbench::protocol
