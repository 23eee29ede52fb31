#include "results/reader.hpp"

#include <fmt/format.h>

#include <fstream>
#include <string>

#include "core/error.hpp"
#include "results/record_line.hpp"

namespace inferbench::results {

using nlohmann::json;

namespace {

json read_summary(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  require(static_cast<bool>(in), fmt::format("cannot read {}", path.string()));
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
}

std::size_t size_key(const json& j, const char* name, const std::string& where) {
  const auto it = j.find(name);
  require(it != j.end() && it->is_number_unsigned(),
          fmt::format("{}: \"{}\" must be a non-negative integer", where, name));
  return it->get<std::size_t>();
}

std::optional<double> optional_ms(const json& slo, const char* name, const std::string& where) {
  const auto it = slo.find(name);
  if (it == slo.end() || it->is_null()) return std::nullopt;
  require(it->is_number(), fmt::format("{}: \"goodput.slo.{}\" must be a number", where, name));
  return it->get<double>();
}

}  // namespace

metrics::LoadSpec load_from_json(const json& load, const std::string& where) {
  require(load.is_object(), where + ": \"load\" must be an object");
  metrics::LoadSpec spec;
  const auto mode = load.value("mode", json());
  require(mode == "open" || mode == "closed", where + ": \"load.mode\" must be \"open\" or \"closed\"");
  spec.mode = mode == "open" ? metrics::LoadSpec::Mode::Open : metrics::LoadSpec::Mode::Closed;
  const auto concurrency = load.value("concurrency", json());
  require(concurrency.is_null() || concurrency.is_number_unsigned(),
          where + ": \"load.concurrency\" must be a non-negative integer or null");
  spec.concurrency = concurrency.is_null() ? 0 : concurrency.get<int>();
  if (spec.mode == metrics::LoadSpec::Mode::Open) {
    const auto rate = load.value("rate", json());
    require(rate.is_number(), where + ": \"load.rate\" must be a number in open loop");
    spec.rate = rate.get<double>();
    const auto arrival = load.value("arrival", json());
    require(arrival.is_string(), where + ": \"load.arrival\" must be a string in open loop");
    spec.arrival = arrival.get<std::string>();
    const auto burstiness = load.value("burstiness", json());
    require(burstiness.is_number(), where + ": \"load.burstiness\" must be a number in open loop");
    spec.burstiness = burstiness.get<double>();
  }
  return spec;
}

metrics::Slo slo_from_json(const json& point, const std::string& where) {
  metrics::Slo slo;
  const auto goodput = point.find("goodput");
  if (goodput == point.end() || goodput->is_null()) return slo;
  require(goodput->is_object() && goodput->contains("slo") && (*goodput)["slo"].is_object(),
          where + ": \"goodput.slo\" must be an object");
  const json& s = (*goodput)["slo"];
  slo.ttft_ms = optional_ms(s, "ttft_ms", where);
  slo.tpot_ms = optional_ms(s, "tpot_ms", where);
  slo.itl_ms = optional_ms(s, "itl_ms", where);
  slo.e2e_ms = optional_ms(s, "e2e_ms", where);
  slo.ntpot_ms = optional_ms(s, "ntpot_ms", where);
  return slo;
}

Results read_results(const std::filesystem::path& dir, std::optional<TimePoint> anchor_at) {
  require(std::filesystem::is_directory(dir), fmt::format("{}: not a results directory", dir.string()));
  Results out;
  out.dir = dir;
  const auto summary_path = dir / "summary.json";
  out.summary = read_summary(summary_path);
  const std::string where = summary_path.string();
  require(out.summary.is_object() && out.summary.value("tool", json()) == "inferbench",
          where + ": not an inferbench summary (\"tool\" is not \"inferbench\")");
  out.anchor = anchor_from_json(out.summary.value("clock", json()), where);
  if (const auto shard = out.summary.find("shard"); shard != out.summary.end()) {
    require(shard->is_object(), where + ": \"shard\" must be an object");
    out.shard.index = size_key(*shard, "index", where + ": shard");
    out.shard.count = size_key(*shard, "count", where + ": shard");
    require(out.shard.count >= 1 && out.shard.index < out.shard.count,
            fmt::format("{}: shard {}/{} is not a shard (index < count)", where, out.shard.index, out.shard.count));
  }
  if (const auto id = out.summary.find("run_id"); id != out.summary.end()) {
    require(id->is_string(), where + ": \"run_id\" must be a string");
    out.run_id = id->get<std::string>();
  }
  const auto runs = out.summary.find("runs");
  require(runs != out.summary.end() && runs->is_array(), where + ": \"runs\" must be an array");
  for (std::size_t i = 0; i < runs->size(); ++i) {
    const json& point = (*runs)[i];
    const std::string point_where = fmt::format("{}: runs[{}]", where, i);
    require(point.is_object(), point_where + " must be an object");
    LoadPointRecords p;
    p.index = i;
    p.load = load_from_json(point.value("load", json()), point_where);
    p.slo = slo_from_json(point, point_where);
    p.summary = point;
    out.points.push_back(std::move(p));
  }

  const TimePoint anchor = anchor_at.value_or(out.anchor.steady);
  const auto requests_path = dir / "requests.jsonl";
  std::ifstream in(requests_path, std::ios::binary);
  require(static_cast<bool>(in), fmt::format("cannot read {}", requests_path.string()));
  std::string text;
  std::size_t line_number = 0;
  while (std::getline(in, text)) {
    ++line_number;
    const auto fail = [&](const std::string& why) {
      return Error(fmt::format("{}:{}: {}", requests_path.string(), line_number, why));
    };
    if (in.eof()) throw fail("the last line is cut short (no newline): the run was killed while writing it?");
    json line;
    try {
      line = json::parse(text);
    } catch (const json::exception& e) {
      throw fail(fmt::format("not valid JSON: {}", e.what()));
    }
    try {
      require(line.is_object(), "not a JSON object");
      const std::size_t point = size_key(line, "load_point", "");
      require(point < out.points.size(),
              fmt::format("\"load_point\" {} has no entry in summary.json's \"runs\" ({} entries)", point,
                          out.points.size()));
      out.points[point].records.push_back(parse_record(line, anchor));
    } catch (const Error& e) {
      std::string why = e.what();
      if (why.starts_with(": ")) why.erase(0, 2);  // size_key's empty `where`
      throw fail(why);
    }
  }
  require(!in.bad(), fmt::format("cannot read {}", requests_path.string()));
  return out;
}

}  // namespace inferbench::results
