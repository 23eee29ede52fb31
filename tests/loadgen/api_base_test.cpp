// The HTTP target's pure parts: the API base as users write it (the seeds' configs, OpenAI's SDKs:
// with or without /v1, under a root path, or the whole endpoint), and the message it builds.
#include <gtest/gtest.h>

#include "loadgen/http_target.hpp"

namespace inferbench::loadgen {
namespace {

ApiBase base(std::string_view text) { return api_base(http::Url::parse(text)); }

TEST(ApiBase, WithOrWithoutV1TheBaseIsTheServer) {
  EXPECT_EQ(base("http://localhost:8000").url.base_path, "");
  EXPECT_EQ(base("http://localhost:8000/").url.base_path, "");
  EXPECT_EQ(base("http://localhost:8001/v1").url.base_path, "");  // OCI blueprint's llm_api_base
  EXPECT_EQ(base("http://localhost:8001/v1/").url.base_path, "");
  EXPECT_FALSE(base("http://localhost:8001/v1").api);
}

TEST(ApiBase, RootPathsAreKept) {
  EXPECT_EQ(base("http://localhost:8080/api/v1").url.base_path, "/api");  // FlowGPT's --api-base
  EXPECT_EQ(base("https://gw.example/openai").url.base_path, "/openai");
  EXPECT_EQ(base("http://h/v1x").url.base_path, "/v1x");  // not a /v1 segment
}

TEST(ApiBase, AWholeEndpointNamesItsApi) {
  const ApiBase chat = base("http://h:8000/v1/chat/completions");
  EXPECT_EQ(chat.url.base_path, "");
  EXPECT_EQ(chat.api, protocol::Api::Chat);
  const ApiBase completions = base("http://h:8000/api/v1/completions/");
  EXPECT_EQ(completions.url.base_path, "/api");
  EXPECT_EQ(completions.api, protocol::Api::Completions);
  EXPECT_EQ(base("http://h:8000/v1/models").url.base_path, "");
  EXPECT_EQ(base("http://h:8000/v1/models").url.host, "h");
}

// Each request sends its own x-request-id (the record's id, which the simulator's trace and
// server logs are matched by): a header of that name from the user would be a second one.
TEST(MakeHttpRequest, AUsersRequestIdGivesWayToEachRequestsOwn) {
  HttpTargetOptions options;
  options.client.url = http::Url::parse("http://127.0.0.1:8000");
  options.headers = {{"X-Request-Id", "mine"}, {"x-team", "a"}};
  workload::RequestSpec spec;
  spec.prompt = "hi";
  spec.max_tokens = 3;
  const http::Request request = make_http_request(options, spec);
  EXPECT_EQ(request.count("x-request-id"), 0u);
  EXPECT_EQ(request["x-team"], "a");
}

}  // namespace
}  // namespace inferbench::loadgen
