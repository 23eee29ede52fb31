// ChunkDecoder (streamed chunks), decode_response (whole bodies) and first_model_id.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/rng.hpp"
#include "protocol/openai.hpp"

namespace inferbench::protocol {
namespace {

std::string chat(const std::string& delta, const std::string& finish = "null", const std::string& extra = "") {
  return R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":)" +
         delta + R"(,"logprobs":null,"finish_reason":)" + finish + "}]" + extra + "}";
}

TEST(ChunkDecoder, Done) {
  ChunkDecoder d;
  EXPECT_TRUE(d.decode("[DONE]").done);
  EXPECT_TRUE(d.decode(" [DONE]\r").done);
  const ChunkInfo c = d.decode("[DONE]");
  EXPECT_FALSE(c.malformed || c.error || c.has_output);
  EXPECT_FALSE(d.decode("[DONE]x").done);
}

TEST(ChunkDecoder, RoleOnlyChunkIsNotOutput) {
  ChunkDecoder d;
  const ChunkInfo c = d.decode(chat(R"({"role":"assistant","content":""})"));
  EXPECT_FALSE(c.malformed);
  EXPECT_TRUE(c.has_choices);
  EXPECT_FALSE(c.has_output);
  EXPECT_TRUE(c.output_text.empty());
  EXPECT_FALSE(d.decode(chat(R"({"role":"assistant","content":null})")).has_output);
  EXPECT_FALSE(d.decode(chat("{}", R"("stop")")).has_output);
}

TEST(ChunkDecoder, ContentChunk) {
  ChunkDecoder d;
  const ChunkInfo c = d.decode(chat(R"({"content":"Hello world, two tokens"})"));
  EXPECT_TRUE(c.has_output);
  EXPECT_TRUE(c.has_content);
  EXPECT_FALSE(c.has_reasoning);
  EXPECT_EQ(c.output_text, "Hello world, two tokens");
  EXPECT_TRUE(c.finish_reason.empty());
  EXPECT_FALSE(c.has_usage);
}

TEST(ChunkDecoder, CompletionsTextChunk) {
  ChunkDecoder d;
  const ChunkInfo c = d.decode(
      R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" fox","logprobs":null,"finish_reason":"length","stop_reason":null}],"usage":null})");
  EXPECT_TRUE(c.has_output);
  EXPECT_EQ(c.output_text, " fox");
  EXPECT_EQ(c.finish_reason, "length");
  EXPECT_FALSE(c.has_usage);
  EXPECT_FALSE(d.decode(R"({"choices":[{"index":0,"text":"","finish_reason":null}]})").has_output);
}

TEST(ChunkDecoder, ReasoningFieldsAreOutput) {
  ChunkDecoder d;
  ChunkInfo c = d.decode(chat(R"({"reasoning_content":"hmm"})"));
  EXPECT_TRUE(c.has_output && c.has_reasoning && !c.has_content);
  EXPECT_EQ(c.output_text, "hmm");
  c = d.decode(chat(R"({"reasoning":"think","content":null})"));
  EXPECT_TRUE(c.has_output && c.has_reasoning);
  EXPECT_EQ(c.output_text, "think");
  c = d.decode(chat(R"({"reasoning_content":"a","content":"b"})"));
  EXPECT_TRUE(c.has_reasoning && c.has_content);
  EXPECT_EQ(c.output_text, "ab");
}

TEST(ChunkDecoder, ToolCallDeltasAreOutput) {
  ChunkDecoder d;
  ChunkInfo c = d.decode(
      chat(R"({"tool_calls":[{"id":"t1","type":"function","index":0,"function":{"name":"f","arguments":""}}]})"));
  EXPECT_TRUE(c.has_output && c.has_tool_calls);
  EXPECT_EQ(c.output_text, "f");
  c = d.decode(chat(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"x\": 1}"}}]})"));
  EXPECT_TRUE(c.has_tool_calls);
  EXPECT_EQ(c.output_text, R"({"x": 1})");
  EXPECT_FALSE(d.decode(chat(R"({"tool_calls":[]})")).has_output);
  EXPECT_FALSE(d.decode(chat(R"({"content":"","tool_calls":null})")).has_output);
}

