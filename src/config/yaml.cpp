// YAML documents of settings: nested maps spell key paths.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/sources.hpp"
#include "core/error.hpp"

namespace inferbench::config {

namespace {

// A YAML scalar's JSON value inside a JSON-object setting: YAML does not keep scalar types
// through yaml-cpp, so booleans and numbers are recognised from their text.
nlohmann::json typed_scalar(const YAML::Node& node) {
  if (node.Tag() == "!") return node.Scalar();  // quoted: a string whatever it looks like
  const std::string& text = node.Scalar();
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null" || text == "~") return nullptr;
  char* end = nullptr;
  const long long i = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && end == text.c_str() + text.size()) return static_cast<std::int64_t>(i);
  const double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size()) return d;
  return text;
}

// The node as the raw value Values::set takes: scalars stay text (coerced by the declared
// type) except inside JSON objects, sequences become arrays, maps objects.
nlohmann::json to_raw(const YAML::Node& node, bool typed) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return typed ? typed_scalar(node) : nlohmann::json(node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(to_raw(item, typed));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& item : node) out[item.first.Scalar()] = to_raw(item.second, true);
      return out;
    }
    default: return nullptr;
  }
}

// The line on which each key path was first given, so a key given twice (also once nested and
// once dotted: `load: {rate: 1}` and `load.rate: 2`) is an error rather than a silent last-wins.
using SeenKeys = std::map<std::string, std::size_t, std::less<>>;

void walk(Values& values, const YAML::Node& map, const std::string& prefix, std::string_view filename, Source source,
          SeenKeys& seen) {
  for (const auto& item : map) {
    const std::string path = prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar();
    const std::size_t line = item.first.Mark().line + 1;  // 0: a node built in memory, with no line
    const std::string where = line == 0 ? std::string(filename) : fmt::format("{}:{}", filename, line);
    if (const Setting* s = values.schema().find(path)) {
      if (const auto [first, inserted] = seen.emplace(path, line); !inserted) {
        throw Error(fmt::format("{}: {} is given twice (first on line {})", where, path, first->second));
      }
      values.set(path, to_raw(item.second, s->type == Type::Json || s->type == Type::MapList), source, where);
    } else if (values.schema().is_section(path)) {
      if (!item.second.IsMap()) {
        const auto& all = values.schema().settings();
        const auto first =
            std::find_if(all.begin(), all.end(), [&](const Setting& x) { return x.key.rfind(path + ".", 0) == 0; });
        throw Error(fmt::format("{}: '{}' is a group of settings, not a value (e.g. '{}')", where, path, first->key));
      }
      walk(values, item.second, path, filename, source, seen);
    } else if (item.second.IsScalar() && set_path(values, path, item.second.Scalar(), source, where)) {
      // an element of a list or map setting ("labels.gpu: H100"), as -o sets it
    } else if (item.second.IsMap() && !values.schema().closest_section(path).empty()) {
      // A misspelt group ("laod:"): name the group, not some setting that happens to be close.
      throw Error(
          fmt::format("{}: unknown key '{}' (did you mean '{}'?)", where, path, values.schema().closest_section(path)));
    } else {
      throw Error(fmt::format("{}: unknown key '{}'{}", where, path, suggestion(values.schema(), path)));
    }
  }
}

}  // namespace

void load_yaml(Values& values, std::string_view text, std::string_view filename) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: {}", filename, e.mark.line + 1, e.msg));
  }
  if (root.IsNull()) return;  // an empty document sets nothing
  if (!root.IsMap()) throw Error(fmt::format("{}: expected a map of settings", filename));
  load_yaml_map(values, root, filename, Source::File);
}

void load_yaml_map(Values& values, const YAML::Node& map, std::string_view filename, Source source) {
  SeenKeys seen;
  walk(values, map, "", filename, source, seen);
}

void load_yaml_file(Values& values, const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("cannot read {}", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  load_yaml(values, text.str(), path.string());
}

}  // namespace inferbench::config
