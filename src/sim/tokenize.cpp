#include "sim/tokenize.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "sim/responses.hpp"

namespace inferbench::sim {

namespace {

JsonAnswer bad_request(std::string_view message) { return {400, error_body(message, 400)}; }

}  // namespace

JsonAnswer tokenize(std::string_view body, const tokenizer::Tokenizer* tokenizer, std::int64_t max_model_len) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return bad_request("request body is not a JSON object");
  // The chat form has messages (no chat template is applied: contents only, as for completions).
  const ParsedRequest req = parse_request(body, json.contains("messages"), tokenizer);
  if (!req.error.empty()) return bad_request(req.error);
  const nlohmann::json answer = {{"count", req.prompt_ids.size()},
                                 {"max_model_len", max_model_len},
                                 {"tokens", req.prompt_ids},
                                 {"token_strs", nullptr}};
  return {200, answer.dump()};
}

JsonAnswer detokenize(std::string_view body, const tokenizer::Tokenizer* tokenizer) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return bad_request("request body is not a JSON object");
  const auto tokens = json.find("tokens");
  if (tokens == json.end() || !tokens->is_array()) return bad_request("'tokens' must be a list of token ids");
  std::vector<std::int32_t> ids;
  for (const auto& t : *tokens) {
    if (!t.is_number_unsigned() || t.get<std::uint64_t>() > 0x7fffffffu) {
      return bad_request("'tokens' must be a list of token ids");
    }
    ids.push_back(static_cast<std::int32_t>(t.get<std::uint64_t>()));
  }
  if (!tokenizer) {
    return bad_request(
        "detokenize needs a tokenizer: start inferbench sim with --tokenizer (without one, token ids are hashes of "
        "words and cannot be mapped back)");
  }
  return {200, nlohmann::json{{"prompt", tokenizer->decode(ids)}}.dump()};
}

}  // namespace inferbench::sim