TEST(ChunkDecoder, UnicodeEscapes) {
  ChunkDecoder d;
  const ChunkInfo c = d.decode(chat(R"({"content":"caf\u00e9 \ud83d\ude00 \"q\" \\ \n\t\u4e16"})"));
  EXPECT_EQ(c.output_text, "caf\u00e9 \U0001F600 \"q\" \\ \n\t\u4e16");
  EXPECT_TRUE(d.decode(chat(R"({"content":"\ud800 lone surrogate"})")).malformed);
}

TEST(ChunkDecoder, UsageNullAbsentAndUsageOnlyChunk) {
  ChunkDecoder d;
  ChunkInfo c = d.decode(chat(R"({"content":"x"})", "null", R"(,"usage":null)"));
  EXPECT_FALSE(c.has_usage);
  EXPECT_FALSE(c.usage.prompt_tokens || c.usage.completion_tokens);

  c = d.decode(
      R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":42,"total_tokens":50,"completion_tokens":8}})");
  EXPECT_FALSE(c.malformed);
  EXPECT_TRUE(c.has_usage);
  EXPECT_FALSE(c.has_choices);
  EXPECT_FALSE(c.has_output);
  EXPECT_EQ(c.usage.prompt_tokens, 42);
  EXPECT_EQ(c.usage.completion_tokens, 8);
  EXPECT_EQ(c.usage.total_tokens, 50);
  EXPECT_FALSE(c.usage.cached_tokens);
}

TEST(ChunkDecoder, CachedTokensAndOddUsageShapes) {
  ChunkDecoder d;
  ChunkInfo c = d.decode(
      R"({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":8}}})");
  EXPECT_EQ(c.usage.cached_tokens, 8);
  c = d.decode(R"({"choices":[],"usage":{"prompt_tokens":10,"prompt_tokens_details":null}})");
  EXPECT_EQ(c.usage.prompt_tokens, 10);
  EXPECT_FALSE(c.usage.cached_tokens);
  EXPECT_FALSE(c.usage.completion_tokens);
  c = d.decode(R"({"choices":[],"usage":{"prompt_tokens":10.0,"completion_tokens":null}})");
  EXPECT_EQ(c.usage.prompt_tokens, 10);
  EXPECT_FALSE(c.usage.completion_tokens);
  // Usage in the finish chunk (older llama.cpp) together with output.
  c = d.decode(chat(R"({"content":"end"})", R"("stop")", R"(,"usage":{"prompt_tokens":3,"completion_tokens":4})"));
  EXPECT_TRUE(c.has_output && c.has_usage);
  EXPECT_EQ(c.usage.completion_tokens, 4);
  EXPECT_EQ(c.finish_reason, "stop");
}

TEST(ChunkDecoder, LlamaCppTimingsAndUnknownFieldsAreIgnored) {
  ChunkDecoder d;
  const ChunkInfo c = d.decode(
      R"({"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"x","model":"m","system_fingerprint":"b1-abc","object":"chat.completion.chunk","timings":{"prompt_n":9,"prompt_ms":21.4,"predicted_per_second":65.36},"future":{"choices":[{"text":"decoy"}],"list":[1,[2,{"a":null}]]}})");
  EXPECT_FALSE(c.malformed);
  EXPECT_FALSE(c.has_output);
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_FALSE(c.has_usage);
}

TEST(ChunkDecoder, OnlyTheFirstChoiceIsRead) {
  ChunkDecoder d;
  const ChunkInfo c =
      d.decode(R"({"choices":[{"index":0,"text":"first"},{"index":1,"text":"second"}],"usage":{"prompt_tokens":1}})");
  EXPECT_EQ(c.output_text, "first");
  EXPECT_EQ(c.usage.prompt_tokens, 1);  // fields after a partly-read array are still seen
}

