// Request bodies, checked by parsing them back.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "protocol/openai.hpp"

namespace inferbench::protocol {
namespace {

using nlohmann::json;

TEST(Encoder, Paths) {
  EXPECT_EQ(path_for(Api::Completions), "/v1/completions");
  EXPECT_EQ(path_for(Api::Chat), "/v1/chat/completions");
}

TEST(Encoder, CompletionsBody) {
  RequestBody b;
  b.api = Api::Completions;
  b.model = "Qwen/Qwen2.5-7B";
  b.prompt = "Once upon a time \"quoted\" \u00e9\n";
  b.max_tokens = 128;
  b.stream = true;
  b.include_usage = true;
  b.ignore_eos = true;
  const json j = json::parse(encode(b));
  EXPECT_EQ(j["model"], "Qwen/Qwen2.5-7B");
  EXPECT_EQ(j["prompt"], b.prompt);
  EXPECT_EQ(j["max_tokens"], 128);
  EXPECT_FALSE(j.contains("max_completion_tokens"));
  EXPECT_FALSE(j.contains("messages"));
  EXPECT_EQ(j["stream"], true);
  EXPECT_EQ(j["stream_options"], json({{"include_usage", true}}));
  EXPECT_EQ(j["ignore_eos"], true);
  EXPECT_EQ(j.size(), 6u);
}

TEST(Encoder, ChatBodySendsBothTokenLimits) {
  RequestBody b;
  b.api = Api::Chat;
  b.model = "m";
  b.messages = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "2+2?"}};
  b.max_tokens = 64;
  b.ignore_eos = false;
  const json j = json::parse(encode(b));
  ASSERT_TRUE(j["messages"].is_array());
  ASSERT_EQ(j["messages"].size(), 4u);
  EXPECT_EQ(j["messages"][0], json({{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(j["messages"][3], json({{"role", "user"}, {"content", "2+2?"}}));
  EXPECT_EQ(j["max_completion_tokens"], 64);
  EXPECT_EQ(j["max_tokens"], 64);
  EXPECT_FALSE(j.contains("prompt"));
  EXPECT_FALSE(j.contains("ignore_eos"));
  EXPECT_EQ(j["stream"], true);
  EXPECT_TRUE(j["stream_options"]["include_usage"]);
}

TEST(Encoder, ChatWithOnlyAPromptSendsOneUserMessage) {
  RequestBody b;
  b.api = Api::Chat;
  b.model = "m";
  b.prompt = "hello";
  const json j = json::parse(encode(b));
  EXPECT_EQ(j["messages"], json::array({{{"role", "user"}, {"content", "hello"}}}));
  EXPECT_FALSE(j.contains("max_tokens"));  // negative max_tokens: no limit sent
  EXPECT_FALSE(j.contains("max_completion_tokens"));
}

TEST(Encoder, StreamOptionsOnlyWhenStreaming) {
  RequestBody b;
  b.model = "m";
  b.prompt = "p";
  b.stream = false;
  b.include_usage = true;
  json j = json::parse(encode(b));
  EXPECT_EQ(j["stream"], false);
  EXPECT_FALSE(j.contains("stream_options"));
  b.stream = true;
  b.include_usage = false;
  j = json::parse(encode(b));
  EXPECT_FALSE(j.contains("stream_options"));
}

TEST(Encoder, ExtraBodyIsMergedLastAndOverrides) {
  RequestBody b;
  b.api = Api::Chat;
  b.model = "m";
  b.prompt = "p";
  b.max_tokens = 100;
  b.extra_body = json{{"temperature", 0.0},
                      {"max_tokens", 5},
                      {"max_completion_tokens", nullptr},  // merge-patch null removes the key
                      {"stream_options", {{"continuous_usage_stats", true}}},
                      {"model", "override"},
                      {"chat_template_kwargs", {{"enable_thinking", false}}}};
  const json j = json::parse(encode(b));
  EXPECT_EQ(j["temperature"], 0.0);
  EXPECT_EQ(j["max_tokens"], 5);
  EXPECT_FALSE(j.contains("max_completion_tokens"));
  EXPECT_EQ(j["stream_options"], json({{"include_usage", true}, {"continuous_usage_stats", true}}));
  EXPECT_EQ(j["model"], "override");
  EXPECT_EQ(j["chat_template_kwargs"]["enable_thinking"], false);
}

TEST(Encoder, SetupErrors) {
  RequestBody b;
  b.api = Api::Completions;
  b.model = "m";
  b.messages = {{"user", "x"}};
  EXPECT_THROW(encode(b), Error);
  b.prompt = "p";
  b.extra_body = json::array({1});
  EXPECT_THROW(encode(b), Error);
}

}  // namespace
}  // namespace inferbench::protocol
