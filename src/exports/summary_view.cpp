#include "exports/summary_view.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace inferbench::exports {

using nlohmann::json;

json read_summary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}: no such file or not readable", path));
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) throw Error(fmt::format("{} is not valid JSON", path));
  if (!j.is_object() || !j.contains("runs") || !j["runs"].is_array()) {
    throw Error(fmt::format("{} is not an inferbench summary.json (no \"runs\" array)", path));
  }
  return j;
}

std::optional<double> number_at(const json& j, const std::string& pointer) {
  const json::json_pointer p(pointer);
  if (!j.contains(p)) return std::nullopt;
  const json& v = j.at(p);
  if (!v.is_number()) return std::nullopt;
  const double d = v.get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::string text_at(const json& j, const std::string& pointer) {
  const json::json_pointer p(pointer);
  if (!j.contains(p) || !j.at(p).is_string()) return "";
  return j.at(p).get<std::string>();
}

std::string point_label(const json& point) {
  if (text_at(point, "/load/mode") == "open") {
    const auto rate = number_at(point, "/load/rate");
    return rate ? fmt::format("rate {:g} req/s", *rate) : "rate ?";
  }
  const auto c = number_at(point, "/load/concurrency");
  return c ? fmt::format("concurrency {:g}", *c) : "concurrency ?";
}

std::string point_slug(const json& point) {
  if (text_at(point, "/load/mode") == "open") {
    const auto rate = number_at(point, "/load/rate");
    return rate ? fmt::format("rate-{:g}", *rate) : "rate";
  }
  const auto c = number_at(point, "/load/concurrency");
  return c ? fmt::format("concurrency-{:g}", *c) : "concurrency";
}

std::string model_of(const json& summary) {
  std::string model = text_at(summary, "/config/target/model");
  return model.empty() ? "unknown" : model;
}

}  // namespace inferbench::exports
