// A results directory with bad content gets one line naming the file (and the line), never a
// crash or a silent zero.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "results/reader.hpp"
#include "results/record_line.hpp"

namespace inferbench::results {
namespace {

const std::string kSummary =
    R"({"tool": "inferbench", "clock": {"steady_ns": 1000, "wall_ns": 1700000000000000000, "read_error_ns": 5,
        "boot_id": "b"}, "runs": [{"load": {"mode": "closed", "concurrency": 2}}]})";

// A line as the writer makes it (the keys the reader needs), with `from` replaced by `to`.
std::string good_line(const std::string& from = "", const std::string& to = "") {
  std::string line =
      R"({"id": 3, "warmup": false, "ok": true, "error": null, "error_detail": null, "http_status": 200, )"
      R"("prompt_tokens": 10, "completion_tokens": 2, "cached_tokens": null, "client_prompt_tokens": 10, )"
      R"("client_output_tokens": null, "max_tokens": 2, "events": 4, "load_point": 0, "sched_ns": 5, )"
      R"("sent_ns": 5, "headers_ns": 90, "done_ns": 300, "chunk_ns": [100, 50], "chunk_tokens": null})";
  if (!from.empty()) {
    const auto at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) line.replace(at, from.size(), to);
  }
  return line;
}

std::string read_error(const std::string& summary, const std::string& requests, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("inferbench-bad-{}-{}", name, getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "summary.json", std::ios::binary) << summary;
  std::ofstream(dir / "requests.jsonl", std::ios::binary) << requests;
  try {
    read_results(dir);
  } catch (const Error& e) {
    std::filesystem::remove_all(dir);
    return e.what();
  }
  std::filesystem::remove_all(dir);
  return "";
}

TEST(ResultsReader, AGoodLineReadsBack) {
  EXPECT_EQ(read_error(kSummary, good_line() + "\n", "good"), "");
  // "retried" is optional (results written before it existed): absent reads as false.
  EXPECT_EQ(read_error(kSummary, good_line(R"("events": 4)", R"("events": 4, "retried": true)") + "\n", "retried"), "");
}

TEST(ResultsReader, RetriedReadsBack) {
  const auto retried = nlohmann::json::parse(good_line(R"("events": 4)", R"("events": 4, "retried": true)"));
  EXPECT_TRUE(parse_record(retried, TimePoint{}).retried);
  EXPECT_FALSE(parse_record(nlohmann::json::parse(good_line()), TimePoint{}).retried);
}

TEST(ResultsReader, BadLinesNameTheFileAndLine) {
  const struct {
    std::string requests;
    std::string says;
  } cases[] = {
      {good_line() + "\n{not json\n", "requests.jsonl:2: not valid JSON"},
      {good_line() + "\n" + "\xff\xfe\n", "requests.jsonl:2: not valid JSON"},
      {"[1, 2]\n", "requests.jsonl:1: not a JSON object"},
      {good_line(R"("id": 3)", R"("id": -1)") + "\n", "requests.jsonl:1: \"id\" is out of range"},
      {good_line(R"("id": 3)", R"("id": "3")") + "\n", "requests.jsonl:1: \"id\" must be an integer"},
      {good_line(R"("sent_ns": 5)", R"("sent_ns": 1e400)") + "\n", "requests.jsonl:1: not valid JSON"},
      {good_line(R"("sent_ns": 5)", R"("sent_ns": 5.5)") + "\n", "requests.jsonl:1: \"sent_ns\" must be an integer"},
      {good_line(R"("done_ns": 300)", R"("done_ns": 18446744073709551615)") + "\n",
       "requests.jsonl:1: \"done_ns\" is out of range"},
      {good_line(R"("chunk_tokens": null)", R"("chunk_tokens": [1])") + "\n",
       "\"chunk_tokens\" must be null or an array as long as"},
      {good_line(R"("chunk_tokens": null)", R"("chunk_tokens": [1, -1])") + "\n", "\"chunk_tokens\" is out of range"},
      {good_line("[100, 50]", "[2305843009213693952, 2305843009213693952]") + "\n",
       "\"chunk_ns\" adds up out of range"},
      {good_line(R"("load_point": 0)", R"("load_point": 1)") + "\n", "\"load_point\" 1 has no entry in summary.json"},
      {good_line(R"("load_point": 0)", R"("load_point": -1)") + "\n", "\"load_point\" must be a non-negative integer"},
      {good_line(R"("ok": true)", R"("ok": false)") + "\n", "\"ok\" is false but \"error\" is not a string"},
      {good_line(R"("error": null)", R"("error": "http_429")") + "\n", "\"ok\" is true but \"error\" is not null"},
      {good_line(R"("warmup": false)", R"("warmup": 0)") + "\n", "\"warmup\" must be true or false"},
      {good_line(R"("events": 4)", R"("events": 4, "retried": "yes")") + "\n", "\"retried\" must be true or false"},
      {good_line(R"("max_tokens": 2, )", "") + "\n", "missing \"max_tokens\""},
      {good_line().substr(0, 40) + "\n", "not valid JSON"},
      {good_line(), "requests.jsonl:1: the last line is cut short"},
      {R"({"id": 1, "load_point": 0})"
       "\n",
       "no \"sched_ns\": the line has no raw timeline"},
  };
  for (const auto& c : cases) {
    const std::string error = read_error(kSummary, c.requests, "line");
    EXPECT_NE(error.find(c.says), std::string::npos) << "got: " << error << "\nfor: " << c.requests;
  }
}

TEST(ResultsReader, AnUnknownFailureLabelIsRefused) {
  std::string line = good_line();
  line.replace(line.find(R"("ok": true, "error": null)"), 25, R"("ok": false, "error": "http_4299")");
  EXPECT_NE(read_error(kSummary, line + "\n", "label").find("\"error\" is not a failure label: http_4299"),
            std::string::npos);
  line = good_line();
  line.replace(line.find(R"("ok": true, "error": null)"), 25, R"("ok": false, "error": "http_503")");
  EXPECT_NE(read_error(kSummary, line + "\n", "status").find("disagrees with \"http_status\""), std::string::npos);
}

TEST(ResultsReader, BadSummariesNameTheFile) {
  EXPECT_NE(read_error("{", "", "s1").find("summary.json: not valid JSON"), std::string::npos);
  EXPECT_NE(read_error(R"({"tool": "guidellm"})", "", "s2").find("not an inferbench summary"), std::string::npos);
  EXPECT_NE(read_error(R"({"tool": "inferbench", "runs": []})", "", "s3").find("\"clock\" must be an object"),
            std::string::npos);
  std::string no_runs = kSummary;
  no_runs.replace(no_runs.find("\"runs\""), 6, "\"rungs\"");
  EXPECT_NE(read_error(no_runs, "", "s4").find("\"runs\" must be an array"), std::string::npos);
  std::string bad_shard = kSummary;
  bad_shard.insert(1, R"("shard": {"index": 4, "count": 4}, )");
  EXPECT_NE(read_error(bad_shard, "", "s5").find("shard 4/4 is not a shard"), std::string::npos);
  try {
    read_results("/nonexistent/inferbench-results");
    ADD_FAILURE() << "no error for a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/inferbench-results: not a results directory"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace inferbench::results