TEST(ChunkDecoder, ErrorObjectInsideStream) {
  ChunkDecoder d;
  ChunkInfo c = d.decode(R"({"error":{"message":"prompt too long","type":"BadRequestError","param":null,"code":400}})");
  EXPECT_TRUE(c.error);
  EXPECT_FALSE(c.malformed);
  EXPECT_FALSE(c.has_output);
  EXPECT_EQ(c.error_message, "prompt too long");
  EXPECT_EQ(c.error_type, "BadRequestError");
  EXPECT_EQ(c.error_code, 400);
  c = d.decode(R"({"error":{"message":"slow down","code":"429"}})");
  EXPECT_TRUE(c.error);
  EXPECT_EQ(c.error_code, 429);
  c = d.decode(R"({"error":{"message":"x","code":"rate_limit_exceeded"}})");
  EXPECT_TRUE(c.error);
  EXPECT_FALSE(c.error_code);
  c = d.decode(R"({"error":"engine dead"})");
  EXPECT_TRUE(c.error);
  EXPECT_EQ(c.error_message, "engine dead");
  EXPECT_FALSE(d.decode(chat(R"({"content":"x"})", "null", R"(,"error":null)")).error);
}

TEST(ChunkDecoder, OldVllmAndBareErrorBodies) {
  ChunkDecoder d;
  ChunkInfo c = d.decode(
      R"({"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","param":null,"code":400})");
  EXPECT_TRUE(c.error);
  EXPECT_EQ(c.error_message, "This model's maximum context length is 4096 tokens");
  EXPECT_EQ(c.error_code, 400);
  c = d.decode(R"({"message":"boom","type":"InternalServerError","param":null,"code":500})");
  EXPECT_TRUE(c.error);
  EXPECT_EQ(c.error_code, 500);
  EXPECT_FALSE(d.decode(R"({"object":"chat.completion.chunk","choices":[]})").error);
}

TEST(ChunkDecoder, FinishReasonErrorIsAnError) {
  ChunkDecoder d;
  const ChunkInfo c = d.decode(chat(R"({"content":""})", R"("error")"));
  EXPECT_TRUE(c.error);
  EXPECT_FALSE(c.error_message.empty());
  EXPECT_EQ(c.finish_reason, "error");
}

TEST(ChunkDecoder, MalformedInputs) {
  ChunkDecoder d;
  const char* const bad[] = {
      "",
      "   ",
      "{",
      "{\"choices\":[{\"text\":\"ab",
      "not json",
      "[1,2]",
      "\"string\"",
      "42",
      "null",
      R"({"choices":"x"})",
      R"({"choices":[1]})",
      R"({"choices":[{"delta":"x"}]})",
      R"({"choices":[{"delta":{"content":5}}]})",
      R"({"choices":[{"text":["a"]}]})",
      R"({"choices":[{"finish_reason":1}]})",
      R"({"usage":"x"})",
      R"({"usage":{"prompt_tokens":"7"}})",
      R"({"usage":{"prompt_tokens":-1.5e300}})",
      R"({"choices":[]} trailing)",
      R"({"choices":[]}{"choices":[]})",
      R"({"choices":[{"delta":{"tool_calls":[7]}}]})",
      "{\"choices\":[{\"text\":\"a\x01\"}]}",
      "{\"choices\":[{\"text\":\"\xff\xfe\"}]}",
  };
  for (const char* text : bad) {
    const ChunkInfo c = d.decode(text);
    EXPECT_TRUE(c.malformed) << text;
    EXPECT_FALSE(c.malformed_reason.empty()) << text;
    EXPECT_FALSE(c.has_output || c.done || c.error) << text;
  }
  // The decoder is fine after errors.
  EXPECT_EQ(d.decode(chat(R"({"content":"ok"})")).output_text, "ok");
}

TEST(ChunkDecoder, EveryProperPrefixOfAChunkIsMalformed) {
  ChunkDecoder d;
  const std::string chunks[] = {
      chat(
          R"({"content":"Hello \u00e9"})", "null",
          R"(,"timings":{"a":[1,{"b":null}],"c":"d"},"usage":{"prompt_tokens":3,"prompt_tokens_details":{"cached_tokens":1}})"),
      R"({"id":"x","error":{"message":"m","code":400},"object":"error"})",
      R"({"choices":[{"text":"a"},{"text":"b","logprobs":{"tokens":["a","b"]}}],"usage":null})",
  };
  for (const std::string& full : chunks) {
    ASSERT_FALSE(d.decode(full).malformed) << full;
    for (std::size_t len = 0; len < full.size(); ++len) {
      const std::string prefix = full.substr(0, len);
      EXPECT_TRUE(d.decode(prefix).malformed) << prefix;
    }
  }
}

TEST(ChunkDecoder, RandomBytesNeverCrash) {
  ChunkDecoder d;
  Rng rng = make_rng(7, 0);
  const std::string alphabet = "{}[]\",:0123456789.eE+-truefalsnl \\u\n\x80\xff abcchoicesdeltatext";
  std::uniform_int_distribution<std::size_t> len(0, 200), pick(0, alphabet.size() - 1);
  int malformed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s(len(rng), ' ');
    for (char& c : s) c = alphabet[pick(rng)];
    const ChunkInfo c = d.decode(s);
    malformed += c.malformed;
  }
  EXPECT_GT(malformed, 0);
}

TEST(ChunkDecoder, LargeChunkGrowsTheBuffers) {
  ChunkDecoder d(128);
  const std::string text(200000, 'y');
  const ChunkInfo c = d.decode(chat(R"({"content":")" + text + "\"}"));
  EXPECT_FALSE(c.malformed);
  EXPECT_EQ(c.output_text, text);
  EXPECT_EQ(d.decode(chat(R"({"content":"small"})")).output_text, "small");
}

// What a chunk said, owned (a ChunkInfo's views die at the decoder's next call).
std::string said(const ChunkInfo& c) {
  auto count = [](const std::optional<std::int64_t>& n) { return n ? std::to_string(*n) : std::string("-"); };
  return fmt::format(
      "done={} malformed={}:{} error={}:{}:{}:{} choices={} output={} content={} reasoning={} tools={} "
      "usage={}:{}:{}:{}:{} text=[{}] finish=[{}]",
      c.done, c.malformed, c.malformed_reason, c.error, c.error_message, c.error_type, count(c.error_code),
      c.has_choices, c.has_output, c.has_content, c.has_reasoning, c.has_tool_calls, c.has_usage,
      count(c.usage.prompt_tokens), count(c.usage.completion_tokens), count(c.usage.total_tokens),
      count(c.usage.cached_tokens), c.output_text, c.finish_reason);
}

// A chunk that is the last one around another text is decoded without parsing (openai_decode.cpp):
// whatever the new text, the answer must be the one a fresh decoder gives.
TEST(ChunkDecoder, ChunksOfTheLastOnesShapeSayWhatAFreshDecoderSays) {
  const std::vector<std::string> shapes = {
      chat(R"({"content":"@"})"),
      chat(R"({"content":"@" })", R"("stop")"),
      chat(R"({"reasoning_content":"@"})"),
      chat(R"({"content":"@","content":"@"})"),
      chat(R"({"reasoning":"x","content":"@"})"),
      chat(R"({"content":"@"})", "null", R"(,"usage":{"completion_tokens":7})"),
      R"({"choices":[{"text":"@","finish_reason":"error"}]})",
      R"({"choices":[{"text":"@"}],"error":{"message":"@"}})",
      R"(  {"choices":[{"text":"@"}]}  )",
  };
  const std::vector<std::string> texts = {"Hello",       " world",
                                          "caf\xc3\xa9", "\xc3",
                                          "\xff",        "a\",\"x\":\"b",
                                          "a\\",         "\\n",
                                          "\\u00e9",     "\\\"q\\\"",
                                          "tab\there",   "",
                                          "\x7f",        "\"",
                                          "}]}",         "\xe2\x82\xac\xf0\x9f\x98\x80"};
  ChunkDecoder reused;
  Rng rng = make_rng(11, 0);
  std::uniform_int_distribution<std::size_t> pick_shape(0, shapes.size() - 1), pick_text(0, texts.size() - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string chunk;  // the shape with each @ replaced by a text
    for (const char c : shapes[pick_shape(rng)]) chunk += c == '@' ? texts[pick_text(rng)] : std::string(1, c);
    const std::string got = said(reused.decode(chunk));
    ChunkDecoder fresh;
    ASSERT_EQ(got, said(fresh.decode(chunk))) << chunk;
  }
}

TEST(ChunkDecoder, TextOfTheLastChunksShapeThatBreaksTheJsonIsMalformed) {
  ChunkDecoder d;
  ASSERT_EQ(d.decode(chat(R"({"content":"Hello"})")).output_text, "Hello");
  EXPECT_EQ(d.decode(chat(R"({"content":" world"})")).output_text, " world");
  EXPECT_TRUE(d.decode(chat("{\"content\":\"\xc3\"}")).malformed);  // not UTF-8
  ASSERT_EQ(d.decode(chat(R"({"content":"Hello"})")).output_text, "Hello");
  EXPECT_TRUE(d.decode(chat(R"({"content":"a\"})")).malformed);  // the closing quote escaped
  ASSERT_EQ(d.decode(chat(R"({"content":"Hello"})")).output_text, "Hello");
  const ChunkInfo c = d.decode(chat(R"({"content":"a","role":"b"})"));
  EXPECT_FALSE(c.malformed);
  EXPECT_EQ(c.output_text, "a");
}

TEST(DecodeResponse, ChatResponse) {
  const ResponseInfo r = decode_response(R"({
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "reasoning_content": "Let me see. ",
                 "content": "It is 4.", "tool_calls": []}, "logprobs": null,
                 "finish_reason": "stop", "stop_reason": null}],
    "usage": {"prompt_tokens": 15, "total_tokens": 27, "completion_tokens": 12,
              "prompt_tokens_details": {"cached_tokens": 0}},
    "prompt_logprobs": null, "kv_transfer_params": null})");
  EXPECT_FALSE(r.malformed);
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.has_output);
  EXPECT_EQ(r.output_text, "Let me see. It is 4.");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.prompt_tokens, 15);
  EXPECT_EQ(r.usage.completion_tokens, 12);
  EXPECT_EQ(r.usage.cached_tokens, 0);
}

TEST(DecodeResponse, CompletionsResponseAndToolCallResponse) {
  ChunkDecoder d;
  ResponseInfo r = d.decode_response(
      R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" Paris.","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"total_tokens":7,"completion_tokens":2}})");
  EXPECT_EQ(r.output_text, " Paris.");
  EXPECT_EQ(r.usage.completion_tokens, 2);
  r = d.decode_response(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"get","arguments":"{}"}}]},"finish_reason":"tool_calls"}]})");
  EXPECT_TRUE(r.has_output);
  EXPECT_EQ(r.output_text, "get{}");
  EXPECT_EQ(r.finish_reason, "tool_calls");
}

TEST(DecodeResponse, ErrorAndMalformedBodies) {
  ResponseInfo r = decode_response(
      R"({"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":"model","code":404}})");
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.error_message, "The model `x` does not exist.");
  EXPECT_EQ(r.error_type, "NotFoundError");
  EXPECT_EQ(r.error_code, 404);
  r = decode_response("<html>502 Bad Gateway</html>");
  EXPECT_TRUE(r.malformed);
  EXPECT_FALSE(r.malformed_reason.empty());
  EXPECT_TRUE(decode_response("[DONE]").malformed);
}

TEST(FirstModelId, ParsesModelsList) {
  EXPECT_EQ(
      first_model_id(
          R"({"object":"list","data":[{"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model","created":1,"owned_by":"vllm","root":"/models/llama","parent":null,"max_model_len":8192},{"id":"lora-1","object":"model"}]})"),
      "meta-llama/Llama-3.1-8B-Instruct");
  EXPECT_EQ(first_model_id(R"({"data":[{"object":"model"},{"id":"second"}]})"), "second");
  EXPECT_EQ(first_model_id(R"({"object":"list","data":[]})"), std::nullopt);
  EXPECT_EQ(first_model_id(R"({"models":[{"id":"x"}]})"), std::nullopt);
  EXPECT_EQ(first_model_id("not json"), std::nullopt);
  EXPECT_EQ(first_model_id(R"([{"id":"x"}])"), std::nullopt);
}

}  // namespace
}  // namespace inferbench::protocol
